// The boot's wait step (boot.ts): polls one rented instance until it serves, fails, stalls or
// times out. Status reads back off; /health is asked between them once the port is mapped (no Vast
// call); the daemon and container logs are read in the background (logWatch.ts) and shown; the
// stall verdict (stallVerdict.ts) weighs every sign of progress; bootTimeoutSeconds is the outer bound.
import type { Instance } from "../api/types.ts";
import * as vast from "../api/client.ts";
import { readInstanceLog } from "../api/logs.ts";
import { hostPortOf, judgeBoot, nextPollDelayMs, type BootVerdict } from "./bootVerdict.ts";
import { DEFAULT_WORKLOAD, expectedBoot, type HostSpeed } from "./bootExpectation.ts";
import { DEFAULT_STALL_POLICY, DEFAULT_TUNING, judgeStall, msUntilStall, phaseOf, type BootObservation } from "./stallVerdict.ts";
import { LogWatch } from "./logWatch.ts";
import { TrackedInstanceError } from "./bootErrors.ts";
import { secs, sleep, waitScale, type BootContext } from "./bootContext.ts";

/**
 * Production status-poll schedule (docs/benchmarks.md, "Status polls"). First delay: the route's floor
 * (INSTANCE_POLL_FLOOR_MS, 2.1 s: Vast throttles GET /instances/{id} under 2 s). Then ×1.5 per poll
 * without an `actual_status` change (a new status_msg alone does not reset it), capped at 12 s.
 */
export const STATUS_POLL_FIRST_MS = vast.INSTANCE_POLL_FLOOR_MS;
export const STATUS_POLL_CAP_MS = 12_000;

/**
 * A host reading `offline` is failed over only when it stays offline this long (re-read at the poll
 * floor meanwhile): Vast computes `offline` from missed heartbeats, so it can come and go (§4.3).
 */
export const OFFLINE_CONFIRM_MS = 60_000;

/** GET http://ip:port/health: vLLM answers it without the API key; 200 = the endpoint serves. */
export async function httpHealth(_inst: Instance, ip: string, port: number): Promise<boolean> {
  try {
    const r = await fetch(`http://${ip}:${port}/health`, { signal: AbortSignal.timeout(3_000) });
    await r.body?.cancel();
    return r.status === 200;
  } catch {
    return false;
  }
}

/**
 * The provider checks /health itself for vLLM images (ready = serving), so a host that runs but never
 * serves is failed over like a stalled pull instead of failing the readiness probe after the deploy.
 * Other images (tests' base image) serve nothing to check: running + port mapped is ready.
 */
export function checksHealth(image: string): boolean {
  return /(^|\/)vllm[-/]|vllm-openai/i.test(image);
}

export type WaitOutcome = { ok: true; instance: Instance } | { ok: false; reason: string; machineId?: number; aborted?: boolean };

export interface WaitOptions {
  /** The attempt's log prefix ("[attempt 1/3]"). */
  prefix: string;
  /** Just rented: it cannot be running yet, so the first read waits one poll delay. */
  fresh?: boolean;
  /** The offer's advertised speed (else the instance's). */
  host?: HostSpeed;
  /** The race stopped this lane. */
  signal?: AbortSignal;
}

export async function waitForBoot(ctx: BootContext, id: number, w: WaitOptions): Promise<WaitOutcome> {
  const ended = new AbortController(); // stops the background log reads when the wait ends
  const signal = w.signal ? AbortSignal.any([w.signal, ended.signal]) : ended.signal;
  const say = (m: string) => ctx.log(`${w.prefix} instance ${id}: ${m}`);
  const logs = new LogWatch({ read: (kind) => readInstanceLog(ctx.opts, id, kind, { timeScale: ctx.timeScale, signal }), scale: waitScale(ctx), show: say });
  try {
    return await poll(ctx, id, w, logs, say);
  } finally {
    ended.abort();
  }
}

async function poll(ctx: BootContext, id: number, w: WaitOptions, logs: LogWatch, say: (m: string) => void): Promise<WaitOutcome> {
  const started = Date.now();
  const scale = ctx.timeScale ?? 1; // deadlines and shown times (the benchmark's faster time)
  const judge = waitScale(ctx); // judgement windows (also the test knob)
  const stallAware = (ctx.failover ?? "stall") === "stall";
  const tuning = { ...DEFAULT_TUNING, ...ctx.tuning };
  const policy = ctx.stallPolicy ?? DEFAULT_STALL_POLICY;
  const workload = ctx.workload ?? DEFAULT_WORKLOAD;
  const health = ctx.health ?? (checksHealth(ctx.inputs.image) ? httpHealth : undefined);
  let expect = w.host ? expectedBoot(w.host, workload) : undefined;
  let statusSeen: string | null | undefined;
  let msgSeen: string | null | undefined;
  let progressAt = started;
  let runningSince: number | null = null;
  let offlineSince: number | null = null;
  let lastShown = "";
  let sinceChange = 0;
  let machineId: number | undefined;
  const firstMs = ctx.opts.pollFloorMs ?? STATUS_POLL_FIRST_MS;
  // No poll right after the rent: it could only say "loading", and it would be the second call on
  // GET /instances/{id} within Vast's 2 s when a destroy (whose confirm polls) came just before.
  if (w.fresh) await sleep(firstMs, w.signal);
  const deadline = started + ctx.inputs.bootTimeoutSeconds * 1000 * scale;
  for (;;) {
    if (w.signal?.aborted) return { ok: false, aborted: true, reason: "stopped", machineId };
    let inst: Instance | null;
    try {
      inst = await vast.showInstance(ctx.opts, id);
    } catch (e) {
      throw new TrackedInstanceError(`lost contact with the Vast API while instance ${id} was booting: ${(e as Error).message}`, id);
    }
    machineId = inst?.machine_id ?? machineId;
    const now = Date.now();
    const status = inst?.actual_status ?? null;
    const msg = inst?.status_msg?.trim() || null;
    if (status !== statusSeen) {
      [statusSeen, progressAt, sinceChange] = [status, now, 0];
      if (status === "running") runningSince ??= now;
    }
    if (msg !== msgSeen) [msgSeen, progressAt] = [msg, now]; // status_msg holds the host's last docker line
    expect ??= inst ? expectedBoot(inst as HostSpeed, workload) : undefined;
    let verdict: BootVerdict = judgeBoot(inst, ctx.inputs.containerPort, (now - started) / scale);
    if (status === "offline" && verdict.kind === "failed") {
      offlineSince ??= now;
      if (now - offlineSince < OFFLINE_CONFIRM_MS * judge) verdict = { kind: "pending", phase: `offline: failed over only if still offline ${OFFLINE_CONFIRM_MS / 1000} s after the first such reading` };
    } else offlineSince = null;
    const mapped = verdict.kind === "ready" ? verdict : undefined;
    const ready = (how: string): WaitOutcome => {
      ctx.log(`${w.prefix} instance ${id} running at ${mapped?.ip}:${mapped?.port} after ${secs((Date.now() - started) / scale)}${how}`);
      return { ok: true, instance: inst as Instance };
    };
    let healthy: boolean | null = null;
    if (mapped && health) {
      healthy = await health(inst as Instance, mapped.ip, mapped.port).catch(() => false);
      if (!healthy) verdict = { kind: "pending", phase: `running at ${mapped.ip}:${mapped.port}, waiting for /health` };
    }
    if (verdict.kind === "ready") return ready(healthy ? ", /health 200" : "");
    if (verdict.kind === "failed") return { ok: false, reason: `${verdict.reason} (after ${secs((now - started) / scale)})`, machineId };
    const portMapped = status === "running" && inst !== null && hostPortOf(inst, ctx.inputs.containerPort) !== undefined;
    const phase = phaseOf({ status, portMapped, healthy });
    const phaseSince = phase === "pull" ? started : (runningSince ?? now);
    const observe = (): BootObservation => ({
      status, portMapped, healthy, msSinceProgress: Date.now() - Math.max(progressAt, logs.progressAt), logRead: phase !== "serving" && logs.logRead(phase),
    });
    const judged = stallAware && expect !== undefined && phase !== "serving" ? expect : undefined;
    let untilStall = judged ? msUntilStall(observe(), judged, policy, judge) : Infinity;
    const suspicious = () => observe().msSinceProgress > untilStall; // quiet for more than half the limit
    logs.tick(phase, phaseSince, suspicious());
    if (judged && phase !== "serving") {
      if (judgeStall(observe(), judged, policy, judge).kind === "stalled") await logs.confirm(phase); // a fresh read first
      const stall = judgeStall(observe(), judged, policy, judge);
      if (stall.kind === "stalled") return { ok: false, reason: `stalled (failing over early): ${stall.reason}`, machineId };
      untilStall = msUntilStall(observe(), judged, policy, judge);
    }
    const shown = `${verdict.phase}${msg ? ` — ${msg}` : ""}`;
    if (shown !== lastShown) {
      say(`${shown} (${secs((now - started) / scale)})`);
      lastShown = shown;
    }
    if (Date.now() >= deadline) return { ok: false, reason: `not running after ${ctx.inputs.bootTimeoutSeconds} s (bootTimeoutSeconds), last status: ${shown}`, machineId };
    const backoff = offlineSince === null ? nextPollDelayMs(sinceChange++, ctx.opts.pollCapMs ?? STATUS_POLL_CAP_MS, firstMs) : firstMs;
    const until = Date.now() + Math.min(backoff, untilStall, Math.max(0, deadline - Date.now()));
    // Mapped but not serving yet: ask the endpoint itself (no Vast call) between status polls.
    while (mapped && health && healthy === false && !w.signal?.aborted && until - Date.now() > tuning.healthPollMs * scale) {
      await sleep(tuning.healthPollMs * scale, w.signal);
      if (!w.signal?.aborted && (await health(inst as Instance, mapped.ip, mapped.port).catch(() => false))) return ready(", /health 200");
      logs.tick(phase, phaseSince, suspicious());
    }
    await sleep(Math.max(0, until - Date.now()), w.signal);
  }
}
