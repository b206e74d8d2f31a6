// Time to a verified endpoint on a market with a tail. N seeded deploys per policy,
// each driving the provider's create logic (bootInstance) directly against the emulator with the
// tailed market model (emulator/tail.ts), no Pulumi engine. Timings run `--scale` (default 200) times
// faster than real time; every number reported is in real (unscaled) seconds and dollars.
// A deploy is "verified" when its endpoint answers /health (the emulator's plan says it serves):
// every policy gets that check, so they differ only in which offers they rent and when they give up.
// Run alone: npm run bench -- --market-only [--deploys N]
//   or node tools/bench/market.ts [--deploys N] [--first-seed N] [--only a,b] [--factor F --slack S]
//   (--only picks policies by name substring, e.g. --only "new default,race" for a long run; the
//   SWEEP policies, one knob off each, run only when named.)
import { parseArgs } from "node:util";
import { startEmulator } from "../../emulator/index.ts";
import { bootPlan, tailedMarket, DEFAULT_TAIL } from "../../emulator/tail.ts";
import type { RunningEmulator } from "../../emulator/types.ts";
import type { Offer } from "../../components/vast/api/types.ts";
import { bootInstance, type BootContext } from "../../components/vast/instance/boot.ts";
import type { VastInstanceInputs } from "../../components/vast/instance/instanceLogic.ts";
import * as vast from "../../components/vast/api/client.ts";
import { row, formatTable, type Row } from "./report.ts";
import type { RankBy } from "../../components/vast/offers/offerQuery.ts";
import { DEFAULT_STALL_POLICY, DEFAULT_TUNING, expectedBoot, judgeStall, msUntilStall, type BootObservation, type BootTuning, type StallPolicy } from "../../components/vast/instance/stallVerdict.ts";
import { nextPollDelayMs } from "../../components/vast/instance/bootVerdict.ts";
import { rankAfterFailure, rankOffers } from "../../components/vast/offers/offerRanking.ts";

export interface Policy {
  name: string;
  failover: "flat" | "stall";
  rankBy: RankBy;
  /** vast-reranker:race (offers rented at once). */
  race?: number;
  tuning?: Partial<BootTuning>;
  /** The row the targets are about (the committed defaults). */
  isDefault?: boolean;
}

/** The stall-aware policy as first built: no re-ranking after a failure, /health only at status polls. */
const FIRST_STALL: Partial<BootTuning> = { rerankAfterFailure: false, wakeAtStallLimit: false, healthPollMs: 1e9 };

export const POLICIES: Policy[] = [
  { name: "flat + price (old)", failover: "flat", rankBy: "price" },
  { name: "stall + price", failover: "stall", rankBy: "price" },
  { name: "flat + balanced", failover: "flat", rankBy: "balanced", tuning: FIRST_STALL },
  { name: "stall + balanced (first version)", failover: "stall", rankBy: "balanced", tuning: FIRST_STALL },
  { name: "stall + balanced (new default)", failover: "stall", rankBy: "balanced", isDefault: true },
  { name: "stall + balanced + race 2", failover: "stall", rankBy: "balanced", race: 2 },
];

/** One knob of the default off at a time (run with --only). */
export const SWEEP: Policy[] = [
  { name: "sweep: no re-rank after failure", failover: "stall", rankBy: "balanced", tuning: { rerankAfterFailure: false } },
  { name: "sweep: poll at the stall limit", failover: "stall", rankBy: "balanced", tuning: { wakeAtStallLimit: true } },
  { name: "sweep: /health only at status polls", failover: "stall", rankBy: "balanced", tuning: { healthPollMs: 1e9 } },
];

export interface DeployResult {
  ok: boolean;
  seconds: number;
  attempts: number;
  failedCost: number;
  /** Race losers (destroyed because the other contender was verified first). */
  raceCost: number;
  /** Attempts given up on a host whose fate was "ok" (it would have served): false failovers. */
  honest: number;
  leaked: number;
  reasons: string[];
}

export interface PolicySummary {
  policy: Policy;
  p50: number;
  p95: number;
  max: number;
  failedCost: number;
  raceCost: number;
  honest: number;
  failedDeploys: number;
  leaked: number;
  attempts: number;
}

const BASE_OFFER: Offer = {
  id: 1, ask_contract_id: 1, machine_id: 1, host_id: 1, num_gpus: 1, gpu_name: "RTX 4090", gpu_ram: 24576, compute_cap: 890, cuda_max_good: 12.9,
  cpu_cores: 16, cpu_ram: 65536, disk_space: 200, inet_up: 500, inet_down: 500, direct_port_count: 10, static_ip: true, dph_base: 0.3, dph_total: 0.3,
  min_bid: 0.15, storage_cost: 0.1, dlperf: 40, reliability: 0.99, reliability2: 0.99, rentable: true, rented: false, verified: true, verification: "verified",
  external: false, geolocation: "Washington, US", public_ipaddr: "127.0.0.1",
} as unknown as Offer;

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

function inputs(seed: number, policy: Policy): VastInstanceInputs {
  return {
    labelPrefix: "bench-market", stackName: "bench", resourceName: policy.failover + policy.rankBy, nonce: `s${seed}`, race: policy.race,
    selection: { filter: "compute_cap >= 750 gpu_ram >= 16 num_gpus = 1 static_ip = true direct_port_count >= 1 verified = true rentable = true", diskGb: 40, maxPricePerHour: 1, minReliability: 0.9, rankBy: policy.rankBy },
    image: "vastai/base-image:cuda-12.4.1-auto", env: { "-p 8000:8000": "1" }, secretEnv: {}, runtype: "args", onstart: null, args: [],
    containerPort: 8000, maxAttempts: 3, bootTimeoutSeconds: 900,
  };
}

/** One seeded deploy: fresh emulator state, tailed market of this seed, boot, account, destroy the winner. */
export async function deploy(emu: RunningEmulator, seed: number, policy: Policy, scale: number, stallPolicy?: StallPolicy, trace?: (m: string) => void): Promise<DeployResult> {
  await emu.reset();
  emu.replaceMarket(tailedMarket(BASE_OFFER, seed));
  emu.setTail({ ...DEFAULT_TAIL, seed, timeScale: 1 / scale });
  const opts: vast.VastClientOptions = { apiUrl: emu.url, apiKey: emu.apiKey, pollFloorMs: Math.max(5, Math.round(2100 / scale)), pollCapMs: Math.max(10, Math.round(12_000 / scale)) };
  const reasons: string[] = [];
  const ctx: BootContext = {
    opts, inputs: inputs(seed, policy), label: `bench-market.${seed}.${policy.failover}.${policy.rankBy}`, log: (m) => { trace?.(m); if (/destroying|stalled|race/.test(m)) reasons.push(m); },
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

/**
 * The same single-lane decisions without emulator or timers: boot.ts's poll schedule, stall verdict,
 * knobs and ranking replayed on the seed's market and host plans in computed time (no timer noise),
 * fast enough for the 20 000 seeds that rare outcomes (failed deploys) need. Race is not replayed.
 * Agrees with the emulator runs seed by seed where compared (docs/benchmarks.md).
 */
export function replayDeploy(seed: number, policy: Policy, stallPolicy: StallPolicy = DEFAULT_STALL_POLICY): DeployResult {
  const FLOOR = 2.1, PENDING = 5, LIMIT = 900; // status-poll floor, emulator pendingMs, bootTimeoutSeconds (s)
  const tail = { ...DEFAULT_TAIL, seed, timeScale: 1 };
  const sel = inputs(seed, policy).selection;
  const tuning = { ...DEFAULT_TUNING, ...policy.tuning };
  let offers = rankOffers(tailedMarket(BASE_OFFER, seed), sel);
  let t = 0, lastShow = -Infinity, failedCost = 0, honest = 0, attempts = 0;
  const show = (at: number) => (lastShow = Math.max(at, lastShow + FLOOR)); // every GET /instances/{id} waits for the floor
  while (attempts < 3 && offers.length) {
    const offer = offers.shift() as Offer;
    attempts++;
    const plan = bootPlan(tail, offer as Offer & { disk_bw?: number }, 1);
    const created = t + PENDING, loading = created + plan.createdMs / 1000;
    const running = plan.fate.kind === "stall_loading" ? Infinity : loading + plan.loadingMs / 1000;
    const serves = plan.fate.kind === "never_serve" ? Infinity : running + plan.modelLoadMs / 1000;
    const statusAt = (x: number) => (x < created ? null : x < loading ? "created" : x < running ? "loading" : "running");
    const exp = expectedBoot(offer);
    let tau = t + FLOOR, seen: string | null | undefined, since = t, runSeen: number | null = null, k = 0, ready: number | undefined;
    for (;;) {
      tau = show(tau);
      const st = statusAt(tau);
      if (st !== seen) [seen, since, k, runSeen] = [st, tau, 0, st === "running" ? (runSeen ?? tau) : runSeen];
      if (st === "running" && serves <= tau) { ready = tau; break; }
      let next = Math.min(tau + nextPollDelayMs(k++, 12_000, FLOOR * 1000) / 1000, t + LIMIT);
      if (policy.failover === "stall") {
        const ms = (x: number) => x * 1000;
        const seenNow: BootObservation = { status: st, msSinceRent: ms(tau - t), msInPhase: ms(tau - since), msSinceRunning: runSeen === null ? null : ms(tau - runSeen), portMapped: st === "running", healthy: st === "running" ? false : null };
        if (judgeStall(seenNow, exp, stallPolicy).kind === "stalled") break;
        if (tuning.wakeAtStallLimit) next = Math.min(next, tau + msUntilStall(seenNow, exp, stallPolicy) / 1000);
      }
      if (tau - t >= LIMIT) break;
      const h = tuning.healthPollMs / 1000; // /health asked between status polls
      const at = tau + Math.ceil((serves - tau) / h) * h;
      if (st === "running" && at < next) { ready = at; break; }
      tau = next;
    }
    if (ready !== undefined) return { ok: true, seconds: ready, attempts, failedCost, raceCost: 0, honest, leaked: 0, reasons: [] };
    failedCost += (Number(offer.dph_total) * (tau - t)) / 3600;
    if (plan.fate.kind === "ok") honest++;
    t = show(tau); // DELETE, then the GET that confirms it is gone
    if (tuning.rerankAfterFailure && attempts === 1) offers = rankAfterFailure(offers, sel);
  }
  return { ok: false, seconds: t, attempts, failedCost, raceCost: 0, honest, leaked: 0, reasons: [] };
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
export function marketRows(summaries: PolicySummary[]): Row[] {
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
  const { values } = parseArgs({ options: { deploys: { type: "string", default: "30" }, scale: { type: "string", default: "200" }, factor: str, slack: str, "first-seed": str, only: str, replay: { type: "boolean" } }, strict: false });
  const deploys = Number(values.deploys);
  const scale = Number(values.scale);
  const stallPolicy = { ...DEFAULT_STALL_POLICY, ...(values.factor ? { factor: Number(values.factor) } : {}), ...(values.slack ? { slackMs: Number(values.slack) * 1000 } : {}) };
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
