// Auth, create validation, show/manage/destroy, lifecycle timing: docs/vast-api.md §1, §3-5, §8.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator/index.ts";
import { call, createBody, offers, rent, show, sleep, start, until } from "./helpers.ts";

// No vLLM process: a plain image in ssh mode only goes through the lifecycle.
const SSH = { image: "vastai/base-image:@vastai-automatic-tag", runtype: "ssh_direc ssh_proxy", args: null };

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await start({ apiKeys: ["key-one", "key-two"], pendingMs: 300, createdMs: 150, loadingMs: 150 });
});
afterAll(() => emu.stop());

describe("auth", () => {
  it("accepts Bearer and ?api_key=, any configured key", async () => {
    expect((await call(emu, "GET", "/api/v1/instances/", undefined, { key: "key-one" })).status).toBe(200);
    expect((await call(emu, "GET", "/api/v1/instances/", undefined, { key: "key-two" })).status).toBe(200);
    expect((await call(emu, "GET", "/api/v1/instances/?api_key=key-two", undefined, { key: null })).status).toBe(200);
    expect((await call(emu, "GET", "/api/v1/instances/", undefined, { key: null, headers: { Authorization: "bearer key-one" } })).status).toBe(200);
  });

  it("a bad key gets the real 401 body; a missing key 401 or 403 as configured", async () => {
    const bad = await call(emu, "GET", "/api/v0/instances/1/", undefined, { key: "nope" });
    expect(bad.status).toBe(401);
    expect(bad.headers.get("content-type")).toBe("application/json");
    expect(bad.body).toEqual({ success: false, error: "auth_error", msg: "Invalid user key" });
    const none = await call(emu, "PUT", "/api/v0/asks/1/", createBody(), { key: null });
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ success: false, error: "auth_error" });
    emu.configure({ missingKeyStatus: 403 });
    expect((await call(emu, "DELETE", "/api/v0/instances/1/", {}, { key: null })).status).toBe(403);
    emu.configure({ missingKeyStatus: 401 });
  });

  it("the request log records the identity but never the key", async () => {
    await call(emu, "GET", "/api/v0/users/current/?api_key=key-one", undefined, { key: null });
    const last = emu.requestLog().at(-1);
    expect(last).toMatchObject({ method: "GET", route: "GET /api/v0/users/current", status: 200 });
    expect(last?.path).toBe("/api/v0/users/current/?api_key=***");
    expect(JSON.stringify(emu.requestLog())).not.toContain("key-one");
    // Not even a prefix of it: the identity is a digest.
    expect(JSON.stringify(emu.requestLog())).not.toContain("key-o");
    expect(last?.identity).toMatch(/^key#[0-9a-f]{8}$/);
  });
});

describe("create validation (PUT /api/v0/asks/{id}/)", () => {
  const cases: Array<[string, Record<string, unknown>, number, string, RegExp]> = [
    ["no image", { image: null }, 400, "invalid_args", /image/],
    ["disk < 8", { disk: 4 }, 400, "invalid_args", /disk/],
    ["price too low", { price: 0.0001 }, 400, "invalid_price", /price/],
    ["price too high", { price: 500 }, 400, "invalid_price", /price/],
    ["label > 256", { label: "x".repeat(257) }, 400, "invalid_args", /label/],
    ["launch > 4096", { onstart: "/bin/sh", args: ["-c", "y".repeat(4100)] }, 400, "invalid_args", /4096/],
    ["bad runtype", { runtype: "docker" }, 400, "invalid_args", /runtype/],
  ];
  for (const [name, over, status, error, msg] of cases) {
    it(`rejects ${name}`, async () => {
      const [o] = await offers(emu);
      const r = await call(emu, "PUT", `/api/v0/asks/${o.id}/`, createBody(over));
      expect(r.status).toBe(status);
      expect(r.body).toMatchObject({ success: false, error, ask_id: o.id });
      expect(r.body.msg).toMatch(/^error 400\/\d+: /);
      expect(r.body.msg).toMatch(msg);
      expect((await offers(emu, { id: { eq: o.id } })).length).toBe(1); // nothing rented
    });
  }

  it("rejects a non-numeric offer id and an unknown one (no_such_ask)", async () => {
    const r = await call(emu, "PUT", "/api/v0/asks/abc/", createBody());
    expect(r.status).toBe(400);
    expect(r.body.msg).toBe("error 400/3467: Invalid args: 'id' is required and must be a valid offer ID");
    const gone = await call(emu, "PUT", "/api/v0/asks/999/", createBody());
    expect(gone.status).toBe(404);
    expect(gone.body.msg).toContain("no_such_ask");
  });

  it("accepts explicit nulls, an env string (CLI rules) and CLI runtype spellings", async () => {
    const id = await rent(emu, { ...SSH, env: "-p 8000:8000 -e A='x y' -e B=a=b=c -e  C=dropped", label: null });
    const i = await show(emu, id).then(() => until(emu, id, (x) => x !== null));
    expect(i?.extra_env).toEqual([["-p 8000:8000", "1"], ["A", "x y"], ["B", "a=b=c"]]);
    expect(i?.label).toBeNull();
    await call(emu, "DELETE", `/api/v0/instances/${id}/`, {});
  });
});

describe("an instance's life", () => {
  it("null -> created -> loading -> running, with ports and public_ipaddr only once running (as recorded)", async () => {
    const t0 = Date.now();
    const id = await rent(emu, { ...SSH, env: { "-p 8000:8000": "1", FOO: "bar" }, label: "life" });
    const first = await show(emu, id);
    // Recorded: cur_state is `running` (the contract bills) while actual_status is still null; ports
    // are {} and direct_port_* -1 until the container runs.
    expect(first).toMatchObject({ id, actual_status: null, intended_status: "running", cur_state: "running", ports: {}, public_ipaddr: null, status_msg: null, direct_port_start: -1, direct_port_end: -1 });
    expect(typeof first?.start_date).toBe("number");
    const created = await until(emu, id, (i) => i?.actual_status === "created");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(created?.ports).toEqual({});
    const loading = await until(emu, id, (i) => i?.actual_status === "loading");
    expect(loading?.public_ipaddr).toBeNull();
    expect(loading).toMatchObject({ ports: {}, direct_port_start: -1, direct_port_end: -1 });
    const running = await until(emu, id, (i) => i?.actual_status === "running");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(590);
    expect(running).toMatchObject({
      label: "life", image_uuid: SSH.image, image_runtype: SSH.runtype, public_ipaddr: "127.0.0.1", is_bid: false,
      extra_env: [["-p 8000:8000", "1"], ["FOO", "bar"]],
    });
    expect(running?.status_msg).toMatch(/^success, running /);
    // One IPv4 and one IPv6 binding per port, HostPort a string (recorded).
    const hostPort = running?.ports?.["8000/tcp"]?.[0]?.HostPort;
    expect(hostPort).toMatch(/^\d+$/);
    expect(running?.ports?.["8000/tcp"]).toEqual([{ HostIp: "0.0.0.0", HostPort: hostPort }, { HostIp: "::", HostPort: hostPort }]);
    expect(running?.direct_port_start).toBeGreaterThan(0);
    expect(running?.ports?.["22/tcp"]?.[0].HostPort).toBe(String(running?.ssh_port)); // ssh_direc
    expect(typeof running?.ssh_port).toBe("number");
    for (const k of ["dph_total", "gpu_name", "machine_id", "num_gpus", "gpu_totalram", "disk_space"]) expect(running, k).toHaveProperty(k);
    expect(running?.disk_space).toBe(40);
    await call(emu, "DELETE", `/api/v0/instances/${id}/`, {});
  });

  it("PUT label and state; DELETE, then GET null and a second DELETE no_such_instance", async () => {
    const id = await rent(emu, SSH);
    const lab = await call(emu, "PUT", `/api/v0/instances/${id}/`, { label: "renamed" });
    expect(lab.body).toEqual({ success: true, msg: `label for ${id} set to 'renamed'` });
    expect((await show(emu, id))?.label).toBe("renamed");
    const long = await call(emu, "PUT", `/api/v0/instances/${id}/`, { label: "x".repeat(1025) });
    expect(long.status).toBe(400);
    expect(long.body.error).toBe("label_too_long");
    await until(emu, id, (i) => i?.actual_status === "running");
    expect((await call(emu, "PUT", `/api/v0/instances/${id}/`, { state: "stopped" })).body).toEqual({ success: true });
    expect(await show(emu, id)).toMatchObject({ actual_status: "stopped", intended_status: "stopped", cur_state: "stopped", ports: null });
    await call(emu, "PUT", `/api/v0/instances/${id}/`, { state: "running" });
    await until(emu, id, (i) => i?.actual_status === "running");
    const del = await call(emu, "DELETE", `/api/v0/instances/${id}/`, {});
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ success: true });
    const gone = await call(emu, "GET", `/api/v0/instances/${id}/`);
    expect(gone.body).toEqual({ instances: null });
    const again = await call(emu, "DELETE", `/api/v0/instances/${id}`, {});
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ success: false, error: "no_such_instance", msg: `Instance ${id} not found.` });
    expect((await call(emu, "PUT", `/api/v0/instances/${id}/`, { state: "running" })).status).toBe(404);
    expect((await call(emu, "GET", "/api/v0/instances/123/")).body).toEqual({ instances: null });
  });

  it("optional lingering after delete and read-after-create lag", async () => {
    emu.configure({ lingerDeletedMs: 800, readLagMs: 400 });
    try {
      const id = await rent(emu, SSH);
      expect(await show(emu, id)).toBeNull();
      await sleep(420);
      expect(await show(emu, id)).not.toBeNull();
      await call(emu, "DELETE", `/api/v0/instances/${id}/`, {});
      expect(await show(emu, id)).toMatchObject({ cur_state: "unloaded" });
      await sleep(850);
      expect(await show(emu, id)).toBeNull();
    } finally {
      emu.configure({ lingerDeletedMs: 0, readLagMs: 0 });
    }
  });

  it("a bid below min_bid creates a stopped instance and still returns new_contract", async () => {
    const [o] = await offers(emu, { min_bid: { gte: 0.1 } });
    const r = await call(emu, "PUT", `/api/v0/asks/${o.id}/`, createBody({ ...SSH, price: 0.01 }));
    expect(r.body.success).toBe(false);
    expect(typeof r.body.new_contract).toBe("number");
    const i = await until(emu, r.body.new_contract, (x) => x?.actual_status === "stopped");
    expect(i).toMatchObject({ is_bid: true, intended_status: "stopped" });
    await call(emu, "DELETE", `/api/v0/instances/${r.body.new_contract}/`, {});
  });

  it("the legacy v0 collection answers 410 (or the old list when configured)", async () => {
    const r = await call(emu, "GET", "/api/v0/instances?owner=me");
    expect(r.status).toBe(410);
    expect(r.body.msg).toBe("Use /api/v1/instances/ instead");
    emu.configure({ legacyInstanceList: "list" });
    const l = await call(emu, "GET", "/api/v0/instances/?owner=me");
    expect(l.status).toBe(200);
    expect(Array.isArray(l.body.instances)).toBe(true);
    emu.configure({ legacyInstanceList: "gone" });
  });

  it("unknown routes get 404 JSON and wrong methods 405", async () => {
    const r = await call(emu, "GET", "/api/v0/nothing/");
    expect(r.status).toBe(404);
    expect(r.headers.get("content-type")).toBe("application/json");
    expect((await call(emu, "PATCH", "/api/v0/instances/1/", {})).status).toBe(405);
  });
});
