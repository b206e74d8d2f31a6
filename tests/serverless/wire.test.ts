// Pure pieces of serverless mode: the request bodies, the launch as Vast's server reads it back (the
// emulator's launch_args reader and its env-string parser), and the providers' diff/check verdicts.
import { describe, expect, it } from "vitest";
import { buildWorkerLaunch, workerSource } from "../../components/serverless/launch.ts";
import { endpointBody, envString, launchArgs, routeBody, workerGroupBody } from "../../components/serverless/wire.ts";
import { VastServerlessEndpointProvider, type EndpointOutputs } from "../../components/serverless/endpointProvider.ts";
import { VastWorkerGroupProvider, type WorkerGroupInputs, type WorkerGroupOutputs } from "../../components/serverless/workerGroupProvider.ts";
import { createBodyFromLaunchArgs } from "../../emulator/serverless/launchArgs.ts";
import { parseEnvString } from "../../emulator/validate.ts";
import { SETTINGS, SPEC } from "./helpers.ts";

describe("request bodies", () => {
  it("the endpoint body carries every knob (Vast's PUT replaces the record)", () => {
    expect(endpointBody("ep", SETTINGS)).toEqual({
      client_id: "me", endpoint_name: "ep", min_load: 0, min_cold_load: 0, target_util: 0.9, cold_mult: 1, cold_workers: 0, max_workers: 2,
      max_queue_time: 30, target_queue_time: 10, inactivity_timeout: 300, autoscaler_instance: "prod",
    });
    expect(routeBody("ep", "k")).toEqual({ endpoint: "ep", api_key: "k", cost: 100, request_idx: 0, replay_timeout: 60 });
  });

  it("launch_args survive Vast's reading: image, disk, env, entrypoint and the script byte for byte", () => {
    const launch = buildWorkerLaunch(SPEC, { consoleUrl: "https://console.vast.ai", maxQueueTime: 30, extraEnv: { HF_TOKEN: "a b" } });
    const env = { ...launch.env, VR_ENDPOINT_KEY: "f".repeat(64) };
    const read = createBodyFromLaunchArgs(launchArgs(launch, env, 40));
    if ("error" in read) throw new Error(read.error);
    expect(read.body).toMatchObject({ image: SPEC.image, disk: 40, onstart: "/bin/sh", runtype: "args", args: launch.args });
    const parsed = parseEnvString(read.body.env as string);
    expect(parsed).toMatchObject({ "-p 3000:3000": "1", WORKER_PORT: "3000", USE_SSL: "true", VR_ENDPOINT_KEY: "f".repeat(64), VR_SERVED_MODEL: "BAAI/bge-reranker-base" });
    expect(parsed.HF_TOKEN).toBe("a b");
    expect(envString({ A: "1", "-p 3000:3000": "1" })).toBe("-e A=1 -p 3000:3000");
  });

  it("the worker script is embedded without its comments; the launch holds no key", () => {
    expect(workerSource()).not.toMatch(/^\s*#/m);
    expect(workerSource()).toContain("hmac.compare_digest");
    const launch = buildWorkerLaunch(SPEC, { consoleUrl: "", maxQueueTime: 30 });
    expect(JSON.stringify(launch)).not.toContain("VR_ENDPOINT_KEY=");
    expect(launch.args[1]).toContain("vastai==1.9.1");
    expect(launch.args[1]).toContain("--host 127.0.0.1 --port 18000");
  });

  it("the worker group body: one group per endpoint, search_params as given", () => {
    const b = workerGroupBody({ endpointId: 7, endpointName: "ep", searchParams: "gpu_ram >= 16", launchArgs: "--image x:1", settings: SETTINGS });
    expect(b).toMatchObject({ endpoint_id: 7, endpoint_name: "ep", search_params: "gpu_ram >= 16", launch_args: "--image x:1", cold_workers: 0, max_workers: 2, template_hash: null });
  });
});

describe("provider verdicts", () => {
  const epOld: EndpointOutputs = { endpointName: "ep", settings: SETTINGS, endpointId: 1, endpointKey: "k", routeUrl: "u", caUrl: "c" };
  it("endpoint: a new name replaces it; knobs update in place; bad knobs fail check", async () => {
    const p = new VastServerlessEndpointProvider();
    expect(await p.diff("1", epOld, { endpointName: "ep2", settings: SETTINGS })).toMatchObject({ changes: true, replaces: ["endpointName"] });
    expect(await p.diff("1", epOld, { endpointName: "ep", settings: { ...SETTINGS, maxWorkers: 3 } })).toMatchObject({ changes: true, replaces: [] });
    expect(await p.diff("1", epOld, { endpointName: "ep", settings: SETTINGS })).toMatchObject({ changes: false });
    process.env.VAST_API_KEY ??= "";
    const checked = await p.check(epOld, { endpointName: "bad name", settings: { ...SETTINGS, targetUtil: 2 } });
    expect(checked.failures?.map((f) => f.property)).toEqual(expect.arrayContaining(["endpointName", "settings"]));
  });

  it("worker group: a new launch or key replaces it (no worker keeps the old one); sizes update in place", async () => {
    const p = new VastWorkerGroupProvider();
    const launch = buildWorkerLaunch(SPEC, { consoleUrl: "", maxQueueTime: 30 });
    const news: WorkerGroupInputs = { endpointId: 1, endpointName: "ep", endpointKey: "k", launch, diskGb: 40, searchParams: { gpu_ram: { gte: 16000 } }, coldWorkers: 1, maxWorkers: 2 };
    const { createHash } = await import("node:crypto");
    const olds: WorkerGroupOutputs = { ...news, workerGroupId: 9, endpointKeyHash: createHash("sha256").update("k").digest("hex") } as WorkerGroupOutputs;
    delete (olds as Partial<WorkerGroupInputs>).endpointKey;
    expect(await p.diff("9", olds, news)).toMatchObject({ changes: false });
    expect(await p.diff("9", olds, { ...news, coldWorkers: 0 })).toMatchObject({ changes: true, replaces: [] });
    expect(await p.diff("9", olds, { ...news, launch: { ...launch, image: "vllm/vllm-openai:v0.31.0" } })).toMatchObject({ replaces: ["launch"] });
    expect(await p.diff("9", olds, { ...news, endpointKey: "other" })).toMatchObject({ replaces: ["endpointKey"] });
  });
});
