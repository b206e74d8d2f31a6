// Faults of Vast's lag and flapping (issue 19, "no instance lost to lag"), kept apart from the
// instance lifecycle (instances.ts calls in at two points, vast-api.ts at two):
// - http_5xx_after_success: the call is carried out, then answered 5xx (a rent that rented, whose
//   answer was lost): the client cannot tell whether it happened.
// - list_lag: the v1 list leaves an instance out for `delayMs` (default 20 s) after its create, as a
//   read path that lags the write does; GET by id is not affected (readLagMs is that setting).
// - offline_flap: `delayMs` after `running` (now, for an instance already running) the host reads
//   `offline` for `resumeAfterMs` (default 5 s), then `running` again; the container keeps running.
import type { Reply } from "./http.ts";
import type { Rec } from "./instances.ts";
import type { FaultSpec } from "./types.ts";

const LIST_LAG_MS = 20_000;
const FLAP_MS = 5_000;

/** Whether the v1 list shows `rec` yet (list_lag). */
export function listed(rec: Rec, now = Date.now()): boolean {
  const f = rec.faults.get("list_lag");
  return !f || now - rec.createdAt >= (f.delayMs ?? LIST_LAG_MS);
}

/** The answer a call gets when an http_5xx_after_success fault matched it (the work is done already). */
export function lostAnswer(f: FaultSpec): Reply {
  const s = f.status ?? 502;
  return { status: s, text: `<html>\r\n<head><title>${s} Bad Gateway</title></head>\r\n<body>\r\n<center><h1>${s} Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n`, contentType: "text/html" };
}

function later(rec: Rec, ms: number, fn: () => void): void {
  const t = setTimeout(() => {
    rec.timers.delete(t);
    if (!rec.destroyed) fn();
  }, Math.max(0, ms));
  rec.timers.add(t);
}

/** Starts an offline_flap on a running instance: offline now + delay, back to running after the flap. */
function flap(rec: Rec, f: FaultSpec): void {
  later(rec, f.delayMs ?? 0, () => {
    if (rec.actual !== "running") return;
    rec.actual = "offline";
    later(rec, f.resumeAfterMs ?? FLAP_MS, () => {
      if (rec.actual === "offline") rec.actual = "running";
    });
  });
}

/** Hook (instances.ts, the instance just went `running`). */
export function onRunning(rec: Rec): void {
  const f = rec.faults.get("offline_flap");
  if (f) flap(rec, f);
}

/** Hook (instances.ts applyFault): a lag fault given an existing instance. */
export function applyToExisting(rec: Rec, f: FaultSpec): void {
  if (f.kind === "offline_flap" && rec.actual === "running") flap(rec, f);
}
