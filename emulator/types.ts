// Emulator-internal types: fault injection, options, settings, log entries.
import type { Instance, Offer } from "../components/vast/api/types.ts";

/** Admin API: faults that can be injected (emulator/README.md, "Faults"). */
export type FaultKind =
  | "offer_taken" // the offer is rented by someone else between search and create
  | "boot_exited" // boot ends `exited` with an OCI error in status_msg
  | "boot_oci_created" // stays `created` with ": OCI runtime create failed:" in status_msg
  | "stuck_loading" // never leaves `loading`
  | "offline_after_running" // host goes offline once running
  | "vanish" // instance disappears (as if destroyed out of band)
  | "slow_destroy" // DELETE succeeds but GET shows the instance unchanged for `delayMs` (read lag after a destroy)
  | "outbid" // an interruptible (bid) instance is paused, not destroyed; resumes after `resumeAfterMs` if given
  | "outbid_resume" // a paused (outbid) interruptible instance regains priority and resumes
  | "model_load_fail" // the vLLM stand-in never becomes healthy
  | "never_serve" // the instance runs with its ports mapped but nothing is ever started behind them
  | "slow" // API responses delayed by `delayMs`
  | "http_429" // the next `count` matching calls answer 429
  | "http_5xx" // the next `count` matching calls answer 502/503
  | "price_change" // the rented instance bills `factor` x the searched price (prices move between search and rent)
  | "abandoned_boot" // Vast gives the boot up: stuck in loading (status_msg `message` if given), then after `delayMs` intended/cur/next -> stopped
  | "stale_status_msg" // once running, status_msg keeps stale error text (`message`, default Vast's own test's)
  | "bid_pending" // a bid rent answers success:false with a live contract (recorded); the instance waits stopped
  | "http_5xx_after_success" // the next `count` matching calls are carried out, then answered 5xx (lagFaults.ts)
  | "list_lag" // the v1 list leaves the instance out for `delayMs` after its create (lagFaults.ts)
  | "offline_flap"; // the running host reads `offline` for `resumeAfterMs`, then `running` again (lagFaults.ts)

export interface FaultSpec {
  kind: FaultKind;
  /** Scope: an offer id, a machine id, or an instance id; none = global (next rent, or next N calls). */
  offerId?: number;
  machineId?: number;
  instanceId?: number;
  /** For http_429 / http_5xx / slow: how many calls it applies to (default 1; -1 = until cleared). */
  count?: number;
  /** For http_* / slow: restrict to a route key such as "GET /api/v0/instances/:id". */
  route?: string;
  status?: number;
  delayMs?: number;
  /** For price_change: multiplier of the instance's dph_total. */
  factor?: number;
  /** For outbid: the instance regains priority and resumes this long after it was paused (default: stays paused). For offline_flap: how long it reads offline. */
  resumeAfterMs?: number;
  /** For abandoned_boot / stale_status_msg: the status_msg text. */
  message?: string;
}

/** Boot timings (ms). Each is the time spent in one phase. */
export interface Timings {
  /** `actual_status: null` after create, before `created`. */
  pendingMs: number;
  /** Time in `created` before `loading`. */
  createdMs: number;
  /** Time in `loading` (image pull) before `running`. */
  loadingMs: number;
  /** The vLLM stand-in's "model load": connection refused for this long after `running`. */
  modelLoadMs: number;
  /** After DELETE, GET still shows the record with `cur_state: "unloaded"` for this long (0 = gone at once). */
  lingerDeletedMs: number;
  /** After create, GET answers `{"instances": null}` for this long (read-after-create lag). */
  readLagMs: number;
}

/** Minimum interval (ms) between two calls of one route by one identity; key = route key or "*". */
export type RateLimits = Record<string, number>;

export interface Settings extends Timings {
  missingKeyStatus: 401 | 403;
  rateLimits: RateLimits;
  /** Legacy `GET /api/v0/instances`: 410 as production does now, or the old list. */
  legacyInstanceList: "gone" | "list";
}

export interface EmulatorOptions extends Partial<Settings> {
  /** 0 (default) = a free port. Always bound on 127.0.0.1. */
  port?: number;
  /** Accepted API keys; default: one generated key. The first is `RunningEmulator.apiKey`. */
  apiKeys?: string[];
  /** Market JSON file (array of offers or `{"offers": [...]}`); default emulator/market.json. */
  marketFile?: string;
  /** Where per-instance dirs and logs go; default a fresh temp dir, removed by stop(). */
  workDir?: string;
  /** Python for the vLLM stand-in; default env VAST_EMULATOR_PYTHON, else .cache/venv/bin/python. */
  python?: string;
  /** What serves an instance's launch: "standin" (default, fast) or "vllm" (the real CPU build). */
  runtime?: "standin" | "vllm";
  /** The market model with a tail (emulator/tail.ts): per-host boot times and stalling hosts. */
  tail?: Partial<import("./tail.ts").TailModel>;
  /** Log every API request to stderr. */
  verbose?: boolean;
  /** Vast Serverless engine timings (emulator/serverless/autoscaler.ts); defaults DEFAULT_SCALER_TIMINGS. */
  serverless?: Partial<import("./serverless/autoscaler.ts").ScalerTimings>;
}

export interface LogEntry {
  ts: number;
  method: string;
  route: string;
  path: string;
  status: number;
  identity: string;
}

export interface AdminInstance extends Instance {
  /** Emulator-only bookkeeping, not on the real wire. */
  _emulator: {
    destroyed: boolean;
    vanished: boolean;
    pid: number | null;
    logFile: string | null;
    faults: string[];
    offerId: number;
    createdAt: number;
    destroyedAt: number | null;
    tail: { fate: string; factor: number; servesAt: number | null } | null;
  };
}

export interface StoredFault extends FaultSpec {
  id: number;
  /** Remaining matches; -1 = until cleared. */
  remaining: number;
}

export interface RunningEmulator {
  url: string;
  /** Vast Serverless: endpoints, worker groups, workers, the engine (emulator/serverless/). */
  serverless: import("./serverless/index.ts").Serverless;
  apiKey: string;
  apiKeys: string[];
  port: number;
  stop(): Promise<void>;
  requestLog(): LogEntry[];
  routeCounts(): Record<string, number>;
  clearRequestLog(): void;
  /** Every instance record, destroyed and vanished ones included (flagged in `_emulator`). */
  instances(): AdminInstance[];
  instanceLogs(id: number): string;
  /** Stored (pending) faults; a fault applied at once to an existing instance is not kept. */
  faults(): StoredFault[];
  injectFault(spec: FaultSpec): StoredFault;
  clearFaults(): void;
  /** Every offer, rented ones included (`rented: true`). */
  market(): Offer[];
  configure(patch: Partial<Settings>): Settings;
  replaceMarket(offers: unknown): number;
  /** Turn the tailed market model on (validated, defaults from DEFAULT_TAIL) or off (null); applies to later rents. */
  setTail(model: Partial<import("./tail.ts").TailModel> | null): void;
  /** Destroys every instance (processes killed), clears faults and log, restores the market. */
  reset(): Promise<void>;
}
