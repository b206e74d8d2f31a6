// Time to a verified endpoint on a market with a tail. N seeded deploys per policy,
// each driving the provider's create logic (bootInstance) directly against the emulator with the
// tailed market model (emulator/tail.ts), no Pulumi engine. Timings run `--scale` (default 200) times
// faster than real time; every number reported is in real (unscaled) seconds and dollars.
// A deploy is "verified" when its endpoint answers /health (the emulator's plan says it serves):
// every policy gets that check, so they differ only in which offers they rent and when they give up.
// Run alone: npm run bench -- --market-only [--deploys N]
//   or node tools/bench/market.ts [--deploys N] [--first-seed N] [--only a,b] [--slowdown F --slack S --floor S] [--replay]
//   (--only picks policies by name substring, e.g. --only "default,race"; the SWEEP policies, one
//   knob off each, run only when named; --replay: marketReplay.ts instead of the emulator.)
import { parseArgs } from "node:util";
import { startEmulator } from "../../emulator/index.ts";
import { tailedMarket, DEFAULT_TAIL } from "../../emulator/tail.ts";
import type { RunningEmulator } from "../../emulator/types.ts";
import { bootInstance, type BootContext } from "../../components/vast/instance/boot.ts";
import * as vast from "../../components/vast/api/client.ts";
import { row, formatTable, type Row } from "./report.ts";
import { DEFAULT_STALL_POLICY, type StallPolicy } from "../../components/vast/instance/stallVerdict.ts";
import { BASE_OFFER, marketInputs, POLICIES, SWEEP, type DeployResult, type Policy, type PolicySummary } from "./marketPolicies.ts";
import { replayDeploy } from "./marketReplay.ts";

export { POLICIES, SWEEP, type DeployResult, type Policy, type PolicySummary } from "./marketPolicies.ts";
export { replayDeploy } from "./marketReplay.ts";

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** One seeded deploy: fresh emulator state, tailed market of this seed, boot, account, destroy the winner. */
export async function deploy(emu: RunningEmulator, seed: number, policy: Policy, scale: number, stallPolicy?: StallPolicy, trace?: (m: string) => void): Promise<DeployResult> {
  await emu.reset();
  emu.replaceMarket(tailedMarket(BASE_OFFER, seed));
  emu.setTail({ ...DEFAULT_TAIL, seed, timeScale: 1 / scale });
  const opts: vast.VastClientOptions = { apiUrl: emu.url, apiKey: emu.apiKey, pollFloorMs: Math.max(5, Math.round(2100 / scale)), pollCapMs: Math.max(10, Math.round(12_000 / scale)) };
  const reasons: string[] = [];
  const ctx: BootContext = {
    opts, inputs: marketInputs(seed, policy), label: `bench-market.${seed}.${policy.failover}.${policy.rankBy}`, log: (m) => { trace?.(m); if (/destroying|stalled|race/.test(m)) reasons.push(m); },
    failover: policy.failover, timeScale: 1 / scale, stallPolicy, tuning: policy.tuning,
    health: async (inst) => {
      const a = emu.instances().find((i) => i.id === inst.id);
      const at = a?._emulator.tail?.servesAt;
      return at !== null && at !== undefined && at <= Date.now();
    },
  };
  const t0 = Date.now();
  let ok = true;
  let winner: number | undefined;
  let lost = new Set<number>();
  try {
    const r = await bootInstance(ctx);
    winner = r.instance.id;
    lost = new Set(r.race?.lost.map((l) => l.id));
  } catch (e) {
    ok = false;
    reasons.push((e as Error).message);
  }
  const seconds = (Date.now() - t0) * scale / 1000;
  const all = emu.instances();
  let failedCost = 0;
  let raceCost = 0;
  for (const i of all) {
    if (i.id === winner) continue;
    const end = i._emulator.destroyedAt ?? Date.now();
    const usd = (i.dph_total * (end - i._emulator.createdAt) * scale) / 3_600_000;
    if (lost.has(i.id)) raceCost += usd;
    else failedCost += usd;
  }
  const leaked = all.filter((i) => i.id !== winner && !i._emulator.destroyed).length;
  const honest = all.filter((i) => i.id !== winner && !lost.has(i.id) && i._emulator.tail?.fate === "ok").length;
  if (winner !== undefined) await vast.destroyAndConfirm(opts, winner);
  return { ok, seconds, attempts: all.length, failedCost, raceCost, honest, leaked, reasons };
}

export function summarize(policy: Policy, results: DeployResult[]): PolicySummary {
  const secs = results.map((r) => r.seconds);
  return {
    policy,
    p50: percentile(secs, 50),
    p95: percentile(secs, 95),
    max: Math.max(...secs),
    failedCost: results.reduce((a, r) => a + r.failedCost, 0),
    raceCost: results.reduce((a, r) => a + r.raceCost, 0),
    honest: results.reduce((a, r) => a + r.honest, 0),
    failedDeploys: results.filter((r) => !r.ok).length,
    leaked: results.reduce((a, r) => a + r.leaked, 0),
    attempts: results.reduce((a, r) => a + r.attempts, 0),
  };
}

export interface MarketBenchOptions {
  deploys: number;
  scale: number;
  log: (m: string) => void;
  /** Override of DEFAULT_STALL_POLICY (to sweep it). */
  stallPolicy?: StallPolicy;
  firstSeed?: number;
  /** Policies to run (default POLICIES). */
  policies?: Policy[];
}

/** Runs every policy on the same seeds (policies side by side, one emulator each, seeds in turn). */
export async function marketBench(o: MarketBenchOptions): Promise<{ summaries: PolicySummary[]; rows: Row[] }> {
  const policies = o.policies ?? POLICIES;
  const emus = await Promise.all(policies.map(() => startEmulator({ pendingMs: Math.round(5000 / o.scale), lingerDeletedMs: 0, readLagMs: 0 })));
  const results: DeployResult[][] = policies.map(() => []);
  const first = o.firstSeed ?? 1;
  try {
    for (let seed = first; seed < first + o.deploys; seed++) {
      const rs = await Promise.all(policies.map((p, i) => deploy(emus[i], seed, p, o.scale, o.stallPolicy)));
      rs.forEach((r, i) => results[i].push(r));
      rs.forEach((r, i) => { if (!r.ok) o.log(`seed ${seed} ${policies[i].name} FAILED:\n  ${r.reasons.join("\n  ")}`); });
      o.log(`seed ${seed}: ${rs.map((r) => `${r.ok ? "" : "FAILED "}${r.seconds.toFixed(0)} s ${r.attempts} rent(s)`).join(" | ")}`);
    }
  } finally {
    await Promise.all(emus.map((e) => e.stop()));
  }
  const summaries = policies.map((p, i) => summarize(p, results[i]));
  return { summaries, rows: marketRows(summaries) };
}

/** One row per policy, then the targets (about the default row, against the old flat + price one) when both ran. */
function marketRows(summaries: PolicySummary[]): Row[] {
  const rows: Row[] = summaries.map((s) => row(`market: ${s.policy.name} p50 time to verified endpoint`, s.p50, "s", 0, undefined,
    `p95 ${s.p95.toFixed(0)} s, max ${s.max.toFixed(0)} s; $${s.failedCost.toFixed(2)} on failed attempts${s.policy.race ? `, $${s.raceCost.toFixed(2)} on race losers` : ""}; ${s.attempts} rents, ${s.honest} honest hosts given up, ${s.failedDeploys} failed deploys, ${s.leaked} leaked`));
  const old = summaries.find((s) => s.policy === POLICIES[0]);
  const neu = summaries.find((s) => s.policy.isDefault);
  if (neu) rows.push(row("market: new p95 ÷ new p50", neu.p95 / neu.p50, "×", 2, { cmp: "<=", limit: 2 }));
  if (neu && old) {
    rows.push(row("market: new p95 ÷ flat p95", neu.p95 / old.p95, "×", 2, { cmp: "<=", limit: 0.5 }));
    rows.push(row("market: new $ on failed attempts ÷ flat's", old.failedCost > 0 ? neu.failedCost / old.failedCost : 0, "×", 2, { cmp: "<=", limit: 1 }));
  }
  for (const r of summaries.filter((s) => s.policy.race)) rows.push(row(`market: ${r.policy.name} p95 ÷ p50`, r.p95 / r.p50, "×", 2));
  rows.push(row("market: leaked instances (all policies)", summaries.reduce((a, s) => a + s.leaked, 0), "", 0, { cmp: "<=", limit: 0 }));
  return rows;
}

export function marketMarkdown(summaries: PolicySummary[], deploys: number, scale: number | "replay"): string {
  const lines = [
    `| policy (${deploys} seeded deploys, ${scale === "replay" ? "replay" : `${scale}x time`}) | p50 s | p95 s | p95 ÷ p50 | max s | $ on failed attempts | $ on race losers | rents | honest hosts given up | failed deploys | leaked |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...summaries.map((s) => `| ${s.policy.name} | ${s.p50.toFixed(0)} | ${s.p95.toFixed(0)} | ${(s.p95 / s.p50).toFixed(2)} | ${s.max.toFixed(0)} | ${s.failedCost.toFixed(2)} | ${s.policy.race ? s.raceCost.toFixed(2) : "–"} | ${s.attempts} | ${s.honest} | ${s.failedDeploys} | ${s.leaked} |`),
  ];
  return lines.join("\n");
}

if (import.meta.main || process.argv[1]?.endsWith("tools/bench/market.ts")) {
  const str = { type: "string" } as const;
  const { values } = parseArgs({ options: { deploys: { type: "string", default: "30" }, scale: { type: "string", default: "200" }, slowdown: str, slack: str, floor: str, "first-seed": str, only: str, replay: { type: "boolean" } }, strict: false });
  const deploys = Number(values.deploys);
  const scale = Number(values.scale);
  const num = (v: unknown, k: number) => (typeof v === "string" ? Number(v) * k : undefined);
  const stallPolicy: StallPolicy = {
    slowdown: num(values.slowdown, 1) ?? DEFAULT_STALL_POLICY.slowdown, slackMs: num(values.slack, 1000) ?? DEFAULT_STALL_POLICY.slackMs, floorMs: num(values.floor, 1000) ?? DEFAULT_STALL_POLICY.floorMs,
  };
  const only = typeof values.only === "string" ? values.only.split(",").map((x) => x.trim()).filter(Boolean) : [];
  const policies = only.length ? [...POLICIES, ...SWEEP].filter((p) => only.some((o) => p.name.includes(o))) : POLICIES;
  console.error(`stall policy: ${JSON.stringify(stallPolicy)}; policies: ${policies.map((p) => p.name).join(" | ")}`);
  const firstSeed = Number(values["first-seed"] ?? 1);
  const seeds = Array.from({ length: deploys }, (_, i) => firstSeed + i);
  const { summaries, rows } = values.replay
    ? (() => { const sums = policies.filter((p) => !p.race).map((p) => summarize(p, seeds.map((seed) => replayDeploy(seed, p, stallPolicy)))); return { summaries: sums, rows: marketRows(sums) }; })()
    : await marketBench({ deploys, scale, log: (m) => console.error(m), stallPolicy, policies, firstSeed });
  console.log(formatTable(rows));
  console.log("\n" + marketMarkdown(summaries, deploys, values.replay ? "replay" : scale));
  if (rows.some((r) => r.pass === false)) process.exitCode = 1;
}
