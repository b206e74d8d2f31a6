// Benchmark of what the stack owns around a deploy against the local Vast emulator with
// fixed boot timings: readiness lag, Vast API calls per deploy/destroy, program weight (preview and
// no-op up vs a one-resource baseline, interleaved; a bad-config preview vs a good one), probe duration,
// load-test overhead.
// Usage: npm run bench [-- --quick] [--weight-only] [--replicas-only] [--runs N] [--pairs N] [--loading-ms N] [--model-load-ms N]
//        [--long-loading-ms N | --no-long] [--rate-limits vast|off] [--out FILE] [--keep]
// See docs/benchmarks.md for what each number means.
import { spawn, execFileSync } from "node:child_process";
import { cpus, freemem, loadavg, totalmem, availableParallelism, tmpdir, hostname } from "node:os";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { request as httpRequest } from "node:http";
import { parseArgs } from "node:util";
import { startEmulator, VAST_RATE_LIMITS, type RunningEmulator } from "../../emulator/index.ts";
import {
  childCpuSeconds, formatRoutes, formatTable, lagSeconds, markdownTable, median, probeChecksMs, row, subjectFirst, summarizePairs, totalCalls, vastRoutes,
  type Pair, type PairSummary, type ProbeReport, type RouteCounts, type Row,
} from "./report.ts";
import { marketBench, marketMarkdown } from "./market.ts";
import { replicaRows } from "./replicas.ts";

const ROOT = resolve(import.meta.dirname, "../..");

const { values: opt } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    "weight-only": { type: "boolean", default: false },
    "lag-only": { type: "boolean", default: false },
    "market-only": { type: "boolean", default: false }, // tools/bench/market.ts
    deploys: { type: "string" },
    "replicas-only": { type: "boolean", default: false },
    runs: { type: "string" },
    pairs: { type: "string" },
    "loading-ms": { type: "string" },
    "model-load-ms": { type: "string" },
    "long-loading-ms": { type: "string" },
    "no-long": { type: "boolean", default: false },
    "rate-limits": { type: "string", default: "vast" },
    "loadtest-requests": { type: "string" },
    out: { type: "string", default: join(ROOT, "bench-results", "latest.json") },
    markdown: { type: "string" },
    keep: { type: "boolean", default: false },
  },
});

function intOpt(name: keyof typeof opt, fallback: number, min: number): number {
  const raw = opt[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min} (got ${String(raw)})`);
  return n;
}

const quick = opt.quick;
/** Only the program-weight rows: one deploy (the no-change runs need a deployed stack), no load test, no long boot. */
const weightOnly = opt["weight-only"];
const settings = {
  quick,
  weightOnly,
  runs: weightOnly ? 1 : intOpt("runs", quick ? 2 : 5, 1),
  pairs: intOpt("pairs", quick ? 2 : 7, 1),
  pendingMs: 500,
  createdMs: 1000,
  loadingMs: intOpt("loading-ms", quick ? 3000 : 20_000, 0),
  modelLoadMs: intOpt("model-load-ms", quick ? 6000 : 10_000, 0),
  /** The "3-minute boot": loading ≈ 170 s + pending/created 1.5 s + model load. 0 = skipped. */
  longLoadingMs: opt["no-long"] || weightOnly ? 0 : intOpt("long-loading-ms", quick ? 0 : 170_000, 0),
  rateLimits: opt["rate-limits"],
  loadtestRequests: intOpt("loadtest-requests", 200, 1),
  /** How often the benchmark itself polls the stand-in's /health to timestamp readiness. */
  healthPollMs: 10,
};
if (settings.rateLimits !== "vast" && settings.rateLimits !== "off") throw new Error("--rate-limits must be vast or off");

const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Processes

interface Ran {
  code: number | null;
  ms: number;
  /** performance.now() when the process exited (not when its pipes closed). */
  exitedAt: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolveRun, reject) => {
    const t0 = performance.now();
    let exitedAt = 0;
    let code: number | null = null;
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => { stdout += d; });
    child.stderr.on("data", (d: Buffer) => { stderr += d; });
    child.on("error", reject);
    child.on("exit", (c) => { exitedAt = performance.now(); code = c; });
    child.on("close", () => resolveRun({ code, ms: exitedAt - t0, exitedAt, stdout, stderr }));
  });
}

interface Project {
  name: string;
  dir: string;
  stack: string;
}

let pulumiEnv: NodeJS.ProcessEnv = {};
const CPU_MARK = "@@bench-times@@";

/**
 * Runs pulumi; with `cpu`, under `sh` whose `times` then reports the CPU time of the whole process tree
 * (CLI, language host, program, plugins, dynamic provider: each is waited for by its parent).
 */
async function pulumi(p: Project, args: string[], allowFail = false, cpu = false): Promise<Ran & { cpuS?: number }> {
  const argv = [...args, "--stack", p.stack, "--non-interactive"];
  const r: Ran & { cpuS?: number } = cpu
    ? await run("/bin/sh", ["-c", `pulumi "$@"; rc=$?; printf '\\n${CPU_MARK}' >&2; times >&2; exit $rc`, "sh", ...argv], p.dir, pulumiEnv)
    : await run("pulumi", argv, p.dir, pulumiEnv);
  if (cpu) {
    const at = r.stderr.lastIndexOf(CPU_MARK);
    r.cpuS = at < 0 ? undefined : childCpuSeconds(r.stderr.slice(at + CPU_MARK.length));
  }
  if (r.code !== 0 && !allowFail) {
    throw new Error(`pulumi ${args.join(" ")} (${p.name}) exited ${r.code}:\n${(r.stdout + r.stderr).split("\n").slice(-40).join("\n")}`);
  }
  return r;
}

/** A throwaway copy of a program: Pulumi.yaml and package.json copied, sources symlinked (as tests/helpers/engine.ts). */
function layout(base: string, name: string, from: string, sources: string[], stack: string): Project {
  const dir = join(base, name);
  mkdirSync(dir);
  for (const s of sources) {
    if (s === "Pulumi.yaml" || s === "package.json") copyFileSync(join(from, s), join(dir, s));
    else symlinkSync(join(from, s), join(dir, s));
  }
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return { name, dir, stack };
}

// ---------------------------------------------------------------------------------------------
// Readiness timestamp: the benchmark polls the stand-in's /health itself, every 10 ms, from the
// moment the emulator maps the instance's 8000/tcp port. Connection refused returns at once, so the
// first 200 is seen at most ~10 ms (plus one loopback request) after the server starts answering.

function healthStatus(port: number): Promise<number> {
  return new Promise((res) => {
    const req = httpRequest({ host: "127.0.0.1", port, path: "/health", method: "GET", agent: false, timeout: 2000 }, (r) => {
      r.resume();
      r.on("end", () => res(r.statusCode ?? 0));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => res(0));
    req.end();
  });
}

interface HealthWatch {
  healthyAt?: number;
  runningAt?: number;
  instanceId?: number;
  port?: number;
  polls: number;
  /** The readiness probe's node process (Linux /proc): when it was first seen and when it was gone. */
  probeSeenAt?: number;
  probeExitedAt?: number;
}

/**
 * The pid of this deploy's readiness probe (`node components/readiness/probe.ts` running in the
 * benchmark's project directory: other probes may run on the machine), Linux only.
 */
function findProbePid(projectDir: string): number | undefined {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (argv.some((a) => a.endsWith("components/readiness/probe.ts")) && /node$/.test(argv[0]) && realpathSync(`/proc/${pid}/cwd`) === projectDir) return Number(pid);
    } catch { /* gone */ }
  }
  return undefined;
}

/** Follows the probe process: found by a /proc scan every 100 ms, then its exit noticed within ~5 ms. */
async function watchProbe(w: HealthWatch, projectDir: string, stop: { done: boolean }): Promise<void> {
  let pid: number | undefined;
  while (!stop.done && pid === undefined) {
    pid = w.port === undefined ? undefined : findProbePid(projectDir);
    if (pid === undefined) await sleep(100);
    else w.probeSeenAt = performance.now();
  }
  while (pid !== undefined && existsSync(`/proc/${pid}`)) {
    if (stop.done) return; // pulumi exited first: nothing sensible to report
    await sleep(5);
  }
  if (pid !== undefined) w.probeExitedAt = performance.now();
}

function watchHealth(emu: RunningEmulator, known: Set<number>, projectDir: string, stop: { done: boolean }): Promise<HealthWatch> {
  const w: HealthWatch = { polls: 0 };
  const probe = watchProbe(w, realpathSync(projectDir), stop);
  const health = (async () => {
    while (!stop.done && w.port === undefined) {
      const inst = emu.instances().find((i) => !known.has(i.id) && !i._emulator.destroyed && i.ports?.["8000/tcp"]?.[0]?.HostPort);
      if (inst) {
        w.instanceId = inst.id;
        w.port = Number(inst.ports?.["8000/tcp"]?.[0]?.HostPort);
        w.runningAt = performance.now();
      } else await sleep(settings.healthPollMs);
    }
    while (!stop.done && w.port !== undefined) {
      w.polls++;
      if ((await healthStatus(w.port)) === 200) {
        w.healthyAt = performance.now();
        break;
      }
      await sleep(settings.healthPollMs);
    }
  })();
  return Promise.all([health, probe]).then(() => w);
}

// ---------------------------------------------------------------------------------------------
// Deploy / destroy with call counting

interface DeployResult {
  label: string;
  upMs: number;
  lagS: number;
  /** From the instance's 8000/tcp mapping (Vast "running") to /health 200: the model load as seen from outside. */
  runningToHealthyS: number;
  calls: RouteCounts;
  total: number;
  /** Calls answered 429 (rate limited): each one is a wasted call, already included in total. */
  throttled: number;
  probe: ProbeReport;
  probeChecksMs: number;
  /** Where the lag goes (s, relative to /health 200): probe process start (negative = before), probe exit, pulumi exit. */
  probeStartS?: number;
  probeExitS?: number;
  engineTailS?: number;
}

interface DestroyResult {
  ms: number;
  calls: RouteCounts;
  total: number;
  /** Calls answered 429, included in total. */
  throttled: number;
}

function live(emu: RunningEmulator) {
  return emu.instances().filter((i) => !i._emulator.destroyed && !i._emulator.vanished);
}

async function deploy(emu: RunningEmulator, p: Project, label: string): Promise<DeployResult> {
  emu.clearRequestLog();
  const known = new Set(emu.instances().map((i) => i.id));
  const stop = { done: false };
  const watch = watchHealth(emu, known, p.dir, stop);
  let up: Ran;
  try {
    up = await pulumi(p, ["up", "--yes", "--skip-preview", "--suppress-progress"]);
  } finally {
    stop.done = true;
  }
  const w = await watch;
  const calls = vastRoutes(emu.routeCounts());
  const throttled = emu.requestLog().filter((e) => e.status === 429).length;
  if (w.healthyAt === undefined || w.runningAt === undefined) throw new Error(`${label}: the benchmark never saw the stand-in's /health answer 200`);
  const probe = JSON.parse((await pulumi(p, ["stack", "output", "probeReport"])).stdout.trim()) as ProbeReport;
  const r: DeployResult = {
    label,
    upMs: up.ms,
    lagS: lagSeconds({ healthyAt: w.healthyAt, upExitedAt: up.exitedAt }),
    runningToHealthyS: (w.healthyAt - w.runningAt) / 1000,
    calls,
    total: totalCalls(calls),
    throttled,
    probe,
    probeChecksMs: probeChecksMs(probe),
    probeStartS: w.probeSeenAt === undefined ? undefined : (w.probeSeenAt - w.healthyAt) / 1000,
    probeExitS: w.probeExitedAt === undefined ? undefined : (w.probeExitedAt - w.healthyAt) / 1000,
    engineTailS: w.probeExitedAt === undefined ? undefined : (up.exitedAt - w.probeExitedAt) / 1000,
  };
  const s3 = (v?: number) => (v === undefined ? "?" : v.toFixed(3));
  log(`${label}: up ${(r.upMs / 1000).toFixed(1)} s, lag ${r.lagS.toFixed(3)} s (probe started ${s3(r.probeStartS)} s, exited ${s3(r.probeExitS)} s after /health 200; checks ${r.probeChecksMs} ms; pulumi exit ${s3(r.engineTailS)} s after the probe), ${r.total} Vast calls (${throttled} throttled): ${formatRoutes(calls)}`);
  return r;
}

async function destroy(emu: RunningEmulator, p: Project, label: string): Promise<DestroyResult> {
  emu.clearRequestLog();
  const d = await pulumi(p, ["destroy", "--yes", "--skip-preview", "--suppress-progress"]);
  const calls = vastRoutes(emu.routeCounts());
  const throttled = emu.requestLog().filter((e) => e.status === 429).length;
  if (live(emu).length) throw new Error(`${label}: instances still live after destroy: ${live(emu).map((i) => i.id).join(", ")}`);
  log(`${label}: destroy ${(d.ms / 1000).toFixed(1)} s, ${totalCalls(calls)} Vast calls (${throttled} throttled): ${formatRoutes(calls)}`);
  return { ms: d.ms, calls, total: totalCalls(calls), throttled };
}

/**
 * Interleaved rounds: subject and baseline alternate who goes first; each round gives one ratio.
 * With `subjectFails`, every run of the subject must fail with output matching it (a bad-config
 * preview), so that nothing else is ever timed in its place.
 */
async function interleaved(what: string, subject: Project, baseline: Project, args: string[], rounds: number, subjectFails?: RegExp): Promise<PairSummary & { subjectMs: number[]; baselineMs: number[]; cpu: PairSummary }> {
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

interface LoadtestResult {
  overhead: number;
  report: { requests: number; ok: number; requestsPerSecond: number; pairsPerSecond: number; p50: number; p95: number; p99: number; errorsByStatus: Record<string, number> };
  baseline: { requestsPerSecond: number };
}

async function loadtest(p: Project): Promise<LoadtestResult> {
  const out = JSON.parse((await pulumi(p, ["stack", "output", "--json", "--show-secrets"])).stdout) as Record<string, string>;
  const r = await run(process.execPath, [join(ROOT, "tools/loadtest/loadtest.ts"), "--url", out.endpoint, "--compare-baseline", "--json", "--requests", String(settings.loadtestRequests)], ROOT, { ...process.env, RERANKER_API_KEY: out.apiKey });
  if (r.code !== 0) throw new Error(`loadtest exited ${r.code}: ${r.stderr}`);
  const res = JSON.parse(r.stdout) as LoadtestResult;
  log(`loadtest: ${res.report.requestsPerSecond.toFixed(1)} req/s, ${res.report.pairsPerSecond.toFixed(0)} pairs/s, overhead ${res.overhead.toFixed(3)}× bare undici`);
  return res;
}

function machine() {
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
async function marketOnly(): Promise<void> {
  const deploys = intOpt("deploys", 30, 1);
  const { summaries, rows } = await marketBench({ deploys, scale: 200, log });
  console.log(formatTable(rows));
  console.log(`\n${marketMarkdown(summaries, deploys, 200)}`);
  if (rows.some((r) => r.pass === false)) process.exitCode = 1;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const base = mkdtempSync(join(tmpdir(), "vr-bench-"));
  const backend = join(base, "backend");
  mkdirSync(backend);
  // Production poll schedule: the caller's VAST_POLL_* / VAST_TEST_BACKOFF_MS tuning must not leak in.
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ["VAST_TEST_POLL_FLOOR_MS", "VAST_TEST_POLL_CAP_MS", "VAST_TEST_BACKOFF_MS", "VAST_API_URL", "VAST_API_KEY", "PULUMI_CONFIG_PASSPHRASE_FILE"]) delete env[k];
  pulumiEnv = {
    ...env,
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: "vast-reranker-bench",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  };
  const loadStart = loadavg();
  const mach = machine();
  log(`machine: ${mach.nproc} cores, ${mach.memoryGiB} GiB, Node ${mach.node}, Pulumi ${mach.pulumi} (SDK ${mach.pulumiSdk}); load average ${loadStart.map((l) => l.toFixed(2)).join(" ")}`);
  log(`settings: ${JSON.stringify(settings)}`);

  const emu = await startEmulator({
    pendingMs: settings.pendingMs, createdMs: settings.createdMs, loadingMs: settings.loadingMs, modelLoadMs: settings.modelLoadMs,
    lingerDeletedMs: 0, readLagMs: 0, rateLimits: settings.rateLimits === "vast" ? VAST_RATE_LIMITS : {},
  });
  const stack = layout(base, "stack", ROOT, ["Pulumi.yaml", "package.json", "index.ts", "components"], "bench");
  const minimal = layout(base, "minimal", join(ROOT, "tests/fixtures/minimal"), ["Pulumi.yaml", "package.json", "index.ts"], "baseline");
  // The same program with one bad value (a typo in a number): its preview must fail about as fast as a good one.
  const badConfig: Project = { name: "bad-config", dir: stack.dir, stack: "bench-bad" };
  try {
    for (const p of [stack, minimal, badConfig]) await run("pulumi", ["stack", "init", p.stack, "--non-interactive"], p.dir, pulumiEnv);
    for (const p of [stack, badConfig]) {
      await pulumi(p, ["config", "set", "vast:apiUrl", emu.url]);
      await pulumi(p, ["config", "set", "--secret", "vast:apiKey", emu.apiKey]);
    }
    await pulumi(badConfig, ["config", "set", "vast-reranker:diskGb", "4"]);
    await pulumi(minimal, ["up", "--yes", "--skip-preview", "--suppress-progress"]);

    // 1. Lag runs (the last one stays deployed for the no-change measurements).
    const deploys: DeployResult[] = [];
    const destroys: DestroyResult[] = [];
    for (let i = 0; i < settings.runs; i++) {
      deploys.push(await deploy(emu, stack, `deploy ${i + 1}/${settings.runs}`));
      if (i < settings.runs - 1) destroys.push(await destroy(emu, stack, `destroy ${i + 1}`));
    }

    if (opt["lag-only"]) {
      destroys.push(await destroy(emu, stack, `destroy ${settings.runs}`));
      const lags = deploys.map((d) => d.lagS);
      console.log(`lag median ${median(lags).toFixed(3)} s: ${lags.map((l) => l.toFixed(3)).join(", ")}`);
      return;
    }
    // 2. With the stack deployed: load test, then program weight vs the baseline, then a bad config's
    // preview vs the deployed stack's (no changes).
    const lt = weightOnly ? undefined : await loadtest(stack);
    emu.clearRequestLog();
    const preview = await interleaved("preview", stack, minimal, ["preview", "--expect-no-changes", "--suppress-progress"], settings.pairs);
    const noopUp = await interleaved("no-op up", stack, minimal, ["up", "--yes", "--skip-preview", "--expect-no-changes", "--suppress-progress"], settings.pairs);
    const badPreview = await interleaved("bad-config preview", badConfig, stack, ["preview", "--suppress-progress"], settings.pairs, /vast-reranker:diskGb must be at least 8 GB/);
    const noChangeCalls = vastRoutes(emu.routeCounts());
    destroys.push(await destroy(emu, stack, `destroy ${settings.runs}`));

    // 3. A long boot (image pull ≈ 170 s): how many status polls the back-off spends.
    let long: DeployResult | undefined;
    let longDestroy: DestroyResult | undefined;
    if (settings.longLoadingMs > 0) {
      emu.configure({ loadingMs: settings.longLoadingMs });
      long = await deploy(emu, stack, `long boot (loading ${settings.longLoadingMs / 1000} s)`);
      longDestroy = await destroy(emu, stack, "long-boot destroy");
      destroys.push(longDestroy);
      emu.configure({ loadingMs: settings.loadingMs });
    }
    await pulumi(minimal, ["destroy", "--yes", "--skip-preview", "--suppress-progress"]);

    // ---- report
    const lags = deploys.map((d) => d.lagS);
    const checks = deploys.map((d) => d.probeChecksMs);
    const medianDeploy = [...deploys].sort((a, b) => a.total - b.total)[deploys.length >> 1];
    const maxDestroy = [...destroys].sort((a, b) => b.total - a.total)[0];
    const step = (k: string) => median(deploys.map((d) => d.probe.latencyMs?.[k] ?? NaN));
    const med = (f: (d: DeployResult) => number | undefined) => median(deploys.map((d) => f(d) ?? NaN)).toFixed(3);
    const bootS = (settings.pendingMs + settings.createdMs + settings.loadingMs) / 1000;
    const pairRow = (metric: string, s: PairSummary & { cpu: PairSummary }, limit: number, names: [string, string]) =>
      row(`${metric} (median of ${s.pairs} interleaved pairs)`, s.ratio, "×", 2, { cmp: "<=", limit },
        `${names[0]} ${(s.subjectMedianMs / 1000).toFixed(2)} s, ${names[1]} ${(s.baselineMedianMs / 1000).toFixed(2)} s; ratios ${s.ratios.map((r) => r.toFixed(2)).join(", ")}; CPU time ratio ${s.cpu.ratio.toFixed(2)} (${s.cpu.subjectMedianMs.toFixed(2)} s vs ${s.cpu.baselineMedianMs.toFixed(2)} s)`);
    const weightRows: Row[] = [
      row("Vast API calls during the no-change previews and ups", totalCalls(noChangeCalls), "", 0, undefined, formatRoutes(noChangeCalls)),
      pairRow("pulumi preview (no changes) ÷ baseline", preview, 1.25, ["stack", "baseline"]),
      pairRow("pulumi up, no changes ÷ baseline", noopUp, 1.25, ["stack", "baseline"]),
      pairRow("pulumi preview, bad config ÷ good config of the same program", badPreview, 2, ["bad config", "good config"]),
    ];
    const rows: Row[] = weightOnly ? weightRows : [
      ...(await marketBench({ deploys: intOpt("deploys", 30, 1), scale: 200, log })).rows, // tools/bench/market.ts: tailed market, flat vs stall-aware
      row(`lag: stand-in /health 200 → pulumi up exits (median of ${deploys.length})`, median(lags), " s", 3, { cmp: "<=", limit: 0.5 },
        `runs: ${lags.map((l) => l.toFixed(3)).join(", ")}; medians after /health 200: probe exits ${med((d) => d.probeExitS)} s (its checks ${median(checks).toFixed(0)} ms), pulumi exits ${med((d) => d.engineTailS)} s after the probe; probe process started ${med((d) => d.probeStartS)} s`),
      row(`Vast API calls per deploy (boot ${bootS} s + model load ${settings.modelLoadMs / 1000} s)`, medianDeploy.total, "", 0, undefined, `${formatRoutes(medianDeploy.calls)}; ${medianDeploy.throttled} answered 429`),
      long
        ? row(`Vast API calls per deploy, 3-minute boot (loading ${settings.longLoadingMs / 1000} s)`, long.total, "", 0, { cmp: "<=", limit: 25 }, `${formatRoutes(long.calls)}; ${long.throttled} answered 429; lag in that run ${long.lagS.toFixed(3)} s`)
        : { metric: "Vast API calls per deploy, 3-minute boot", value: "skipped", target: "<= 25", detail: "--quick or --no-long" },
      row(`Vast API calls per destroy (max of ${destroys.length})`, maxDestroy.total, "", 0, { cmp: "<=", limit: 3 }, formatRoutes(maxDestroy.calls)),
      row("Vast API calls answered 429, every deploy and destroy", [...deploys, ...(long ? [long] : []), ...destroys].reduce((n, r) => n + r.throttled, 0), "", 0, { cmp: "<=", limit: 0 },
        `deploys ${[...deploys, ...(long ? [long] : [])].map((d) => d.throttled).join(", ")}; destroys ${destroys.map((d) => d.throttled).join(", ")}`),
      ...weightRows,
      row("probe duration after /health 200 (median)", median(checks), " ms", 0, undefined,
        `rerank ${step("rerank")} ms, score ${step("score")} ms, Cohere client ${step("cohere")} ms, auth matrix ${step("authMatrix")} ms`),
      row("probe: waiting for /health (median)", median(deploys.map((d) => d.probe.health?.readyAfterMs ?? NaN)), " ms", 0, undefined,
        `${median(deploys.map((d) => d.probe.health?.polls ?? NaN))} polls; Vast "running" → /health 200 as seen by the benchmark ${median(deploys.map((d) => d.runningToHealthyS)).toFixed(2)} s`),
      row("pulumi up wall time, fresh deploy (median)", median(deploys.map((d) => d.upMs / 1000)), " s", 1),
      lt
        ? row(`load test overhead vs bare undici loop (${settings.loadtestRequests} requests ×5 rounds, interleaved, median ratio)`, lt.overhead, "×", 3, { cmp: "<=", limit: 1.1 },
          `${lt.report.requestsPerSecond.toFixed(1)} req/s, ${lt.report.pairsPerSecond.toFixed(0)} pairs/s, p50 ${lt.report.p50.toFixed(1)} ms, p95 ${lt.report.p95.toFixed(1)} ms, p99 ${lt.report.p99.toFixed(1)} ms (stand-in, not a GPU)`)
        : { metric: "load test overhead vs bare undici loop", value: "skipped", target: "<= 1.1×", detail: "--weight-only" },
      ...(await replicaRows({ pairs: settings.pairs, log, loadingMs: settings.loadingMs, modelLoadMs: settings.modelLoadMs })), // tools/bench/replicas.ts
    ];
    const loadEnd = loadavg();
    const result = {
      when: new Date().toISOString(),
      durationS: +((performance.now() - t0) / 1000).toFixed(1),
      machine: { ...mach, loadAverageStart: loadStart, loadAverageEnd: loadEnd },
      settings,
      lag: { medianS: median(lags), runs: deploys },
      apiCalls: { deploy: medianDeploy, longDeploy: long ?? null, destroys, noChange: noChangeCalls },
      preview,
      noopUp,
      badConfigPreview: badPreview,
      loadtest: lt ?? null,
      rows,
      pass: rows.every((r) => r.pass !== false),
    };
    mkdirSync(dirname(opt.out), { recursive: true });
    writeFileSync(opt.out, JSON.stringify(result, null, 2) + "\n");
    if (opt.markdown) writeFileSync(opt.markdown, markdownTable(rows) + "\n");
    console.log(formatTable(rows));
    console.log(`\n${mach.nproc} cores, ${mach.memoryGiB} GiB, Node ${mach.node}, Pulumi ${mach.pulumi}; load average ${loadStart[0].toFixed(2)} → ${loadEnd[0].toFixed(2)}; ${result.durationS} s`);
    console.log(`JSON: ${opt.out}`);
    if (!result.pass) process.exitCode = 1;
  } finally {
    await emu.stop();
    if (opt.keep) log(`kept ${base}`);
    else rmSync(base, { recursive: true, force: true });
  }
}

if (opt["market-only"]) await marketOnly();
else if (opt["replicas-only"]) console.log(formatTable(await replicaRows({ pairs: intOpt("pairs", 2, 1), log, loadingMs: settings.loadingMs, modelLoadMs: settings.modelLoadMs }))); // tools/bench/replicas.ts
else await main();
