// The emulator answers as the live Vast API did in the recordings (../shared/vast-recorded, reference
// vast-real-answers.md §2-§4): same keys, same shapes, same statuses.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator/index.ts";
import { recorded } from "../contract/recorded.ts";
import { call, createBody, offers, rent, show, sleep, start, until } from "./helpers.ts";

const SSH = { image: "vastai/base-image:@vastai-automatic-tag", runtype: "ssh_direc ssh_proxy", args: null };
const keys = (o: object) => Object.keys(o).sort();

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await start({ apiKeys: ["key-mine", "key-other"], pendingMs: 150, createdMs: 100, loadingMs: 150 });
});
afterAll(() => emu.stop());
beforeEach(() => emu.clearFaults());

describe("renting", () => {
  it("answers with the recorded keys: success, new_contract and a 64-hex instance_api_key", async () => {
    const [o] = await offers(emu, { order: [["dph_total", "asc"]] });
    const r = await call(emu, "PUT", `/api/v0/asks/${o.id}/`, createBody(SSH));
    const real = recorded<Record<string, unknown>>("smanolloff-vcmi-gym__create-instance-200.json");
    expect(keys(r.body)).toEqual(keys(real));
    expect(r.body).toMatchObject({ success: true, new_contract: expect.any(Number), instance_api_key: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // Renting the same ask again: 410 no_such_ask (recorded).
    const again = await call(emu, "PUT", `/api/v0/asks/${o.id}/`, createBody(SSH));
    expect(again.status).toBe(410);
    expect(again.body).toMatchObject({ success: false, error: "no_such_ask" });
    await call(emu, "DELETE", `/api/v0/instances/${r.body.new_contract}/`, {});
  });

  it("a pending bid answers success false with the live contract and the recorded keys only", async () => {
    const real = recorded<Record<string, unknown>>("unattributed-62581258046__create-bid-pending-success-false.json");
    // A bid below the host's minimum, and a bid the host has not taken yet (fault bid_pending).
    const [low] = await offers(emu, { min_bid: { gte: 0.1 } });
    const below = await call(emu, "PUT", `/api/v0/asks/${low.id}/`, createBody({ ...SSH, price: 0.01 }));
    await call(emu, "POST", "/_emulator/faults", { kind: "bid_pending" }, { key: null });
    const [o] = await offers(emu, { order: [["dph_total", "asc"]] });
    const pending = await call(emu, "PUT", `/api/v0/asks/${o.id}/`, createBody({ ...SSH, price: 10 }));
    for (const r of [below, pending]) {
      expect(r.status).toBe(200);
      expect(keys(r.body)).toEqual(keys(real));
      expect(r.body).toMatchObject({ success: false, new_contract: expect.any(Number), instance_api_key: expect.stringMatching(/^[0-9a-f]{64}$/) });
      const i = await until(emu, r.body.new_contract, (x) => x?.actual_status === "stopped");
      expect(i).toMatchObject({ is_bid: true, intended_status: "stopped" }); // the contract exists (and bills storage)
      await call(emu, "DELETE", `/api/v0/instances/${r.body.new_contract}/`, {});
    }
  });

  it("an env over 32 KB is refused with the recorded body, verbatim", async () => {
    const [o] = await offers(emu);
    const env = Object.fromEntries(Array.from({ length: 140 }, (_, i) => [`VAR_${i}`, "x".repeat(250)]));
    const r = await call(emu, "PUT", `/api/v0/asks/${o.id}/`, createBody({ ...SSH, env }));
    expect(r.status).toBe(400);
    expect(r.text).toBe(JSON.stringify(recorded("realnedsanders-terraform-provider-vastai__create-400-invalid-env.json")));
  });
});

describe("searching", () => {
  it("rows carry verified null (tier in verification) and external null; the verified filter still works", async () => {
    const rows = await offers(emu, { verified: { eq: true }, external: { eq: false }, limit: 100 });
    const real = recorded<Array<Record<string, unknown>>>("unattributed-11848604304__search-offers-cli-raw.json")[0]!;
    expect(real.external).toBeNull();
    expect(rows.length).toBeGreaterThan(0);
    for (const o of rows) expect(o).toMatchObject({ verified: null, external: null, verification: "verified" });
    const unverified = await offers(emu, { verification: { eq: "unverified" }, limit: 100 });
    expect(unverified.length).toBeGreaterThan(0);
    expect((await offers(emu, { verified: { eq: true }, id: { in: unverified.map((o) => o.id) } }))).toEqual([]);
  });

  it("returns at most 64 offers whatever limit says", async () => {
    const base = (await offers(emu, { limit: 1 }))[0]!;
    const market = Array.from({ length: 100 }, (_, i) => ({ ...base, id: 50_000 + i, ask_contract_id: 50_000 + i, machine_id: 60_000 + i, rented: false }));
    emu.replaceMarket(market);
    try {
      expect(await offers(emu, { limit: 1000 })).toHaveLength(64);
      expect(await offers(emu, { limit: 10 })).toHaveLength(10);
      expect(await offers(emu, {})).toHaveLength(64);
    } finally {
      await emu.reset();
    }
  });

  it("refuses bare filter values with the recorded 400 bad_request", async () => {
    const real = recorded<{ error: string; msg: string }>("ifixtelecom-gpu-ifix__search-400-legacy-filter.json");
    const r = await call(emu, "POST", "/api/v0/bundles/", { gpu_name: "RTX 4090", num_gpus: 1, order: [["dph_total", "asc"]] }, { key: null });
    expect(r.status).toBe(400);
    expect(keys(r.body)).toEqual(keys(real));
    expect(r.body.error).toBe(real.error);
    expect(r.body.msg).toBe("q.gpu_name: Input should be a valid dictionary; q.num_gpus: Input should be a valid dictionary");
    expect(r.body.msg.startsWith(real.msg.replace("...", ""))).toBe(true);
  });
});

describe("reading, owning and destroying instances", () => {
  it("ports are {} and direct ports -1 until running, then IPv4 + IPv6 bindings with string HostPorts as recorded", async () => {
    const id = await rent(emu, { ...SSH, env: { "-p 8000:8000": "1" } });
    const first = await show(emu, id);
    expect(first).toMatchObject({ actual_status: null, cur_state: "running", intended_status: "running", ports: {}, direct_port_start: -1, direct_port_end: -1 });
    const running = await until(emu, id, (i) => i?.actual_status === "running");
    const real = recorded<{ instances: { ports: Record<string, Array<{ HostIp: string; HostPort: string }>> } }>("ifixtelecom-gpu-ifix__show-instance-running.json").instances;
    const shape = (p: Record<string, Array<{ HostIp: string; HostPort: unknown }>>) => Object.values(p).map((b) => b.map((x) => [x.HostIp, typeof x.HostPort]));
    expect(shape({ "8000/tcp": running!.ports!["8000/tcp"]! })).toEqual([shape(real.ports)[0]]);
    expect(running?.status_msg).toMatch(/^success, running /);
    await call(emu, "DELETE", `/api/v0/instances/${id}/`, {});
  });

  it("after DELETE ({success: true}) a GET answers {instances: null} and a second DELETE 404 no_such_instance", async () => {
    const id = await rent(emu, SSH);
    const del = await call(emu, "DELETE", `/api/v0/instances/${id}/`, {});
    expect(del.body).toEqual(recorded("ifixtelecom-gpu-ifix__destroy-200.json"));
    expect((await call(emu, "GET", `/api/v0/instances/${id}/?owner=me`)).body).toEqual({ instances: null });
    const again = await call(emu, "DELETE", `/api/v0/instances/${id}/`, {});
    expect(again.status).toBe(404);
    expect(again.body.error).toBe("no_such_instance");
  });

  it("another key's instance reads {instances: null}, is not listed, and cannot be changed or destroyed", async () => {
    const id = await rent(emu, SSH);
    const other = { key: "key-other" };
    expect((await call(emu, "GET", `/api/v0/instances/${id}/?owner=me`, undefined, other)).body).toEqual({ instances: null });
    const list = await call(emu, "GET", "/api/v1/instances/", undefined, other);
    expect(list.body.instances.map((i: { id: number }) => i.id)).not.toContain(id);
    expect((await call(emu, "PUT", `/api/v0/instances/${id}/`, { label: "x" }, other)).status).toBe(404);
    expect((await call(emu, "DELETE", `/api/v0/instances/${id}/`, {}, other)).status).toBe(404);
    expect((await call(emu, "PUT", `/api/v0/instances/request_logs/${id}/`, {}, other)).status).toBe(404);
    expect((await show(emu, id))?.id).toBe(id); // the owner still sees it
    await call(emu, "DELETE", `/api/v0/instances/${id}/`, {});
  });
});

describe("host behaviours tests can ask for", () => {
  it("abandoned_boot: intended, cur and next turn stopped while actual_status stays loading, with the given text", async () => {
    const msg = "Error response from daemon: failed to create task for container: failed to inject CDI devices: unresolvable CDI devices";
    await call(emu, "POST", "/_emulator/faults", { kind: "abandoned_boot", delayMs: 1_000, message: msg }, { key: null });
    const id = await rent(emu, SSH);
    const loading = await until(emu, id, (i) => i?.actual_status === "loading");
    expect(loading?.status_msg).toBe(msg);
    const gaveUp = await until(emu, id, (i) => i?.intended_status === "stopped");
    expect(gaveUp).toMatchObject({ actual_status: "loading", cur_state: "stopped", next_state: "stopped", status_msg: msg });
    await sleep(300);
    expect((await show(emu, id))?.actual_status).toBe("loading"); // never runs
    await call(emu, "DELETE", `/api/v0/instances/${id}/`, {});
  });

  it("stale_status_msg: a running instance keeps stale error text", async () => {
    await call(emu, "POST", "/_emulator/faults", { kind: "stale_status_msg" }, { key: null });
    const id = await rent(emu, SSH);
    const running = await until(emu, id, (i) => i?.actual_status === "running");
    expect(running).toMatchObject({ intended_status: "running", status_msg: "Error response from daemon: stale build status" });
    await call(emu, "DELETE", `/api/v0/instances/${id}/`, {});
  });
});
