// End to end in serverless mode: the real Pulumi engine creates the endpoint group and worker group in
// the emulator, the readiness check passes through the route, Vast's own client and CLI and our
// TypeScript client use what the stack made, and destroy leaves no endpoint, group or instance.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator/index.ts";
import { ServerlessRerankClient } from "../../components/client/serverless.ts";
import { createTestProject, filesContaining, type TestProject } from "../helpers/engine.ts";
import { FAST_POLLS, STACK_SOURCES, liveInstances, localStackConfig } from "../helpers/stack.ts";
import { GUIDE, VASTAI_CLI, order, startServerless, vastClient } from "./helpers.ts";

const run = promisify(execFile);

describe("serverless mode through pulumi up / destroy", () => {
  let emu: RunningEmulator;
  let p: TestProject;
  beforeAll(async () => {
    emu = await startServerless();
    p = await createTestProject({
      sources: STACK_SOURCES, stackName: "sl", env: FAST_POLLS,
      config: localStackConfig(emu, { mode: "serverless", coldWorkers: "0", maxWorkers: "2", probeTimeoutSeconds: "240" }),
    });
  }, 120_000);
  afterAll(async () => {
    p?.cleanup();
    await emu?.stop();
  });

  it("up → verified outputs → Vast's client, Vast's CLI and our client → no-change preview → destroy leaves nothing", async () => {
    let log = "";
    const up = await p.stack.up({ onOutput: (s) => { log += s; } });
    expect(up.summary.result).toBe("succeeded");
    const o = Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.value])) as Record<string, unknown>;
    expect(o).toMatchObject({ endpointName: "vast-reranker-sl", routeUrl: `${emu.url}/route/`, model: "BAAI/bge-reranker-base" });
    expect(up.outputs.endpointKey.secret).toBe(true);
    for (const k of ["endpointName", "endpointId", "workerGroupId", "routeUrl", "model", "probeReport"]) expect(up.outputs[k].secret, k).toBe(false);
    expect(o.endpoint).toBeUndefined(); // instance-mode outputs are absent
    const key = o.endpointKey as string;
    const report = JSON.parse(o.probeReport as string);
    expect(report).toMatchObject({ ok: true, refused: { replayWithoutKey: 401, forgedSignature: 401 }, rerank: { ok: true } });

    // Vast's own client, as a consumer holding only the endpoint's outputs.
    const [viaVast] = await vastClient({ emulator: emu.url, endpoint_key: key, endpoint_name: o.endpointName, endpoint_id: o.endpointId, payload: GUIDE });
    expect(viaVast).toMatchObject({ ok: true, status: 200 });
    expect(order(viaVast).slice(0, 2).sort()).toEqual([0, 2]);
    // Ours.
    const ours = new ServerlessRerankClient({ routeUrl: o.routeUrl as string, endpointName: o.endpointName as string, endpointKey: key, caUrl: `${emu.url}/static/jvastai_root.cer` });
    const r = await ours.request("/v1/rerank", GUIDE);
    await ours.close();
    expect(r.status).toBe(200);
    expect((r.body as { results: Array<{ index: number }> }).results.slice(0, 2).map((x) => x.index).sort()).toEqual([0, 2]);
    // Vast's CLI lists what the stack made.
    const cli = async (...a: string[]) => JSON.parse((await run(VASTAI_CLI, ["--url", emu.url, "--api-key", emu.apiKey, "--raw", ...a], { env: { ...process.env, HOME: "/tmp" } })).stdout);
    expect(await cli("show", "endpoints")).toEqual([expect.objectContaining({ id: o.endpointId, endpoint_name: "vast-reranker-sl", cold_workers: 0, max_workers: 2 })]);
    expect(await cli("show", "workergroups")).toEqual([expect.objectContaining({ id: o.workerGroupId, endpoint_id: o.endpointId })]);

    await p.stack.preview({ expectNoChanges: true });
    await p.stack.refresh({ expectNoChanges: true });

    // The endpoint key and the Vast key are never in plaintext in state, logs or files.
    const exported = p.cli(["stack", "export"]);
    for (const secret of [key, emu.apiKey]) {
      expect(exported).not.toContain(secret);
      expect(log).not.toContain(secret);
      expect(filesContaining(p.backendDir, secret)).toEqual([]);
    }

    const down = await p.stack.destroy();
    expect(down.summary.result).toBe("succeeded");
    expect(emu.serverless.state.endpoints.size).toBe(0);
    expect(emu.serverless.state.groups.size).toBe(0);
    expect(liveInstances(emu)).toEqual([]);
  }, 600_000);
});
