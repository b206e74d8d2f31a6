// A crash mid-create is recovered by the next `pulumi up`: the endpoint Vast made but the stack lost
// (its id never reached state) is adopted by name instead of duplicated, the worker group is made,
// and destroy leaves no endpoint, group or instance.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator/index.ts";
import { createTestProject, type TestProject } from "../helpers/engine.ts";
import { FAST_POLLS, STACK_SOURCES, liveInstances, localStackConfig } from "../helpers/stack.ts";
import { startServerless } from "./helpers.ts";

describe("serverless: an interrupted up is recovered by the next one", () => {
  let emu: RunningEmulator;
  let p: TestProject;
  beforeAll(async () => {
    emu = await startServerless();
    p = await createTestProject({ sources: STACK_SOURCES, stackName: "crash", env: FAST_POLLS, config: localStackConfig(emu, { mode: "serverless", coldWorkers: "0", maxWorkers: "1", probeTimeoutSeconds: "240" }) });
  }, 120_000);
  afterAll(async () => {
    p?.cleanup();
    await emu?.stop();
  });

  it("endpoint created, worker group refused, endpoint lost from state → next up adopts it; destroy cleans up", async () => {
    emu.injectFault({ kind: "http_5xx", route: "POST /api/v0/workergroups", status: 502, count: 1 });
    await expect(p.stack.up()).rejects.toThrow(/create workergroup|502/);
    expect(emu.serverless.state.endpoints.size).toBe(1);
    expect(emu.serverless.state.groups.size).toBe(0);
    const [first] = [...emu.serverless.state.endpoints.keys()];

    // The crash: Vast made the endpoint, the stack's state never heard of it.
    const state = JSON.parse(p.cli(["stack", "export"])) as { deployment: { resources: Array<{ urn: string; type: string }> } };
    const urn = state.deployment.resources.find((r) => r.type === "pulumi-nodejs:dynamic/vast:ServerlessEndpoint")?.urn as string;
    p.cli(["state", "delete", urn, "--yes"]);

    let log = "";
    const up = await p.stack.up({ onOutput: (s) => { log += s; } });
    expect(up.summary.result).toBe("succeeded");
    expect(log).toContain(`adopting endpoint ${first}`);
    expect(up.outputs.endpointId.value).toBe(first);
    expect(emu.serverless.state.endpoints.size).toBe(1);
    expect(emu.serverless.state.groups.size).toBe(1);

    await p.stack.destroy();
    expect(emu.serverless.state.endpoints.size).toBe(0);
    expect(emu.serverless.state.groups.size).toBe(0);
    expect(liveInstances(emu)).toEqual([]);
  }, 600_000);
});
