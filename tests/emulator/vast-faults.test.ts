// Fault injection (every FaultKind), rate limiting and the admin API.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator/index.ts";
import { call, createBody, offers, rent, show, sleep, start, until } from "./helpers.ts";

const SSH = { image: "vastai/base-image:@vastai-automatic-tag", runtype: "ssh_direc ssh_proxy", args: null };
let emu: RunningEmulator;
beforeAll(async () => {
  emu = await start();
});
afterAll(() => emu.stop());
beforeEach(() => emu.clearFaults());

const fault = (spec: Record<string, unknown>) => call(emu, "POST", "/_emulator/faults", spec, { key: null });

describe("boot faults", () => {
  it("offer_taken: the offer is rented by someone else between search and create", async () => {
    const [o] = await offers(emu, { order: [["dph_total", "asc"]] });
    expect((await fault({ kind: "offer_taken", offerId: o.id })).body.success).toBe(true);
    const r = await call(emu, "PUT", `/api/v0/asks/${o.id}/`, createBody(SSH));
    expect(r.status).toBe(410); // the ask is rented, as when renting one ask twice (recorded)
    expect(r.body.error).toBe("no_such_ask");
    expect((await offers(emu, { id: { eq: o.id } })).length).toBe(0);
  });

  it("boot_exited: boot ends exited with an OCI error in status_msg (scoped by machine)", async () => {
    const [o] = await offers(emu, { direct_port_count: { gte: 1 } });
    await fault({ kind: "boot_exited", machineId: o.machine_id });
    const r = await call(emu, "PUT", `/api/v0/asks/${o.id}/`, createBody(SSH));
    const i = await until(emu, r.body.new_contract, (x) => x?.actual_status === "exited");
    expect(i?.status_msg).toMatch(/OCI runtime create failed/);
    expect(i?.status_msg).toMatch(/Error/);
    expect(i?.ports).toBeNull();
  });

  it("boot_oci_created: stays created with ': OCI runtime create failed:'", async () => {
    await fault({ kind: "boot_oci_created" }); // unscoped: the next rent
    const id = await rent(emu, SSH);
    const i = await until(emu, id, (x) => x?.actual_status === "created");
    expect(i?.status_msg).toContain(": OCI runtime create failed:");
    await sleep(300);
    expect((await show(emu, id))?.actual_status).toBe("created");
  });

  it("stuck_loading: never leaves loading", async () => {
    const [o] = await offers(emu, { direct_port_count: { gte: 1 } });
    expect((await fault({ kind: "stuck_loading", offerId: o.id })).status).toBe(200);
    const id = (await call(emu, "PUT", `/api/v0/asks/${o.id}/`, createBody(SSH))).body.new_contract;
    await until(emu, id, (x) => x?.actual_status === "loading");
    await sleep(350);
    expect((await show(emu, id))?.actual_status).toBe("loading");
  });

  it("offline_after_running: the host goes offline once running", async () => {
    await fault({ kind: "offline_after_running", delayMs: 100 });
    const id = await rent(emu, SSH);
    await until(emu, id, (x) => x?.actual_status === "running");
    await until(emu, id, (x) => x?.actual_status === "offline");
  });

  it("vanish: an existing instance disappears as if destroyed out of band", async () => {
    const id = await rent(emu, SSH);
    await until(emu, id, (x) => x?.actual_status === "running");
    await fault({ kind: "vanish", instanceId: id });
    await until(emu, id, (x) => x === null);
    const list = await call(emu, "GET", "/api/v1/instances/");
    expect(list.body.instances.map((x: { id: number }) => x.id)).not.toContain(id);
    expect((await call(emu, "DELETE", `/api/v0/instances/${id}/`, {})).body.error).toBe("no_such_instance");
    const admin = emu.instances().find((x) => x.id === id);
    expect(admin?._emulator).toMatchObject({ destroyed: true, vanished: true });
  });

  it("slow_destroy: DELETE succeeds, but GET shows the instance unchanged for delayMs", async () => {
    const id = await rent(emu, SSH);
    await until(emu, id, (x) => x?.actual_status === "running");
    await fault({ kind: "slow_destroy", instanceId: id, delayMs: 400 });
    expect((await call(emu, "DELETE", `/api/v0/instances/${id}/`, {})).body).toEqual({ success: true });
    expect((await call(emu, "DELETE", `/api/v0/instances/${id}/`, {})).body).toEqual({ success: true }); // still there
    expect(await show(emu, id)).toMatchObject({ id, actual_status: "running", cur_state: "running" });
    await until(emu, id, (x) => x === null);
    expect((await call(emu, "DELETE", `/api/v0/instances/${id}/`, {})).body.error).toBe("no_such_instance");
    expect(emu.instances().find((x) => x.id === id)?._emulator).toMatchObject({ destroyed: true, vanished: false });
  });

  it("outbid: a bid instance is paused (not destroyed) and resumes when it regains priority", async () => {
    const id = await rent(emu, { ...SSH, price: 10 }); // an interruptible rent (a bid above every min_bid)
    await until(emu, id, (x) => x?.actual_status === "running");
    await fault({ kind: "outbid", instanceId: id });
    const paused = await until(emu, id, (x) => x?.actual_status === "stopped");
    expect(paused).toMatchObject({ is_bid: true, intended_status: "stopped", cur_state: "stopped", next_state: "stopped", ports: null });
    expect(paused?.status_msg).toMatch(/outbid/i);
    expect(paused?.status_msg).not.toMatch(/\bError\b/);
    await sleep(200);
    expect((await show(emu, id))?.actual_status).toBe("stopped"); // stays paused until it wins again
    await fault({ kind: "outbid_resume", instanceId: id });
    const resumed = await until(emu, id, (x) => x?.actual_status === "running");
    expect(resumed).toMatchObject({ intended_status: "running", cur_state: "running", next_state: "running" });
    expect(emu.instances().find((x) => x.id === id)?._emulator.destroyed).toBe(false);
  });

  it("outbid: resumeAfterMs resumes by itself; on-demand instances are never outbid", async () => {
    const bid = await rent(emu, { ...SSH, price: 10 });
    const onDemand = await rent(emu, SSH);
    await until(emu, bid, (x) => x?.actual_status === "running");
    await until(emu, onDemand, (x) => x?.actual_status === "running");
    await fault({ kind: "outbid", instanceId: bid, resumeAfterMs: 300 });
    await fault({ kind: "outbid", instanceId: onDemand });
    await until(emu, bid, (x) => x?.actual_status === "stopped");
    await until(emu, bid, (x) => x?.actual_status === "running");
    expect((await show(emu, onDemand))?.actual_status).toBe("running");
  });

  it("price_change: the rented instance bills factor x the searched price", async () => {
    const [o] = await offers(emu, { direct_port_count: { gte: 1 }, allocated_storage: 40 });
    await fault({ kind: "price_change", offerId: o.id, factor: 10 });
    const r = await call(emu, "PUT", `/api/v0/asks/${o.id}/`, createBody(SSH)); // disk 40
    const i = await until(emu, r.body.new_contract, (x) => x !== null);
    expect(i?.dph_total).toBeCloseTo(o.dph_total * 10, 4);
    const other = await rent(emu, SSH); // unscoped offers are unaffected
    const j = await show(emu, other);
    expect(j?.dph_total).toBeLessThan(5);
  });

  it("rejects unknown fault kinds", async () => {
    const r = await fault({ kind: "meteor" });
    expect(r.status).toBe(400);
    expect(r.body.msg).toMatch(/fault kind must be one of/);
  });
});

describe("HTTP faults", () => {
  it("http_429 for the next N calls of one route: plain text, no Retry-After", async () => {
    await fault({ kind: "http_429", route: "GET /api/v1/instances", count: 2 });
    const a = await call(emu, "GET", "/api/v1/instances/");
    const b = await call(emu, "GET", "/api/v1/instances/");
    const c = await call(emu, "GET", "/api/v1/instances/");
    expect([a.status, b.status, c.status]).toEqual([429, 429, 200]);
    expect(a.text).toMatch(/^API requests too frequent endpoint threshold=\d+\.\d+$/);
    expect(a.headers.get("retry-after")).toBeNull();
    expect((await offers(emu)).length).toBeGreaterThan(0); // other routes untouched
  });

  it("http_5xx with a chosen status; slow delays responses", async () => {
    emu.injectFault({ kind: "http_5xx", status: 502, route: "POST /api/v0/bundles" });
    const r = await call(emu, "POST", "/api/v0/bundles/", {}, { key: null });
    expect(r.status).toBe(502);
    expect(r.text).toContain("502 Bad Gateway");
    emu.injectFault({ kind: "http_5xx" }); // default 503, any route
    expect((await call(emu, "GET", "/api/v1/instances/")).status).toBe(503);
    emu.injectFault({ kind: "slow", delayMs: 300, route: "GET /api/v1/instances" });
    const t0 = Date.now();
    expect((await call(emu, "GET", "/api/v1/instances/")).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it("faults scoped to an instance only hit that instance's calls", async () => {
    const a = await rent(emu, SSH);
    const b = await rent(emu, SSH);
    emu.injectFault({ kind: "http_5xx", instanceId: a, count: -1 });
    expect((await call(emu, "GET", `/api/v0/instances/${a}/`)).status).toBe(503);
    expect((await call(emu, "GET", `/api/v0/instances/${a}/`)).status).toBe(503);
    expect((await call(emu, "GET", `/api/v0/instances/${b}/`)).status).toBe(200);
    expect((await call(emu, "GET", "/_emulator/faults", undefined, { key: null })).body.faults).toHaveLength(1);
    await call(emu, "DELETE", "/_emulator/faults", undefined, { key: null });
    expect((await call(emu, "GET", `/api/v0/instances/${a}/`)).status).toBe(200);
  });
});

describe("rate limiting", () => {
  it("is off by default, then 429 per route and identity when configured", async () => {
    for (let n = 0; n < 5; n++) expect((await call(emu, "GET", "/api/v1/instances/")).status).toBe(200);
    const cfg = await call(emu, "POST", "/_emulator/config", { rateLimits: { "GET /api/v1/instances": 1000 } }, { key: null });
    expect(cfg.body.rateLimits).toEqual({ "GET /api/v1/instances": 1000 });
    try {
      expect((await call(emu, "GET", "/api/v1/instances/")).status).toBe(200);
      const limited = await call(emu, "GET", "/api/v1/instances/");
      expect(limited.status).toBe(429);
      expect(limited.text).toBe("API requests too frequent endpoint threshold=1.0");
      expect(limited.headers.get("retry-after")).toBeNull();
      expect((await call(emu, "POST", "/api/v0/bundles/", {}, { key: null })).status).toBe(200); // other route
      await sleep(1050);
      expect((await call(emu, "GET", "/api/v1/instances/")).status).toBe(200);
      emu.configure({ rateLimits: "vast" as never });
      expect(emu.configure({}).rateLimits["PUT /api/v0/asks/:id"]).toBe(4500);
    } finally {
      emu.configure({ rateLimits: {} });
    }
  });
});

describe("admin API", () => {
  it("request log with per-route counts, clearable", async () => {
    await call(emu, "DELETE", "/_emulator/requests", undefined, { key: null });
    await call(emu, "GET", "/api/v0/instances/5/");
    await call(emu, "GET", "/api/v0/instances/6");
    await call(emu, "POST", "/api/v0/bundles/", {}, { key: null });
    const r = await call(emu, "GET", "/_emulator/requests", undefined, { key: null });
    expect(r.body.counts).toEqual({ "GET /api/v0/instances/:id": 2, "POST /api/v0/bundles": 1 });
    expect(r.body.entries[0]).toMatchObject({ method: "GET", route: "GET /api/v0/instances/:id", path: "/api/v0/instances/5/", status: 200 });
    expect(typeof r.body.entries[0].ts).toBe("number");
    expect(emu.routeCounts()).toEqual(r.body.counts);
  });

  it("config changes timings at run time and validates input", async () => {
    const r = await call(emu, "POST", "/_emulator/config", { loadingMs: 10 }, { key: null });
    expect(r.body.loadingMs).toBe(10);
    expect((await call(emu, "POST", "/_emulator/config", { loadingMs: -1 }, { key: null })).status).toBe(400);
    expect((await call(emu, "POST", "/_emulator/config", { nope: 1 }, { key: null })).status).toBe(400);
    emu.configure({ loadingMs: 100 });
  });

  it("lists instances, destroyed ones flagged", async () => {
    const id = await rent(emu, SSH);
    await call(emu, "DELETE", `/api/v0/instances/${id}/`, {});
    const r = await call(emu, "GET", "/_emulator/instances", undefined, { key: null });
    const me = r.body.instances.find((i: { id: number }) => i.id === id);
    expect(me._emulator).toMatchObject({ destroyed: true, vanished: false, pid: null });
  });
});
