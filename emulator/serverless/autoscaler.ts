// The emulated Vast Serverless engine (https://run.vast.ai): /route/ (signed with the emulator's own
// RSA key, served at /pubkey/), the workers' /worker_status/ and /delete_requests/ reports,
// /get_endpoint_workers/, the endpoint and worker-group logs, and the loop that rents workers from the
// emulated market and moves them between hot, cold (stopped: storage still billed, as on Vast) and
// released according to the reported load and the endpoint's settings. Rules: docs/vast-api.md.
import { createSign, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import type { OfferQuery } from "../../components/vast/api/types.ts";
import { json, type Reply } from "../http.ts";
import type { Rec } from "../instances.ts";
import { validateCreate } from "../validate.ts";
import type { Ctx } from "../vast-api.ts";
import type { EndpointRec, ServerlessState, WorkerRec } from "./state.ts";

export interface ScalerTimings {
  /** How often the engine decides (ms). */
  tickMs: number;
  /** How long fewer hot workers must suffice before one is stopped or released (ms). */
  scaleDownMs: number;
  /** The load window (ms) over which route costs are summed into load per second. */
  loadWindowMs: number;
}

/** Capacity assumed for a worker that has not reported a benchmark yet (load units/s). */
const DEFAULT_PERF = 100;

export class Autoscaler {
  private keys: { publicKeyPem: string; privateKey: KeyObject } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lowSince = new Map<number, number>();

  private state: ServerlessState;
  private ctx: Ctx;
  timings: ScalerTimings;

  constructor(state: ServerlessState, ctx: Ctx, timings: ScalerTimings) {
    this.state = state;
    this.ctx = ctx;
    this.timings = timings;
  }

  /** The engine's signing key, made on first use (RSA-2048, served at /pubkey/). */
  private signingKeys(): { publicKeyPem: string; privateKey: KeyObject } {
    if (!this.keys) {
      const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
      this.keys = { publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(), privateKey };
    }
    return this.keys;
  }

  get publicKeyPem(): string {
    return this.signingKeys().publicKeyPem;
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.timings.tickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Vast's worker verifies PKCS#1 v1.5 SHA-256 over json.dumps({"url": url}, indent=4, sort_keys=True). */
  sign(url: string): string {
    const s = createSign("sha256");
    s.update(JSON.stringify({ url }, null, 4));
    return s.sign(this.signingKeys().privateKey, "base64");
  }

  private instance(w: WorkerRec): Rec | undefined {
    const r = this.ctx.instances.recs.get(w.instanceId);
    return r && !r.destroyed ? r : undefined;
  }

  /** Vast's worker states (docs worker-states.mdx), from the instance and the worker's reports. */
  workerState(w: WorkerRec): string {
    const r = this.instance(w);
    if (!r || w.releasing) return "destroying";
    if (r.actual === "stopped" || r.intended === "stopped") return "stopped";
    if (r.actual === "exited" || r.actual === "offline") return "error";
    if (r.actual !== "running") return r.actual === "loading" ? "loading" : "creating";
    if (w.status?.error_msg) return "error";
    if (w.status && w.status.loadtime > 0) return "idle";
    return "model_loading";
  }

  private ready(ep: EndpointRec): WorkerRec[] {
    return this.state.workersOf(ep.id).filter((w) => this.workerState(w) === "idle" && w.status?.url);
  }

  route(body: unknown, key: string | null): Reply {
    const b = (body ?? {}) as { endpoint?: unknown; api_key?: unknown; cost?: unknown; request_idx?: unknown };
    const ep = typeof b.endpoint === "string" ? this.state.endpointByName(b.endpoint) : undefined;
    if (!ep) return json(400, { error: "Invalid endpoint or missing required parameters" });
    const sent = typeof b.api_key === "string" ? b.api_key : key;
    if (sent !== ep.api_key && !(sent && this.ctx.keys.has(sent))) return json(401, { error: "Authentication failed" });
    const cost = typeof b.cost === "number" && Number.isFinite(b.cost) ? b.cost : 100;
    // A re-poll names the request_idx it was given: it is the same request still waiting, not new load.
    const repoll = typeof b.request_idx === "number" && b.request_idx > 0;
    const idx = repoll ? (b.request_idx as number) : this.state.nextRequestIdx++;
    const now = Date.now();
    const ready = this.ready(ep);
    const list = this.state.routes.get(ep.id) ?? [];
    list.push({ at: now, cost: repoll ? 0 : cost, served: ready.length > 0 });
    this.state.routes.set(ep.id, list.filter((r) => now - r.at < Math.max(this.timings.loadWindowMs, 60_000)));
    const requestId = randomBytes(8).toString("hex");
    if (!ready.length) {
      const status: Record<string, number> = {};
      for (const w of this.state.workersOf(ep.id)) status[this.workerState(w)] = (status[this.workerState(w)] ?? 0) + 1;
      return json(200, { endpoint: ep.endpoint_name, status: JSON.stringify(status), request_idx: idx, __request_id: requestId });
    }
    // Least busy first: reported requests in flight plus routes handed out in the last two seconds.
    const busy = (w: WorkerRec) => (w.status?.num_requests_working ?? 0) + w.routedAt.filter((t) => now - t < 2000).length;
    const w = ready.reduce((a, c) => (busy(c) < busy(a) ? c : a));
    w.routedAt = [...w.routedAt.filter((t) => now - t < 2000), now];
    const reqnum = (this.state.reqnum.get(ep.id) ?? 0) + 1;
    this.state.reqnum.set(ep.id, reqnum);
    const url = w.status?.url as string;
    return json(200, { endpoint: ep.endpoint_name, url, cost, reqnum, signature: this.sign(url), request_idx: idx, __request_id: requestId });
  }

  workerStatus(body: unknown): Reply {
    const b = (body ?? {}) as Record<string, unknown>;
    const w = this.state.workers.get(Number(b.id));
    if (!w || b.mtoken !== w.mtoken) return json(401, { error: "unknown worker or bad mtoken" });
    const n = (k: string) => (typeof b[k] === "number" ? (b[k] as number) : 0);
    const before = this.workerState(w);
    w.status = {
      at: Date.now(), loadtime: n("loadtime"), cur_load: n("cur_load"), new_load: n("new_load"), max_perf: n("max_perf"), cur_perf: n("cur_perf"),
      error_msg: typeof b.error_msg === "string" ? b.error_msg : "", num_requests_working: n("num_requests_working"), url: typeof b.url === "string" ? b.url : "",
    };
    const after = this.workerState(w);
    if (after === "idle" && before !== "idle") {
      w.loadedAt = Date.now();
      this.state.log("endpoint", w.endpointId, `worker ${w.instanceId} ready (perf ${w.status.max_perf.toFixed(1)}) at ${w.status.url}`);
    }
    if (after === "error" && before !== "error") this.state.log("group", w.wgId, `worker ${w.instanceId} error: ${w.status.error_msg}`);
    return json(200, { success: true });
  }

  workersReply(ep: EndpointRec): unknown[] {
    return this.state.workersOf(ep.id).map((w) => ({
      id: w.instanceId, status: this.workerState(w), cur_load: w.status?.cur_load ?? 0, new_load: w.status?.new_load ?? 0,
      cur_load_rolling_avg: w.status?.cur_load ?? 0, cur_perf: w.status?.cur_perf ?? 0, perf: w.status?.max_perf ?? 0,
      measured_perf: w.status?.max_perf ?? 0, dlperf: this.instance(w)?.offer.dlperf ?? 0, reliability: this.instance(w)?.offer.reliability2 ?? 0,
      reqs_working: w.status?.num_requests_working ?? 0, disk_usage: 0, loaded_at: (w.loadedAt ?? 0) / 1000, started_at: w.startedAt / 1000,
      url: w.status?.url ?? null, workergroup_id: w.wgId,
    }));
  }

  /** Destroys the matching workers' instances (released); returns their ids. */
  release(filter: (w: WorkerRec) => boolean, why: string): number[] {
    const ids: number[] = [];
    for (const w of [...this.state.workers.values()].filter(filter)) {
      ids.push(w.instanceId);
      w.releasing = true;
      this.state.log("endpoint", w.endpointId, `releasing worker ${w.instanceId}: ${why}`);
      const r = this.instance(w);
      this.state.workers.delete(w.instanceId);
      if (r) void this.ctx.instances.destroy(r);
    }
    return ids;
  }

  /** One decision per endpoint (docs/vast-api.md "Vast Serverless", autoscaler rules). */
  tick(): void {
    const now = Date.now();
    for (const ep of this.state.endpoints.values()) {
      if (ep.endpoint_state === "suspended") continue;
      // A worker whose instance is gone or broken is released and replaced.
      this.release((w) => w.endpointId === ep.id && (!this.instance(w) || this.workerState(w) === "error"), "instance gone or worker errored");
      const workers = this.state.workersOf(ep.id);
      const hot = workers.filter((w) => !w.cold);
      const cold = workers.filter((w) => w.cold);
      const routes = (this.state.routes.get(ep.id) ?? []).filter((r) => now - r.at < this.timings.loadWindowMs);
      const load = routes.reduce((s, r) => s + r.cost, 0) / (this.timings.loadWindowMs / 1000);
      const waiting = routes.some((r) => !r.served && now - r.at < 5000);
      const perfs = hot.map((w) => w.status?.max_perf ?? 0).filter((p) => p > 0);
      const perf = perfs.length ? perfs.reduce((a, b) => a + b, 0) / perfs.length : DEFAULT_PERF;
      const lastRoute = Math.max(0, ...(this.state.routes.get(ep.id) ?? []).map((r) => r.at));
      const active = ep.inactivity_timeout < 0 || now - lastRoute < ep.inactivity_timeout * 1000;
      const max = Math.max(0, Math.min(ep.max_workers, ...this.state.groupsOf(ep.id).map((g) => g.max_workers ?? Infinity)));
      let hotWanted = Math.ceil(Math.max(ep.min_load, load / ep.target_util) / perf - 1e-9);
      if (waiting || (active && lastRoute > 0 && hot.length > 0)) hotWanted = Math.max(hotWanted, 1);
      if (ep.endpoint_state === "stopped") hotWanted = 0;
      hotWanted = Math.min(hotWanted, max);
      const coldFloor = this.state.groupsOf(ep.id).find((g) => g.cold_workers !== null)?.cold_workers ?? ep.cold_workers;
      const coldWanted = Math.max(0, Math.min(Math.max(coldFloor, Math.ceil(ep.cold_mult * hotWanted)), max - hotWanted));
      if (hot.length < hotWanted) {
        this.lowSince.delete(ep.id);
        const wake = cold.slice(0, hotWanted - hot.length);
        for (const w of wake) this.wake(w);
        for (let i = hot.length + wake.length; i < hotWanted && workers.length + (i - hot.length - wake.length) < max; i++) this.recruit(ep);
      } else if (hot.length > hotWanted) {
        const since = this.lowSince.get(ep.id) ?? now;
        this.lowSince.set(ep.id, since);
        // Only loaded workers go cold (a stopped worker that never loaded cannot serve quickly).
        const idle = hot.filter((w) => this.workerState(w) === "idle" && (w.status?.num_requests_working ?? 0) === 0);
        if (now - since >= this.timings.scaleDownMs && idle.length) {
          const w = idle.reduce((a, c) => ((this.instance(c)?.offer.dph_total ?? 0) > (this.instance(a)?.offer.dph_total ?? 0) ? c : a));
          if (cold.length < coldWanted) this.sleep(w);
          else this.release((x) => x === w, "not needed (scale down)");
          this.lowSince.set(ep.id, now);
        }
      } else this.lowSince.delete(ep.id);
      if (hot.length + cold.length < hotWanted + coldWanted && hot.length >= hotWanted) {
        // Cold workers are recruited hot, loaded, then stopped by the scale-down rule above.
        if (hot.length === hotWanted && workers.length < max) this.recruit(ep);
      }
      if (cold.length > coldWanted) this.release((w) => w === cold[cold.length - 1], "more cold workers than needed");
    }
  }

  private wake(w: WorkerRec): void {
    const r = this.instance(w);
    if (!r) return;
    w.cold = false;
    w.status = null;
    w.startedAt = Date.now();
    this.state.log("endpoint", w.endpointId, `starting cold worker ${w.instanceId}`);
    this.ctx.instances.setState(r, "running");
  }

  private sleep(w: WorkerRec): void {
    const r = this.instance(w);
    if (!r) return;
    w.cold = true;
    w.status = null;
    this.state.log("endpoint", w.endpointId, `stopping worker ${w.instanceId} (cold)`);
    this.ctx.instances.setState(r, "stopped");
  }

  /** Rents the cheapest offer the worker group's search allows and starts the group's launch on it. */
  private recruit(ep: EndpointRec): void {
    const group = this.state.groupsOf(ep.id)[0];
    if (!group) return;
    const taken = new Set(this.state.workersOf(ep.id).map((w) => this.instance(w)?.offer.machine_id));
    const query = { ...group.query, order: [["dph_total", "asc"]], type: "on-demand" } as unknown as OfferQuery;
    const offer = this.ctx.market.search(query).find((o) => !taken.has(o.machine_id) && this.ctx.market.available(o.id));
    if (!offer) return this.state.log("group", group.id, "no offer matches search_params");
    // The group's one launch (its template and/or launch_args, groupLaunch.ts): every worker boots the same way.
    const req = validateCreate(offer.id, group.launch);
    if ("status" in req) return this.state.log("group", group.id, `cannot launch: ${req.body.msg}`);
    req.template = group.templateRef;
    this.ctx.market.take(offer.id);
    const rec = this.ctx.instances.create(this.state.owners.get(ep.id) ?? "", offer, req, [], false);
    const mtoken = randomBytes(16).toString("hex");
    rec.container = { extraEnv: { REPORT_ADDR: this.ctx.url(), MASTER_TOKEN: mtoken } };
    this.state.workers.set(rec.id, { instanceId: rec.id, endpointId: ep.id, wgId: group.id, mtoken, startedAt: Date.now(), status: null, loadedAt: null, cold: false, routedAt: [], releasing: false });
    this.state.log("group", group.id, `recruited worker ${rec.id} on machine ${offer.machine_id} (${offer.gpu_name}, $${offer.dph_total}/h)`);
  }
}
