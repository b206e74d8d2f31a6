// Pure judgement of an instance's boot, from one GET /instances/{id}/ answer, on the evidence of
// recorded Vast answers (docs/vast-api.md §4.3, reference §1 and §4):
// - `running` (intended and actual) wins over any `status_msg`: a running instance can keep stale
//   error text (Vast's CLI commit b3bcd054 judges so; the released vastai 1.9.1 still fails on it);
// - a boot Vast gave up (`intended_status` → stopped while `actual_status` is still created/loading)
//   fails at once, with or without error text;
// - only known fatal text fails a boot that is not running (fatalStatusMessage); docker pull and
//   build lines, whatever words they contain, are progress.
import type { Instance } from "../api/types.ts";

export type BootVerdict =
  | { kind: "ready"; ip: string; port: number }
  | { kind: "pending"; phase: string }
  | { kind: "failed"; reason: string };

/** Ports as the container sees them; Vast maps each to a random host port (one IPv4 and one IPv6 binding). */
export function hostPortOf(inst: Instance, containerPort: number): number | undefined {
  const bindings = inst.ports?.[`${containerPort}/tcp`];
  const hostPort = Array.isArray(bindings) ? bindings.find((b) => b && b.HostPort)?.HostPort : undefined;
  const n = hostPort === undefined ? NaN : Number.parseInt(String(hostPort), 10);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** `actual_status` values from which an instance never reaches running (Vast's SKILL.md). */
const DEAD_STATUS: readonly string[] = ["exited", "unknown", "offline"];
/** States that end a boot when Vast sets them before running (Vast's CLI, commit b3bcd054). */
const TERMINAL: readonly string[] = ["destroyed", "error", "exited", "failed", "failure", "stopped", "terminated"];

/**
 * `status_msg` text that means the boot cannot succeed: the markers of Vast's CLI (commit b3bcd054),
 * registry authorization and missing templates (`unauthorized`, `authentication required`,
 * `Template not found`), and the recorded `unknown or invalid runtime name` (a host without the
 * NVIDIA runtime). Anything else — `Pull complete`, `Pulling from …`, a build line that happens to
 * contain "error" (`liberror-perl`), a bare `Error: Internal error.` — is not enough on its own.
 */
const FATAL_MARKERS: ReadonlyArray<[string, RegExp]> = [
  ["oci runtime", /oci runtime/i], ["permission denied", /permission denied/i], ["pull access denied", /pull access denied/i],
  ["repository does not exist", /repository does not exist/i], ["no such image", /no such image/i],
  ["exec format error", /exec format error/i], ["failed to start", /failed to start/i],
  ["invalid reference format", /invalid reference format/i], ["manifest unknown", /manifest unknown/i],
  ["no matching manifest", /no matching manifest/i], ["manifest … not found", /manifest\b.*\bnot found/i],
  ["requested access … denied", /requested access\b.*\bdenied/i], ["rpc error", /rpc error/i], ["docker: error", /docker: error/i],
  ["unauthorized", /unauthorized/i], ["authentication required", /authentication required/i],
  ["template not found", /template not found/i], ["unknown or invalid runtime name", /unknown or invalid runtime name/i],
];

/** The fatal marker `msg` carries, or undefined when the text is progress (or unknown). */
export function fatalStatusMessage(msg: string | null | undefined): string | undefined {
  const text = (msg ?? "").trim();
  return text ? FATAL_MARKERS.find(([, re]) => re.test(text))?.[0] : undefined;
}

/** Vast gave the boot up: intended (or current) state terminal while the container never ran. */
export function isAbandonedBoot(inst: Instance): boolean {
  if (inst.actual_status === "running") return false;
  const gaveUp = TERMINAL.includes(String(inst.intended_status ?? "")) || (inst.cur_state === "stopped" && inst.next_state === "stopped");
  return gaveUp && (inst.actual_status === null || inst.actual_status === undefined || inst.actual_status === "created" || inst.actual_status === "loading");
}

export function judgeBoot(inst: Instance | null, containerPort: number, msSinceRent: number, missingGraceMs = 60_000): BootVerdict {
  if (inst === null) {
    // Vast's read path can lag behind the create: a short absence is not a failure.
    return msSinceRent < missingGraceMs
      ? { kind: "pending", phase: "not visible yet" }
      : { kind: "failed", reason: "instance disappeared while booting (destroyed or preempted)" };
  }
  const status = inst.actual_status ?? null;
  const msg = (inst.status_msg ?? "").trim();
  const said = msg ? `: ${msg}` : "";
  // Partial records may lack intended_status: only an explicit other value contradicts `running`.
  const intended = inst.intended_status ?? "running";
  if (status === "running" && intended === "running") {
    const port = hostPortOf(inst, containerPort);
    const ip = (inst.public_ipaddr ?? "").trim();
    if (port !== undefined && ip) return { kind: "ready", ip, port };
    return { kind: "pending", phase: `running, waiting for ${containerPort}/tcp to be mapped` };
  }
  if (status !== null && DEAD_STATUS.includes(status)) return { kind: "failed", reason: `instance is ${status}${said}` };
  if (isPausedInterruptible(inst)) return { kind: "failed", reason: `interruptible instance paused (outbid)${said}` };
  if (isAbandonedBoot(inst)) {
    return { kind: "failed", reason: `Vast gave the boot up (intended_status ${inst.intended_status}, cur_state ${inst.cur_state} while actual_status is ${status ?? "null"})${said}` };
  }
  if (status !== null && TERMINAL.includes(status)) return { kind: "failed", reason: `instance ${status} before running (outbid or no GPU)${said}` };
  if (status === "running") return { kind: "failed", reason: `instance running but intended_status is ${intended}${said}` };
  const fatal = fatalStatusMessage(msg);
  if (fatal) return { kind: "failed", reason: `boot error (${fatal})${said}` };
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
