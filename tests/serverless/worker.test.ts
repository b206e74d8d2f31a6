// Vast's own worker (PyPI vastai, in an isolated emulated container, in front of the vLLM stand-in on
// loopback) and Vast's own client, through the emulator's serverless control plane: route signing
// with /pubkey/, TLS with the emulator's CA, worker_status, get_endpoint_workers, and our key check.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator/index.ts";
import { call } from "../emulator/helpers.ts";
import { GUIDE, makeEndpoint, order, startServerless, statusInside, vastClient } from "./helpers.ts";

const refused = (port: number) => new Promise<boolean>((resolve) => {
  const s = connect(port, "127.0.0.1");
  s.once("connect", () => { s.destroy(); resolve(false); });
  s.once("error", () => resolve(true));
});

describe("a worker: Vast's worker in front of loopback vLLM, reached with Vast's client", () => {
  let emu: RunningEmulator;
  let ep: { id: number; key: string; wgId: number };
  const name = "rerank-worker-test";

  beforeAll(async () => {
    emu = await startServerless();
    ep = await makeEndpoint(emu, name, { coldWorkers: 0, maxWorkers: 1 });
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it("Vast's client (account key, endpoint looked up by name) gets the guide's order through route + TLS worker", async () => {
    const [r] = await vastClient({ emulator: emu.url, account_key: emu.apiKey, endpoint_name: name, payload: GUIDE });
    expect(r, JSON.stringify(r)).toMatchObject({ ok: true, status: 200 });
    expect(order(r).slice(0, 2).sort()).toEqual([0, 2]);
    expect(r.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(r.auth_data).toMatchObject({ endpoint: name, url: r.url, signature: expect.any(String), reqnum: expect.any(Number) });
  }, 300_000);

  it("a consumer holding only the endpoint's key is served too", async () => {
    const [r] = await vastClient({ emulator: emu.url, endpoint_key: ep.key, endpoint_name: name, endpoint_id: ep.id, payload: GUIDE });
    expect(r, JSON.stringify(r)).toMatchObject({ ok: true, status: 200 });
  }, 120_000);

  it("lists the worker (get_endpoint_workers) and publishes only the worker's port; vLLM's loopback port is unreachable", async () => {
    const workers = await call(emu, "POST", "/get_endpoint_workers/", { id: ep.id });
    expect(workers.body).toEqual([expect.objectContaining({ status: "idle", workergroup_id: ep.wgId })]);
    const inst = emu.instances().find((i) => i.id === workers.body[0].id);
    expect(Object.keys(inst?.ports ?? {})).toEqual(["3000/tcp"]);
    // vLLM serves on the container's loopback (keyless, behind the worker) and nowhere else.
    expect(await statusInside(inst?._emulator.pid as number, 18000)).toBe("200");
    expect(await refused(18000)).toBe(true);
  });

  it("our key check: signed auth data replayed without the key, and a forged signature with it, are refused; no auth fields = 422", async () => {
    const [first] = await vastClient({ emulator: emu.url, endpoint_key: ep.key, endpoint_name: name, endpoint_id: ep.id, payload: GUIDE });
    const url = first.url as string;
    const envelope = { auth_data: first.auth_data, payload: GUIDE, session_id: null };
    const post = async (body: unknown, key?: string) => {
      const { Agent, request } = await import("undici");
      const dispatcher = new Agent({ connect: { ca: emu.serverless.authority.certPem } });
      const r = await request(`${url}/v1/rerank${key ? `?api_key=${key}` : ""}`, { method: "POST", dispatcher, body: JSON.stringify(body), headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) } });
      const text = await r.body.text();
      await dispatcher.close();
      return { status: r.statusCode, text };
    };
    expect((await post(envelope)).status).toBe(401); // replay without the endpoint key
    expect((await post(envelope, "0".repeat(64))).status).toBe(401); // a wrong key
    const forged = { ...envelope, auth_data: { ...(first.auth_data as object), signature: Buffer.from("x".repeat(256)).toString("base64") } };
    expect((await post(forged, ep.key)).status).toBe(401); // Vast's own signature check
    expect((await post({ payload: GUIDE }, ep.key)).status).toBe(422);
    const replay = await post(envelope, ep.key); // Vast's worker accepts any auth data Vast signed, again
    expect(replay.status).toBe(200);
    expect(JSON.parse(replay.text).results).toHaveLength(4);
  }, 120_000);
});
