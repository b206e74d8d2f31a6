// The interleaved program-weight rounds, the load-test comparison and the machine description of
// the benchmark (tools/bench/bench.ts).
import { execFileSync } from "node:child_process";
import { availableParallelism, cpus, freemem, hostname, totalmem } from "node:os";
import { join } from "node:path";
import { subjectFirst, summarizePairs, type Pair, type PairSummary } from "./report.ts";
import { pulumi, pulumiEnv, ROOT, run, type Project } from "./procs.ts";

/**
 * Interleaved rounds: subject and baseline alternate who goes first; each round gives one ratio.
 * With `subjectFails`, every run of the subject must fail with output matching it (a bad-config
 * preview), so that nothing else is ever timed in its place.
 */
export async function interleaved(log: (m: string) => void, what: string, subject: Project, baseline: Project, args: string[], rounds: number, subjectFails?: RegExp): Promise<PairSummary & { subjectMs: number[]; baselineMs: number[]; cpu: PairSummary }> {
  const once = async (p: Project, cpu: boolean) => {
    const fails = p === subject && subjectFails !== undefined;
    const r = await pulumi(p, args, fails, cpu);
    if (fails && (r.code === 0 || !subjectFails.test(r.stdout + r.stderr))) {
      throw new Error(`${what}: pulumi ${args.join(" ")} (${p.name}) was to fail matching ${subjectFails}; exited ${r.code}:\n${(r.stdout + r.stderr).split("\n").slice(-40).join("\n")}`);
    }
    return r;
  };
  // Untimed warm-up of both (file cache, plugin binaries), then the timed rounds.
  await once(subject, false);
  await once(baseline, false);
  const pairs: Pair[] = [];
  const cpuPairs: Pair[] = [];
  for (let i = 0; i < rounds; i++) {
    const order = subjectFirst(i) ? [subject, baseline] : [baseline, subject];
    const ms: Record<string, number> = {};
    const cpu: Record<string, number> = {};
    for (const p of order) {
      const r = await once(p, true);
      ms[p.name] = r.ms;
      cpu[p.name] = r.cpuS ?? NaN;
    }
    pairs.push({ subject: ms[subject.name], baseline: ms[baseline.name] });
    cpuPairs.push({ subject: cpu[subject.name], baseline: cpu[baseline.name] });
    log(`${what} round ${i + 1}/${rounds}: ${subject.name} ${(ms[subject.name] / 1000).toFixed(2)} s (cpu ${cpu[subject.name].toFixed(2)} s), ${baseline.name} ${(ms[baseline.name] / 1000).toFixed(2)} s (cpu ${cpu[baseline.name].toFixed(2)} s), ratio ${(ms[subject.name] / ms[baseline.name]).toFixed(2)}`);
  }
  return { ...summarizePairs(pairs), subjectMs: pairs.map((p) => p.subject), baselineMs: pairs.map((p) => p.baseline), cpu: summarizePairs(cpuPairs) };
}

// ---------------------------------------------------------------------------------------------

export interface LoadtestResult {
  overhead: number;
  report: { requests: number; ok: number; requestsPerSecond: number; pairsPerSecond: number; p50: number; p95: number; p99: number; errorsByStatus: Record<string, number> };
  baseline: { requestsPerSecond: number };
}

export async function loadtest(p: Project, requests: number, log: (m: string) => void): Promise<LoadtestResult> {
  const out = JSON.parse((await pulumi(p, ["stack", "output", "--json", "--show-secrets"])).stdout) as Record<string, string>;
  const r = await run(process.execPath, [join(ROOT, "tools/loadtest/loadtest.ts"), "--url", out.endpoint, "--compare-baseline", "--json", "--requests", String(requests)], ROOT, { ...process.env, RERANKER_API_KEY: out.apiKey });
  if (r.code !== 0) throw new Error(`loadtest exited ${r.code}: ${r.stderr}`);
  const res = JSON.parse(r.stdout) as LoadtestResult;
  log(`loadtest: ${res.report.requestsPerSecond.toFixed(1)} req/s, ${res.report.pairsPerSecond.toFixed(0)} pairs/s, overhead ${res.overhead.toFixed(3)}× bare undici`);
  return res;
}

export function machine() {
  let pulumiVersion = "";
  try {
    pulumiVersion = execFileSync("pulumi", ["version"], { env: pulumiEnv, encoding: "utf8" }).trim();
  } catch { /* reported as empty */ }
  const sdk = (() => {
    try {
      return (JSON.parse(execFileSync(process.execPath, ["-p", "JSON.stringify(require('@pulumi/pulumi/package.json').version)"], { cwd: ROOT, encoding: "utf8" })) as string);
    } catch {
      return "";
    }
  })();
  return {
    host: hostname(),
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? "",
    memoryGiB: +(totalmem() / 2 ** 30).toFixed(1),
    freeMemoryGiB: +(freemem() / 2 ** 30).toFixed(1),
    node: process.version,
    pulumi: pulumiVersion,
    pulumiSdk: sdk,
  };
}

// npm run bench -- --market-only [--deploys N]: only the tailed-market rows (tools/bench/market.ts), no Pulumi engine.
