// Fault registry, rate limiter and request log of the emulator.
import type { FaultKind, FaultSpec, LogEntry, RateLimits, StoredFault } from "./types.ts";

// A Record so that a FaultKind added to the shared types fails to compile here until handled.
const KIND_CLASS: Record<FaultKind, "create" | "instance" | "http" | "http_after"> = {
  offer_taken: "create",
  boot_exited: "instance",
  boot_oci_created: "instance",
  stuck_loading: "instance",
  offline_after_running: "instance",
  vanish: "instance",
  slow_destroy: "instance",
  outbid: "instance",
  outbid_resume: "instance",
  model_load_fail: "instance",
  never_serve: "instance",
  price_change: "instance",
  abandoned_boot: "instance",
  stale_status_msg: "instance",
  bid_pending: "create",
  slow: "http",
  http_429: "http",
  http_5xx: "http",
  http_5xx_after_success: "http_after",
  list_lag: "instance",
  offline_flap: "instance",
};
const FAULT_KINDS = Object.keys(KIND_CLASS) as FaultKind[];
/** Faults that shape an instance's life (matched when an instance is created, or applied to one). */
export const INSTANCE_KINDS = FAULT_KINDS.filter((k) => KIND_CLASS[k] === "instance");
const HTTP_KINDS = FAULT_KINDS.filter((k) => KIND_CLASS[k] === "http");

export function checkFault(spec: unknown): FaultSpec {
  const s = spec as FaultSpec;
  if (!s || typeof s !== "object" || !FAULT_KINDS.includes(s.kind)) {
    throw new Error(`fault kind must be one of ${FAULT_KINDS.join(", ")}`);
  }
  for (const k of ["offerId", "machineId", "instanceId", "count", "status", "delayMs", "factor", "resumeAfterMs"] as const) {
    if (s[k] !== undefined && typeof s[k] !== "number") throw new Error(`fault ${k} must be a number`);
  }
  if (s.route !== undefined && typeof s.route !== "string") throw new Error("fault route must be a string");
  if (s.message !== undefined && typeof s.message !== "string") throw new Error("fault message must be a string");
  if (s.factor !== undefined && !(s.factor > 0)) throw new Error("fault factor must be > 0");
  if ((s.kind === "http_5xx" || s.kind === "http_5xx_after_success") && s.status !== undefined && (s.status < 500 || s.status > 599)) {
    throw new Error("http_5xx status must be 5xx");
  }
  return s;
}

export interface Scope {
  offerId?: number;
  machineId?: number;
  instanceId?: number;
}

function inScope(f: FaultSpec, s: Scope): boolean {
  if (f.offerId !== undefined && f.offerId !== s.offerId) return false;
  if (f.machineId !== undefined && f.machineId !== s.machineId) return false;
  if (f.instanceId !== undefined && f.instanceId !== s.instanceId) return false;
  return true;
}

export class Faults {
  private list: StoredFault[] = [];
  private nextId = 1;

  add(spec: FaultSpec): StoredFault {
    const f: StoredFault = { ...checkFault(spec), id: this.nextId++, remaining: spec.count ?? 1 };
    this.list.push(f);
    return f;
  }

  all(): StoredFault[] {
    return this.list.map((f) => ({ ...f }));
  }

  clear(): void {
    this.list = [];
  }

  remove(id: number): boolean {
    const n = this.list.length;
    this.list = this.list.filter((f) => f.id !== id);
    return this.list.length !== n;
  }

  private consume(f: StoredFault): void {
    if (f.remaining > 0) f.remaining -= 1;
    if (f.remaining === 0) this.list = this.list.filter((x) => x !== f);
  }

  /** Take every matching fault of the given kinds (each consumes one of its count). */
  take(kinds: readonly FaultKind[], scope: Scope): StoredFault[] {
    const hits = this.list.filter((f) => kinds.includes(f.kind) && inScope(f, scope));
    hits.forEach((f) => this.consume(f));
    return hits;
  }

  /** An http_5xx_after_success fault for a call that was carried out (consumed), or null. */
  afterSuccess(route: string, scope: Scope): StoredFault | null {
    const f = this.list.find((x) => x.kind === "http_5xx_after_success" && (!x.route || x.route === route) && inScope(x, scope));
    if (f) this.consume(f);
    return f ?? null;
  }

  /** HTTP faults for one API call: a delay and/or an error status. */
  http(route: string, scope: Scope): { delayMs: number; error: StoredFault | null } {
    const hits = this.list.filter((f) => HTTP_KINDS.includes(f.kind) && (!f.route || f.route === route) && inScope(f, scope));
    let delayMs = 0;
    let error: StoredFault | null = null;
    for (const f of hits) {
      if (f.kind === "slow") {
        delayMs = Math.max(delayMs, f.delayMs ?? 2000);
        this.consume(f);
      } else if (!error) {
        error = f;
        this.consume(f);
      }
    }
    return { delayMs, error };
  }
}

/** Production's documented thresholds (seconds between calls; docs/vast-api.md §6), as ms. */
export const VAST_RATE_LIMITS: RateLimits = {
  "PUT /api/v0/asks/:id": 4500,
  "GET /api/v0/instances/:id": 2000,
  "GET /api/v1/instances": 1000,
  "DELETE /api/v0/instances/:id": 3000,
  "PUT /api/v0/instances/:id": 1000,
  "POST /api/v0/bundles": 6000,
  "GET /api/v0/bundles": 6000,
};

export function thresholdText(ms: number): string {
  const s = ms / 1000;
  return Number.isInteger(s) ? s.toFixed(1) : String(s);
}

export class RateLimiter {
  private last = new Map<string, number>();

  /** The threshold (ms) that was violated, or 0 when the call may go on (and is then recorded). */
  check(route: string, identity: string, limits: RateLimits, now = Date.now()): number {
    const min = limits[route] ?? limits["*"] ?? 0;
    if (min <= 0) return 0;
    const key = `${identity} ${route}`;
    const prev = this.last.get(key);
    if (prev !== undefined && now - prev < min) return min;
    this.last.set(key, now);
    return 0;
  }

  clear(): void {
    this.last.clear();
  }
}

const MAX_LOG = 100_000;

export class RequestLog {
  private entries: LogEntry[] = [];
  private counts = new Map<string, number>();

  add(e: LogEntry): void {
    this.entries.push(e);
    if (this.entries.length > MAX_LOG) this.entries.splice(0, this.entries.length - MAX_LOG);
    this.counts.set(e.route, (this.counts.get(e.route) ?? 0) + 1);
  }

  list(): LogEntry[] {
    return this.entries.slice();
  }

  routeCounts(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  clear(): void {
    this.entries = [];
    this.counts.clear();
  }
}
