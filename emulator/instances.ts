// Instance records and their lifecycle: null -> created -> loading -> running, with injected faults.
import type { Offer } from "../components/vast/api/types.ts";
import { mapHostPorts, portBindings, startContainer } from "./container.ts";
import { newRecord, OCI_CREATE_FAILED, OCI_EXEC_FAILED, OUTBID_MSG, reprice, STALE_BUILD_MSG, type Rec, type RuntimeConfig } from "./record.ts";
import { kill, type ContainerHook } from "./runtime.ts";
import type { FaultSpec, Settings } from "./types.ts";
import type { CreateRequest } from "./validate.ts";
import { bootPlan, type TailModel } from "./tail.ts";
import { pullStalls, pullStarted } from "./logs.ts";
import * as lag from "./lagFaults.ts";

export { OCI_CREATE_FAILED, OCI_EXEC_FAILED, OUTBID_MSG, type Rec, type RuntimeConfig } from "./record.ts";


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
  containerHook: ContainerHook<Rec> | null = null; // set by emulator/serverless

  constructor(settings: Settings, rt: RuntimeConfig, onFree: (offerId: number) => void) {
    this.settings = settings;
    this.rt = rt;
    this.onFree = onFree;
  }

  nextInstanceId(): number {
    return this.nextId;
  }

  /** `waitsStopped`: a bid below the minimum, or a pending bid (bid_pending): created stopped, not booting. */
  create(owner: string, offer: Offer, req: CreateRequest, faults: FaultSpec[], waitsStopped: boolean): Rec {
    const id = this.nextId++;
    const rec = newRecord(id, owner, offer, req, faults, this.rt.workDir);
    if (this.tail) {
      const nth = (this.rentsPerMachine.get(offer.machine_id) ?? 0) + 1;
      this.rentsPerMachine.set(offer.machine_id, nth);
      rec.plan = bootPlan(this.tail, offer as Offer & { disk_bw?: number }, nth);
    }
    const moved = rec.faults.get("price_change");
    if (moved) reprice(rec, moved);
    if (waitsStopped) {
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
    const abandoned = rec.faults.get("abandoned_boot");
    const stalls = !!abandoned || rec.faults.has("stuck_loading") || rec.plan?.fate.kind === "stall_loading";
    pullStarted(rec, rec.plan?.loadingMs ?? this.settings.loadingMs, stalls); // the daemon log's pull lines (logs.ts)
    if (abandoned) return this.abandon(rec, abandoned);
    if (stalls) return;
    if (rec.faults.has("boot_exited")) {
      return this.after(rec, this.settings.loadingMs, () => this.toExited(rec, OCI_EXEC_FAILED));
    }
    this.after(rec, rec.plan?.loadingMs ?? this.settings.loadingMs, () => this.toRunning(rec));
  }

  private async toRunning(rec: Rec): Promise<void> {
    const hostPorts = await mapHostPorts(rec, new Set(this.live().flatMap((r) => Object.values(r.hostPorts))));
    // Changed while we were allocating (destroyed, stopped, emulator shut down or reset)?
    if (rec.destroyed || rec.actual !== "loading" || this.closed || this.recs.get(rec.id) !== rec) return;
    rec.hostPorts = hostPorts;
    rec.ports = portBindings(hostPorts);
    rec.actual = "running";
    rec.runningSince = Date.now();
    rec.statusMsg = `success, running ${rec.req.image.replace(/:/g, "_")}/${rec.req.runtype.split(/\s+/)[0]}`;
    const stale = rec.faults.get("stale_status_msg");
    if (stale) rec.statusMsg = stale.message ?? STALE_BUILD_MSG; // a running instance keeps old error text
    startContainer(rec, this.rt, rec.plan?.modelLoadMs ?? this.settings.modelLoadMs, (msg) => this.toExited(rec, msg), this.containerHook);
    const off = rec.faults.get("offline_after_running");
    if (off) this.after(rec, off.delayMs ?? 0, () => this.toOffline(rec));
    const van = rec.faults.get("vanish");
    if (van) this.after(rec, van.delayMs ?? 0, () => this.vanish(rec));
    const bid = rec.faults.get("outbid");
    if (bid) this.after(rec, bid.delayMs ?? 0, () => this.outbid(rec, bid));
    lag.onRunning(rec);
  }

  private async stopProc(rec: Rec): Promise<void> {
    const p = rec.proc;
    rec.proc = null;
    rec.container?.stop?.();
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

  /** Apply a fault to an existing instance (as far as its phase still allows). */
  applyFault(rec: Rec, f: FaultSpec): void {
    rec.faults.set(f.kind, f);
    lag.applyToExisting(rec, f);
    if (f.kind === "price_change") reprice(rec, f);
    if (f.kind === "vanish") this.after(rec, f.delayMs ?? 0, () => this.vanish(rec));
    if (f.kind === "outbid") this.after(rec, f.delayMs ?? 0, () => this.outbid(rec, f));
    if (f.kind === "outbid_resume") this.after(rec, f.delayMs ?? 0, () => this.regainBid(rec));
    if (f.kind === "offline_after_running" && rec.actual === "running") this.after(rec, f.delayMs ?? 0, () => this.toOffline(rec));
    if (f.kind === "stuck_loading" && rec.actual === "loading") {
      this.clearTimers(rec);
      pullStalls(rec); // its daemon log stops too (logs.ts)
    }
    if (f.kind === "abandoned_boot" && (rec.actual === "loading" || rec.actual === "created")) this.abandon(rec, f);
    if (f.kind === "stale_status_msg" && rec.actual === "running") rec.statusMsg = f.message ?? STALE_BUILD_MSG;
    if (f.kind === "boot_exited" && rec.actual === "running") {
      void this.stopProc(rec);
      this.toExited(rec, OCI_EXEC_FAILED);
    }
  }

  /**
   * Vast gives the boot up (recorded, reference §4): the container never runs; `delayMs` later
   * intended_status, cur_state and next_state turn `stopped` while actual_status still reads
   * created or loading, with `message` (if given) as the last status_msg.
   */
  private abandon(rec: Rec, f: FaultSpec): void {
    this.clearTimers(rec);
    if (f.message !== undefined) rec.statusMsg = f.message;
    this.after(rec, f.delayMs ?? 0, () => {
      if (rec.actual !== "running") Object.assign(rec, { intended: "stopped", cur: "stopped", next: "stopped" });
    });
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
      rec.ports = {};
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

  /** The record `owner`'s GET shows, honouring read-after-create lag and delete lingering (another key's: none). */
  visible(id: number, owner: string, now = Date.now()): Rec | null {
    const rec = this.recs.get(id);
    if (!rec || rec.vanished || rec.owner !== owner) return null;
    if (now - rec.createdAt < this.settings.readLagMs) return null;
    if (rec.destroyed) {
      return rec.destroyedAt !== null && now - rec.destroyedAt < this.settings.lingerDeletedMs ? rec : null;
    }
    return rec;
  }

  /** Instances not destroyed; with `owner`, only that key's. */
  live(owner?: string): Rec[] {
    return [...this.recs.values()].filter((r) => !r.destroyed && (owner === undefined || r.owner === owner));
  }

  /** A live instance of `owner` for the routes that act on one (manage, destroy, logs); else undefined. */
  owned(id: number, owner: string): Rec | undefined {
    const rec = this.recs.get(id);
    return rec && !rec.destroyed && rec.owner === owner ? rec : undefined;
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
