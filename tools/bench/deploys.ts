// The lag and call-count runs of the benchmark (tools/bench/bench.ts): a `pulumi up` timed from the
// stand-in's first /health 200 (the benchmark polls it itself) to the CLI's exit, with the probe
// process followed through /proc, and the Vast calls of each deploy and destroy.
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { request as httpRequest } from "node:http";
import type { RunningEmulator } from "../../emulator/index.ts";
import { formatRoutes, lagSeconds, probeChecksMs, totalCalls, vastRoutes, type ProbeReport, type RouteCounts } from "./report.ts";
import { pulumi, type Project, type Ran } from "./procs.ts";

/** How often the benchmark itself polls the stand-in's /health to timestamp readiness. */
export const HEALTH_POLL_MS = 10;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

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
      } else await sleep(HEALTH_POLL_MS);
    }
    while (!stop.done && w.port !== undefined) {
      w.polls++;
      if ((await healthStatus(w.port)) === 200) {
        w.healthyAt = performance.now();
        break;
      }
      await sleep(HEALTH_POLL_MS);
    }
  })();
  return Promise.all([health, probe]).then(() => w);
}

// ---------------------------------------------------------------------------------------------
// Deploy / destroy with call counting

export interface DeployResult {
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

export interface DestroyResult {
  ms: number;
  calls: RouteCounts;
  total: number;
  /** Calls answered 429, included in total. */
  throttled: number;
}

function live(emu: RunningEmulator) {
  return emu.instances().filter((i) => !i._emulator.destroyed && !i._emulator.vanished);
}

export async function deploy(emu: RunningEmulator, p: Project, label: string, log: (m: string) => void): Promise<DeployResult> {
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

export async function destroy(emu: RunningEmulator, p: Project, label: string, log: (m: string) => void): Promise<DestroyResult> {
  emu.clearRequestLog();
  const d = await pulumi(p, ["destroy", "--yes", "--skip-preview", "--suppress-progress"]);
  const calls = vastRoutes(emu.routeCounts());
  const throttled = emu.requestLog().filter((e) => e.status === 429).length;
  if (live(emu).length) throw new Error(`${label}: instances still live after destroy: ${live(emu).map((i) => i.id).join(", ")}`);
  log(`${label}: destroy ${(d.ms / 1000).toFixed(1)} s, ${totalCalls(calls)} Vast calls (${throttled} throttled): ${formatRoutes(calls)}`);
  return { ms: d.ms, calls, total: totalCalls(calls), throttled };
}

