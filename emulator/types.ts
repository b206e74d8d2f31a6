// Emulator-internal types: options, settings, log entries.
import type { FaultSpec, Instance, Offer } from "../components/vast/types.ts";

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
  /** Log every API request to stderr. */
  verbose?: boolean;
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
  };
}

export interface StoredFault extends FaultSpec {
  id: number;
  /** Remaining matches; -1 = until cleared. */
  remaining: number;
}

export interface RunningEmulator {
  url: string;
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
  /** Destroys every instance (processes killed), clears faults and log, restores the market. */
  reset(): Promise<void>;
}
