// Vast's own client (PyPI vastai 1.9.1: its Python SDK and its CLI) drives the emulator through every
// route the product uses — search, rent, show, list, label, logs, destroy — and gets what the live
// API gave in the recordings: the emulator is checked against Vast's client, not only against ours.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator/index.ts";
import { ROOT, runVastai } from "./venv.ts";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ pendingMs: 100, createdMs: 300, loadingMs: 300 });
});
afterAll(() => emu?.stop());

/* eslint-disable @typescript-eslint/no-explicit-any -- JSON printed by Python */
describe("Vast's SDK against the emulator", () => {
  it("search → rent → show until running → list → label → logs → destroy, with Vast's answers", async () => {
    const r = await runVastai("python", [join(ROOT, "tests", "vastai", "sdk_lifecycle.py"), emu.url, emu.apiKey]);
    expect(r.code, r.stderr).toBe(0);
    const seen = JSON.parse(r.stdout) as Record<string, any>;
    expect(seen.search.length).toBeGreaterThan(0);
    for (const o of seen.search) expect(o).toMatchObject({ num_gpus: 1, verified: null, verification: "verified" });
    const prices = seen.search.map((o: any) => o.dph_total);
    expect(prices).toEqual([...prices].sort((a: number, b: number) => a - b));
    expect(seen.create).toEqual({ success: true, new_contract: expect.any(Number), instance_api_key: "str" });
    expect(seen.create_key_len).toBe(64);
    // In order, ending running (a loaded machine may poll past a short phase).
    const order = [null, "created", "loading", "running"];
    expect(seen.states.at(-1)).toBe("running");
    expect(seen.states.map((s: string | null) => order.indexOf(s))).toEqual([...seen.states.map((s: string | null) => order.indexOf(s))].sort());
    // The SDK turns the [key, value] pairs into a dict: the env string as its own parse_env read it.
    expect(seen.show.extra_env).toEqual({ "-p 8000:8000": "1", FOO: "bar", MSG: "a b" });
    const port = seen.show.ports["8000/tcp"][0].HostPort;
    expect(seen.show.ports["8000/tcp"]).toEqual([{ HostIp: "0.0.0.0", HostPort: port }, { HostIp: "::", HostPort: port }]);
    expect(seen.show).toMatchObject({ label: "sdk-lifecycle", public_ipaddr: "127.0.0.1", duration_is_number: true });
    expect(seen.list_by_label).toEqual([seen.create.new_contract]);
    expect(seen.list_all).toEqual([seen.create.new_contract]);
    expect(seen.label).toMatchObject({ success: true });
    expect(seen.label_after).toBe("sdk-renamed");
    expect(seen.logs_type).toBe("str");
    expect(seen.rent_again).toMatchObject({ status: 410, body: { success: false, error: "no_such_ask" } });
    expect(seen.destroy).toEqual({ success: true });
    expect(seen.show_after_destroy).toBeNull();
    expect(seen.destroy_again).toEqual({ status: 404, error: "no_such_instance" });
    const routes = new Set(emu.requestLog().map((e) => `${e.route} ${e.status}`));
    for (const route of ["POST /api/v0/bundles 200", "PUT /api/v0/asks/:id 200", "GET /api/v0/instances/:id 200", "GET /api/v1/instances 200",
      "PUT /api/v0/instances/:id 200", "PUT /api/v0/instances/request_logs/:id 200", "DELETE /api/v0/instances/:id 200"]) {
      expect(routes, route).toContain(route);
    }
  }, 120_000);
});

describe("Vast's CLI against the emulator", () => {
  const cli = (...args: string[]) => runVastai("vastai", ["--url", emu.url, "--api-key", emu.apiKey, ...args]);
  const json = (out: { code: number; stdout: string; stderr: string }) => {
    expect(out.code, out.stderr).toBe(0);
    return JSON.parse(out.stdout) as any;
  };

  it("search offers, create, show, show instances, label, logs, destroy -y", async () => {
    const offers = json(await cli("search", "offers", "num_gpus=1 gpu_ram>=16 direct_port_count>=1", "-o", "dph_total", "--limit", "3", "--raw"));
    expect(offers).toHaveLength(3);
    const created = json(await cli("create", "instance", String(offers[0].id), "--image", "vastai/base-image:cuda-12.4.1-auto", "--disk", "10",
      "--env", "-p 8000:8000 -e FOO=bar", "--label", "cli", "--ssh", "--direct", "--raw"));
    expect(created).toMatchObject({ success: true, new_contract: expect.any(Number) });
    const id = String(created.new_contract);
    let inst: any;
    for (let i = 0; i < 40 && inst?.actual_status !== "running"; i++) inst = json(await cli("show", "instance", id, "--raw"));
    expect(inst).toMatchObject({ actual_status: "running", label: "cli", extra_env: { "-p 8000:8000": "1", FOO: "bar" } });
    expect(json(await cli("show", "instances", "--raw")).map((i: any) => i.id)).toEqual([created.new_contract]);
    const label = await cli("label", "instance", id, "cli2");
    expect(label.code, label.stderr).toBe(0);
    expect(label.stdout).toMatch(/label for \d+ set to cli2/);
    expect((await cli("logs", id, "--tail", "5")).code).toBe(0);
    const destroyed = await cli("destroy", "instance", id, "-y");
    expect(destroyed.code, destroyed.stderr).toBe(0);
    expect(destroyed.stdout.trim()).toBe(`destroying instance ${id}.`);
    expect(json(await cli("show", "instance", id, "--raw"))).toEqual({ instances: null }); // gone, as recorded
  }, 180_000);
});
