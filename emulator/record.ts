// One emulated instance's record (what the API shows and what drives its life), the status texts
// the emulator writes into it, and how a new record is priced. The lifecycle is in instances.ts.
import { join } from "node:path";
import type { ActualStatus, Offer, PortBinding } from "../components/vast/api/types.ts";
import { priced } from "./market.ts";
import type { InstanceRuntime, Proc } from "./runtime.ts";
import type { BootPlan } from "./tail.ts";
import type { FaultKind, FaultSpec } from "./types.ts";
import type { CreateRequest } from "./validate.ts";

export const OCI_CREATE_FAILED =
  "Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: " +
  "runc create failed: unable to start container process: error during container init: error running hook #0: error running hook: " +
  "exit status 1, stdout: , stderr: nvidia-container-cli: initialization error: nvml error: driver/library version mismatch: unknown";
export const OCI_EXEC_FAILED =
  "Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: " +
  "runc create failed: unable to start container process: exec: \"vllm\": executable file not found in $PATH: unknown";

/** Invented (Vast documents no status_msg for it; its notification says "Instance outbid ... paused"). */
export const OUTBID_MSG = "Instance outbid: paused until its bid is the highest again";
/** Stale text on a running instance, as in Vast's own CLI test (vast-cli commit b3bcd054). */
export const STALE_BUILD_MSG = "Error response from daemon: stale build status";

export interface Rec {
  id: number;
  /** The API key that rented it: another key's GET sees `{"instances": null}` (reference §3). */
  owner: string;
  offer: Offer; // priced at rent time
  req: CreateRequest;
  createdAt: number;
  actual: ActualStatus;
  intended: string;
  cur: string;
  next: string;
  statusMsg: string | null;
  label: string | null;
  isBid: boolean;
  runningSince: number | null;
  ports: Record<string, PortBinding[]> | null;
  hostPorts: Record<string, number>;
  sshPort: number | null;
  faults: Map<FaultKind, FaultSpec>;
  destroyed: boolean;
  destroyedAt: number | null;
  /** A DELETE was accepted but a `slow_destroy` fault keeps the record as it was until it takes effect. */
  destroying: boolean;
  vanished: boolean;
  timers: Set<NodeJS.Timeout>;
  proc: Proc | null;
  dir: string;
  logFile: string;
  jupyterToken: string;
  /** Phase times and host fate from the tailed market model (null: the flat Settings timings). */
  plan: BootPlan | null;
  /** A serverless worker: runs isolated (Instances.containerHook, emulator/serverless) with extra env. */
  container?: { extraEnv: Record<string, string>; stop?: () => void };
}

export interface RuntimeConfig {
  runtime: InstanceRuntime;
  python: string;
  workDir: string;
}

/** A fresh record for a rent of `offer`: priced as rented (a bid bills its price plus the disk). */
export function newRecord(id: number, owner: string, offer: Offer, req: CreateRequest, faults: FaultSpec[], workDir: string): Rec {
  const dir = join(workDir, `instance-${id}`);
  return {
    id, owner, req, createdAt: Date.now(), actual: null, statusMsg: null, label: req.label,
    offer: { ...priced(offer, req.price !== null, req.disk), ...(req.price !== null ? { dph_total: round(req.price + diskHour(offer, req.disk)) } : {}) },
    intended: req.targetState, cur: req.targetState, next: req.targetState,
    // `ports` is {} until running (recorded), direct_port_* -1 (wire.ts).
    isBid: req.price !== null, runningSince: null, ports: {}, hostPorts: {}, sshPort: null,
    faults: new Map(faults.map((f) => [f.kind, f])), destroyed: false, destroyedAt: null, destroying: false, vanished: false,
    timers: new Set(), proc: null, dir, logFile: join(dir, "container.log"),
    jupyterToken: Math.random().toString(16).slice(2).padEnd(16, "0"),
    plan: null,
  };
}

/** Prices moved between search and rent: the instance bills `factor` x (default 2). */
export function reprice(rec: Rec, f: FaultSpec): void {
  const k = f.factor ?? 2;
  rec.offer = { ...rec.offer, dph_total: round(rec.offer.dph_total * k), dph_base: round((rec.offer.dph_base ?? rec.offer.dph_total) * k) };
}

function diskHour(o: Offer, disk: number): number {
  return ((o.storage_cost ?? 0) * disk) / (30 * 24);
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
