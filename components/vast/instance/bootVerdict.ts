// Pure judgement of an instance's boot, from one GET /instances/{id}/ answer.
import type { Instance } from "../api/types.ts";

export type BootVerdict =
  | { kind: "ready"; ip: string; port: number }
  | { kind: "pending"; phase: string }
  | { kind: "failed"; reason: string };

/** Ports as the container sees them; Vast maps each to a random host port. */
export function hostPortOf(inst: Instance, containerPort: number): number | undefined {
  const bindings = inst.ports?.[`${containerPort}/tcp`];
  const hostPort = Array.isArray(bindings) ? bindings.find((b) => b && b.HostPort)?.HostPort : undefined;
  const n = hostPort === undefined ? NaN : Number.parseInt(String(hostPort), 10);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

const FATAL_STATUS: readonly string[] = ["exited", "unknown", "offline"];

export function judgeBoot(inst: Instance | null, containerPort: number, msSinceRent: number, missingGraceMs = 60_000): BootVerdict {
  if (inst === null) {
    // Vast's read path can lag behind the create: a short absence is not a failure.
    return msSinceRent < missingGraceMs
      ? { kind: "pending", phase: "not visible yet" }
      : { kind: "failed", reason: "instance disappeared while booting (destroyed or preempted)" };
  }
  const status = inst.actual_status;
  const msg = (inst.status_msg ?? "").trim();
  if (status !== null && FATAL_STATUS.includes(status)) {
    return { kind: "failed", reason: `instance is ${status}${msg ? `: ${msg}` : ""}` };
  }
  if (/OCI runtime create failed/i.test(msg) || /\bError\b/.test(msg)) {
    return { kind: "failed", reason: `boot error: ${msg}` };
  }
  if (isPausedInterruptible(inst)) {
    return { kind: "failed", reason: `interruptible instance paused (outbid)${msg ? `: ${msg}` : ""}` };
  }
  if (status === "stopped" && inst.intended_status !== "stopped") {
    return { kind: "failed", reason: `instance stopped (outbid or no GPU)${msg ? `: ${msg}` : ""}` };
  }
  if (status === "running") {
    const port = hostPortOf(inst, containerPort);
    const ip = (inst.public_ipaddr ?? "").trim();
    if (port !== undefined && ip) return { kind: "ready", ip, port };
    return { kind: "pending", phase: `running, waiting for ${containerPort}/tcp to be mapped` };
  }
  return { kind: "pending", phase: status ?? "provisioning" };
}

/**
 * Delay before the next status poll. Vast throttles per endpoint, so back off (firstMs × 1.5ⁿ, capped),
 * but start over at a short delay whenever the status changes: the next step usually follows soon.
 * The provider's production values are boot.ts STATUS_POLL_FIRST_MS / STATUS_POLL_CAP_MS.
 */
export function nextPollDelayMs(pollsSinceChange: number, capMs = 10_000, firstMs = 1_000): number {
  return Math.min(capMs, Math.round(firstMs * 1.5 ** pollsSinceChange));
}

/**
 * An interruptible (bid) instance that Vast paused because it was outbid — or that waits to get its GPU
 * back. Vast pauses it and keeps billing its storage; it resumes by itself when its bid is the highest
 * again (docs/vast-api.md §6). Recognised as dstack does (`cur_state`, `intended_status` and
 * `next_state` all `stopped`) or as the Terraform provider does (`intended_status` running while
 * `actual_status` is stopped). A bid instance its owner stopped on purpose looks the same.
 */
export function isPausedInterruptible(inst: Instance): boolean {
  if (!inst.is_bid) return false;
  if (inst.intended_status === "running" && inst.actual_status === "stopped") return true;
  return inst.cur_state === "stopped" && inst.intended_status === "stopped" && inst.next_state === "stopped";
}
