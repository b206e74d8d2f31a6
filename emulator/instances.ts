// Instance records and their lifecycle: null -> created -> loading -> running, with injected faults.
import { join } from "node:path";
import type { ActualStatus, Offer, PortBinding } from "../components/vast/api/types.ts";
import { priced } from "./market.ts";
import { appendLog, containerEnv, freePort, kill, launch, launchArgv, type InstanceRuntime, type Proc } from "./runtime.ts";
import type { FaultKind, FaultSpec, Settings } from "./types.ts";
import { publishedPorts, type CreateRequest } from "./validate.ts";
import { bootPlan, type BootPlan, type TailModel } from "./tail.ts";
import { pullStalls, pullStarted } from "./logs.ts";
import * as lag from "./lagFaults.ts";

export const OCI_CREATE_FAILED =
  "Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: " +
  "runc create failed: unable to start container process: error during container init: error running hook #0: error running hook: " +
  "exit status 1, stdout: , stderr: nvidia-container-cli: initialization error: nvml error: driver/library version mismatch: unknown";
export const OCI_EXEC_FAILED =
  "Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: " +
  "runc create failed: unable to start container process: exec: \"vllm\": executable file not found in $PATH: unknown";

/** Invented (Vast documents no status_msg for it; its notification says "Instance outbid ... paused"). */
export const OUTBID_MSG = "Instance outbid: paused until its bid is the highest again";

export interface Rec {
  id: number;
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
}

export interface RuntimeConfig {
  runtime: InstanceRuntime;
  python: string;
  workDir: string;
}

export class Instances {
  readonly recs = new Map<number, Rec>();
  private nextId = 24_310_001;
  private settings: Settings;
  private rt: RuntimeConfig;
  private onFree: (offerId: number) => void;
  private closed = false; // set by shutdown(): nothing may start afterwards
  /** The market model with a tail (emulator/tail.ts); null = every host boots in the Settings timings. */
  tail: TailModel | null = null;
  private rentsPerMachine = new Map<number, number>();

  constructor(settings: Settings, rt: RuntimeConfig, onFree: (offerId: number) => void) {
    this.settings = settings;
    this.rt = rt;
    this.onFree = onFree;
  }

  nextInstanceId(): number {
    return this.nextId;
  }

  create(offer: Offer, req: CreateRequest, faults: FaultSpec[], lowBid: boolean): Rec {
    const id = this.nextId++;
    const dir = join(this.rt.workDir, `instance-${id}`);
    const rec: Rec = {
      id, req, createdAt: Date.now(), actual: null, statusMsg: null, label: req.label,
      offer: { ...priced(offer, req.price !== null, req.disk), ...(req.price !== null ? { dph_total: round(req.price + diskHour(offer, req.disk)) } : {}) },
      intended: req.targetState, cur: req.targetState, next: req.targetState,
      isBid: req.price !== null, runningSince: null, ports: null, hostPorts: {}, sshPort: null,
      faults: new Map(faults.map((f) => [f.kind, f])), destroyed: false, destroyedAt: null, destroying: false, vanished: false,
      timers: new Set(), proc: null, dir, logFile: join(dir, "container.log"),
      jupyterToken: Math.random().toString(16).slice(2).padEnd(16, "0"),
      plan: null,
    };
    if (this.tail) {
      const nth = (this.rentsPerMachine.get(offer.machine_id) ?? 0) + 1;
      this.rentsPerMachine.set(offer.machine_id, nth);
      rec.plan = bootPlan(this.tail, offer as Offer & { disk_bw?: number }, nth);
    }
    const moved = rec.faults.get("price_change");
    if (moved) this.reprice(rec, moved);
    if (lowBid) {
      // Vast creates an outbid spot instance stopped (docs/vast-api.md §3.2).
      Object.assign(rec, { intended: "stopped", cur: "stopped", next: "stopped" });
    }
    this.recs.set(id, rec);
    this.after(rec, this.settings.pendingMs, () => this.toCreated(rec));
    return rec;
  }

  private after(rec: Rec, ms: number, fn: () => void | Promise<void>): void {
    const t = setTimeout(() => {
      rec.timers.delete(t);
      if (!rec.destroyed && !this.closed && this.recs.get(rec.id) === rec) void fn();
    }, Math.max(0, ms));
    rec.timers.add(t);
  }

  private clearTimers(rec: Rec): void {
    rec.timers.forEach((t) => clearTimeout(t));
    rec.timers.clear();
  }

  private toCreated(rec: Rec): void {
    rec.actual = "created";
    rec.sshPort = 20_000 + (rec.id % 40_000);
    if (rec.faults.has("boot_oci_created")) {
      rec.statusMsg = OCI_CREATE_FAILED; // dstack's fatal pattern: created + ": OCI runtime create failed:"
      return;
    }
    rec.statusMsg = "Creating container";
    if (rec.intended === "stopped") return this.after(rec, this.settings.createdMs, () => this.toStopped(rec));
    this.after(rec, rec.plan?.createdMs ?? this.settings.createdMs, () => this.toLoading(rec));
  }

  private toLoading(rec: Rec): void {
    rec.actual = "loading";
    rec.statusMsg = `Pulling image ${rec.req.image}: downloading layers`;
    const stalls = rec.faults.has("stuck_loading") || rec.plan?.fate.kind === "stall_loading";
    pullStarted(rec, rec.plan?.loadingMs ?? this.settings.loadingMs, stalls); // the daemon log's pull lines (logs.ts)
    if (stalls) return;
    if (rec.faults.has("boot_exited")) {
      return this.after(rec, this.settings.loadingMs, () => this.toExited(rec, OCI_EXEC_FAILED));
    }
    this.after(rec, rec.plan?.loadingMs ?? this.settings.loadingMs, () => this.toRunning(rec));
  }

  private async toRunning(rec: Rec): Promise<void> {
    const direct = (rec.offer.direct_port_count ?? 0) > 0;
    const wanted = direct ? publishedPorts(rec.req.env) : [];
    const tokens = rec.req.runtype.split(/\s+/);
    const hostPorts: Record<string, number> = {};
    const taken = new Set(this.live().flatMap((r) => Object.values(r.hostPorts)));
    for (const p of wanted) {
      // A port handed out earlier may not be bound yet (model load): never hand it out twice.
      let port = 30_000 + (rec.id % 20_000);
      for (let n = 0; p.proto === "tcp" && n < 20 && (n === 0 || taken.has(port)); n++) port = await freePort();
      taken.add(port);
      hostPorts[p.key] = port;
    }
    if (direct && tokens.some((t) => t.endsWith("_direc") || t.endsWith("_direct"))) hostPorts["22/tcp"] = rec.sshPort ?? 22;
    if (direct && tokens.some((t) => t.startsWith("jupyter_direc"))) hostPorts["8080/tcp"] = (rec.sshPort ?? 22) + 1;
    // Changed while we were allocating (destroyed, stopped, emulator shut down or reset)?
    if (rec.destroyed || rec.actual !== "loading" || this.closed || this.recs.get(rec.id) !== rec) return;
    rec.hostPorts = hostPorts;
    rec.ports = Object.fromEntries(Object.entries(hostPorts).map(([k, v]) => [k, [{ HostIp: "0.0.0.0", HostPort: String(v) }]]));
    rec.actual = "running";
    rec.runningSince = Date.now();
    rec.statusMsg = `success, running ${rec.req.image.replace(/:/g, "_")}/${tokens[0]}`;
    this.start(rec);
    const off = rec.faults.get("offline_after_running");
    if (off) this.after(rec, off.delayMs ?? 0, () => this.toOffline(rec));
    const van = rec.faults.get("vanish");
    if (van) this.after(rec, van.delayMs ?? 0, () => this.vanish(rec));
    const bid = rec.faults.get("outbid");
    if (bid) this.after(rec, bid.delayMs ?? 0, () => this.outbid(rec, bid));
    lag.onRunning(rec);
  }

  private start(rec: Rec): void {
    const argv = launchArgv(rec.req);
    // Tailed market, a host that never serves: `running`, ports mapped, nothing ever listens.
    if (!argv || rec.plan?.fate.kind === "never_serve" || rec.faults.has("never_serve")) return;
    const env = containerEnv({
      id: rec.id,
      runtime: this.rt.runtime,
      dir: rec.dir,
      image: rec.req.image,
      env: rec.req.env,
      hostPorts: rec.hostPorts,
      python: this.rt.python,
      modelLoadMs: rec.plan?.modelLoadMs ?? this.settings.modelLoadMs,
      modelLoadFail: rec.faults.has("model_load_fail"),
    });
    const proc = launch({ argv, dir: rec.dir, logFile: rec.logFile, env });
    rec.proc = proc;
    void proc.exited.then((code) => {
      if (proc.spawnError) appendLog(rec.logFile, `[emulator] could not exec ${argv[0]}: ${proc.spawnError}`);
      else appendLog(rec.logFile, `[emulator] process exited with code ${code}`);
      if (rec.proc !== proc || proc.killing || rec.destroyed || rec.actual !== "running") return;
      // The container's main process ended, so the container did (inferred; see README).
      rec.proc = null;
      const msg = proc.spawnError
        ? `${OCI_EXEC_FAILED.split("exec:")[0]}exec: "${argv[0]}": ${proc.spawnError}: unknown`
        : `container exited with code ${code ?? "signal"}`;
      this.toExited(rec, msg);
    });
  }

  private async stopProc(rec: Rec): Promise<void> {
    const p = rec.proc;
    rec.proc = null;
    if (p) await kill(p);
  }

  private toExited(rec: Rec, msg: string): void {
    rec.actual = "exited";
    rec.statusMsg = msg;
    rec.ports = null;
  }

  private toStopped(rec: Rec): void {
    rec.actual = "stopped";
    rec.statusMsg = "Container stopped";
    rec.ports = null;
    rec.runningSince = null;
  }

  private toOffline(rec: Rec): void {
    rec.actual = "offline"; // host disconnected: its servers are unreachable
    void this.stopProc(rec);
  }

  /** Gone as if destroyed out of band: GET says null, DELETE says no_such_instance. */
  vanish(rec: Rec): void {
    this.clearTimers(rec);
    rec.vanished = true;
    rec.destroyed = true;
    rec.destroyedAt = Date.now();
    void this.stopProc(rec);
  }

  /**
   * Outbid (docs/vast-api.md §6): a bid instance is paused, not destroyed: `actual_status`,
   * `intended_status`, `cur_state` and `next_state` all `stopped`, its server gone, storage still
   * billed. On-demand instances are never outbid. Fires once (a resumed instance stays up).
   */
  private outbid(rec: Rec, f: FaultSpec): void {
    if (rec.faults.get("outbid") !== f) return; // already fired
    rec.faults.delete("outbid");
    if (!rec.isBid) return;
    this.clearTimers(rec);
    Object.assign(rec, { intended: "stopped", cur: "stopped", next: "stopped" });
    void this.stopProc(rec);
    this.toStopped(rec);
    rec.statusMsg = OUTBID_MSG;
    if (f.resumeAfterMs !== undefined) this.after(rec, f.resumeAfterMs, () => this.regainBid(rec));
  }

  /** The bid is the highest again: a paused instance resumes (created → loading → running, new host ports). */
  private regainBid(rec: Rec): void {
    rec.faults.delete("outbid_resume");
    if (rec.isBid && rec.actual === "stopped" && rec.statusMsg === OUTBID_MSG) this.setState(rec, "running");
  }

  /** Prices moved between search and rent: the instance bills `factor` x (default 2). */
  private reprice(rec: Rec, f: FaultSpec): void {
    const k = f.factor ?? 2;
    rec.offer = { ...rec.offer, dph_total: round(rec.offer.dph_total * k), dph_base: round((rec.offer.dph_base ?? rec.offer.dph_total) * k) };
  }

  /** Apply a fault to an existing instance (as far as its phase still allows). */
  applyFault(rec: Rec, f: FaultSpec): void {
    rec.faults.set(f.kind, f);
    lag.applyToExisting(rec, f);
    if (f.kind === "price_change") this.reprice(rec, f);
    if (f.kind === "vanish") this.after(rec, f.delayMs ?? 0, () => this.vanish(rec));
    if (f.kind === "outbid") this.after(rec, f.delayMs ?? 0, () => this.outbid(rec, f));
    if (f.kind === "outbid_resume") this.after(rec, f.delayMs ?? 0, () => this.regainBid(rec));
    if (f.kind === "offline_after_running" && rec.actual === "running") this.after(rec, f.delayMs ?? 0, () => this.toOffline(rec));
    if (f.kind === "stuck_loading" && rec.actual === "loading") {
      this.clearTimers(rec);
      pullStalls(rec); // its daemon log stops too (logs.ts)
    }
    if (f.kind === "boot_exited" && rec.actual === "running") {
      void this.stopProc(rec);
      this.toExited(rec, OCI_EXEC_FAILED);
    }
  }

  setState(rec: Rec, state: "running" | "stopped"): void {
    if (state === "stopped") {
      this.clearTimers(rec);
      Object.assign(rec, { intended: "stopped", cur: "stopped", next: "stopped" });
      void this.stopProc(rec);
      if (rec.actual !== null) this.toStopped(rec);
      return;
    }
    Object.assign(rec, { intended: "running", cur: "running", next: "running" });
    if (rec.actual === "stopped" || rec.actual === "exited" || rec.actual === "offline") {
      this.clearTimers(rec);
      this.after(rec, this.settings.createdMs, () => this.toLoading(rec));
    }
  }

  async destroy(rec: Rec): Promise<void> {
    const slow = rec.faults.get("slow_destroy");
    if (slow) {
      // Accepted (again, if repeated), but reads show the instance unchanged until the destroy lands.
      if (!rec.destroying) this.after(rec, slow.delayMs ?? 3000, () => this.destroyNow(rec));
      rec.destroying = true;
      return;
    }
    await this.destroyNow(rec);
  }

  private async destroyNow(rec: Rec): Promise<void> {
    this.clearTimers(rec);
    rec.destroyed = true;
    rec.destroyedAt = Date.now();
    Object.assign(rec, { intended: "stopped", cur: "unloaded", next: "unloaded", ports: null });
    this.onFree(rec.offer.id);
    await this.stopProc(rec);
  }

  /** The record a GET shows, honouring read-after-create lag and delete lingering. */
  visible(id: number, now = Date.now()): Rec | null {
    const rec = this.recs.get(id);
    if (!rec || rec.vanished) return null;
    if (now - rec.createdAt < this.settings.readLagMs) return null;
    if (rec.destroyed) {
      return rec.destroyedAt !== null && now - rec.destroyedAt < this.settings.lingerDeletedMs ? rec : null;
    }
    return rec;
  }

  live(): Rec[] {
    return [...this.recs.values()].filter((r) => !r.destroyed);
  }

  /** Kill everything; resolves when no instance process is left. */
  async shutdown(): Promise<void> {
    this.closed = true;
    const all = [...this.recs.values()];
    all.forEach((r) => this.clearTimers(r));
    await Promise.all(all.map((r) => this.stopProc(r)));
  }

  /** Forget every record and accept new ones again (after shutdown(), for reset). */
  clear(): void {
    this.recs.clear();
    this.rentsPerMachine.clear();
    this.closed = false;
  }
}

function diskHour(o: Offer, disk: number): number {
  return ((o.storage_cost ?? 0) * disk) / (30 * 24);
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
