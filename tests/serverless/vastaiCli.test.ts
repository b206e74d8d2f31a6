// Request parity for Vast Serverless: Vast's own CLI (PyPI vastai 1.9.1, unchanged) drives the
// emulator's endpoint-group, worker-group (/autojobs/), worker and log routes, and sees what our
// wire builders made (/workergroups/), so both path families and both clients' shapes are accepted.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator/index.ts";
import { call } from "../emulator/helpers.ts";
import { VASTAI_CLI, makeEndpoint, startServerless } from "./helpers.ts";

const run = promisify(execFile);

describe("Vast's CLI against the emulated serverless control plane", () => {
  let emu: RunningEmulator;
  const cli = async (...args: string[]) => {
    const { stdout } = await run(VASTAI_CLI, ["--url", emu.url, "--api-key", emu.apiKey, "--raw", ...args], { timeout: 60_000, env: { ...process.env, HOME: "/tmp" } });
    try {
      return JSON.parse(stdout);
    } catch {
      return stdout.trim(); // some commands print a sentence even with --raw
    }
  };
  beforeAll(async () => {
    emu = await startServerless();
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it("create / show / update / delete endpoint and workergroup; logs; workers", async () => {
    await cli("create", "endpoint", "--endpoint_name", "cli-ep", "--cold_workers", "0", "--max_workers", "1", "--inactivity_timeout", "60");
    const eps = await cli("show", "endpoints");
    const ep = eps.find((e: { endpoint_name: string }) => e.endpoint_name === "cli-ep");
    expect(ep).toMatchObject({ cold_workers: 0, max_workers: 1, inactivity_timeout: 60, min_load: 0, target_util: 0.9, cold_mult: 2.5 });
    expect(ep.api_key).toBeUndefined(); // the CLI hides it; the row carries it (below)
    expect((await call(emu, "GET", `/api/v0/endptjobs/${ep.id}/`)).body.result.api_key).toMatch(/^[0-9a-f]{64}$/);
    await cli("create", "workergroup", "--endpoint_name", "cli-ep", "--search_params", "gpu_ram>=16 num_gpus=1",
      "--launch_args", "--image vllm/vllm-openai:v0.30.0-cu129 --disk 20 --env '-p 3000:3000' --entrypoint /bin/sh --args -c 'sleep 1'");
    const wgs = await cli("show", "workergroups");
    const wg = wgs.find((g: { endpoint_id: number }) => g.endpoint_id === ep.id);
    // The CLI appends Vast's default search terms unless --no-default.
    expect(wg.search_params).toBe("gpu_ram>=16 num_gpus=1 verified=True rentable=True rented=False");
    expect(emu.serverless.state.groups.get(wg.id)?.query).toMatchObject({ gpu_ram: { gte: 16000 }, num_gpus: { eq: "1" }, verified: { eq: true } });
    await cli("update", "endpoint", String(ep.id), "--endpoint_name", "cli-ep", "--cold_workers", "0", "--max_workers", "2");
    expect((await cli("show", "endpoints")).find((e: { id: number }) => e.id === ep.id).max_workers).toBe(2);
    const logs = await cli("get", "endpt-logs", String(ep.id));
    expect(JSON.stringify(logs)).toContain("created endpoint cli-ep");
    await cli("delete", "workergroup", String(wg.id));
    await cli("delete", "endpoint", String(ep.id));
    expect(await cli("show", "endpoints")).toEqual([]);
  }, 120_000);

  it("our /workergroups/ rows are listed by the CLI's /autojobs/; bad requests get Vast's errors", async () => {
    const ep = await makeEndpoint(emu, "ours", { coldWorkers: 0, maxWorkers: 1 });
    const wgs = await cli("show", "workergroups");
    expect(wgs.filter((g: { endpoint_id: number }) => g.endpoint_id === ep.id)).toEqual([expect.objectContaining({ id: ep.wgId, endpoint_name: "ours" })]);
    expect((await call(emu, "POST", "/api/v0/workergroups/", { endpoint_id: 999, search_params: "", launch_args: "--image x:1" })).body.msg)
      .toBe("Please assign your workergroup to a valid endpoint identifier");
    expect((await call(emu, "POST", "/api/v0/endptjobs/", { endpoint_name: "bad name" })).status).toBe(400);
    expect((await call(emu, "DELETE", "/api/v0/workergroups/424242/")).body).toMatchObject({ error: "no_such_workergroup" });
    expect((await call(emu, "POST", "/route/", { endpoint: "ours", api_key: "nope", cost: 1 }, { key: null })).status).toBe(401);
    const waiting = await call(emu, "POST", "/route/", { endpoint: "ours", api_key: ep.key, cost: 1, request_idx: 0 }, { key: ep.key });
    expect(waiting.body).toMatchObject({ endpoint: "ours", request_idx: expect.any(Number), status: expect.any(String) });
    expect(waiting.body.url).toBeUndefined();
    await call(emu, "DELETE", `/api/v0/endptjobs/${ep.id}/`);
  }, 120_000);
});
