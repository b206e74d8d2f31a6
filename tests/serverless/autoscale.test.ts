// The emulated engine under load through the route: workers are added as the claimed load exceeds
// the benchmarked capacity, a worker killed mid-traffic is re-routed around and replaced, and after
// the load stops workers go cold (stopped, storage still billed) or are released. No request fails.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator/index.ts";
import { ServerlessRerankClient } from "../../components/client/serverless.ts";
import { call } from "../emulator/helpers.ts";
import { ROOT, makeEndpoint, routeLoad, startServerless, until, type Outcome } from "./helpers.ts";

describe("autoscaling through the route", () => {
  let emu: RunningEmulator;
  let client: ServerlessRerankClient;
  let ep: { id: number; key: string; wgId: number };
  const name = "scale-test";
  const workers = async () => (await call(emu, "POST", "/get_endpoint_workers/", { id: ep.id })).body as Array<{ id: number; status: string; url: string | null }>;
  const idle = async () => (await workers()).filter((w) => w.status === "idle").length;

  beforeAll(async () => {
    emu = await startServerless({ serverless: { tickMs: 200, scaleDownMs: 2000, loadWindowMs: 3000 } });
    ep = await makeEndpoint(emu, name, { coldWorkers: 1, maxWorkers: 2, inactivityTimeout: 4 });
    client = new ServerlessRerankClient({ routeUrl: `${emu.url}/route/`, endpointName: name, endpointKey: ep.key, caUrl: `${emu.url}/static/jvastai_root.cer`, timeoutMs: 180_000 });
  });
  afterAll(async () => {
    await client?.close();
    await emu?.stop();
  });

  it("idle: one cold worker is recruited, loaded, then stopped (storage billed, no GPU)", async () => {
    await until(async () => (await workers()).some((w) => w.status === "stopped"), 120_000, "a cold worker");
    expect(await workers()).toEqual([expect.objectContaining({ status: "stopped" })]);
  }, 150_000);

  it("the project's load test through the route (tools/loadtest) makes the engine add a worker; no request fails", async () => {
    const load = promisify(execFile)(process.execPath, [join(ROOT, "tools/loadtest/loadtest.ts"), "--route-url", `${emu.url}/route/`, "--endpoint-name", name,
      "--cost", "4000", "--concurrency", "3", "--docs", "4", "--duration", "45", "--json"], { env: { ...process.env, RERANKER_API_KEY: ep.key }, timeout: 240_000 });
    await until(async () => (await idle()) === 2, 150_000, "two ready workers under the load test");
    const report = JSON.parse((await load).stdout) as { report: { requests: number; ok: number; errorsByStatus: Record<string, number> } };
    expect(report.report.requests).toBeGreaterThan(20);
    expect(report.report.errorsByStatus).toEqual({});
    expect(report.report.ok).toBe(report.report.requests);
  }, 300_000);

  it("a worker killed mid-traffic is re-routed around and replaced; no request fails", async () => {
    await until(async () => (await idle()) === 2, 60_000, "two ready workers");
    let stop = false;
    const outcomes: Outcome[] = [];
    const before = await workers();
    const load = routeLoad(client, { concurrency: 3, cost: 4000, until: () => stop, sink: outcomes });
    try {
      const victim = emu.instances().find((i) => i.id === before[0].id);
      expect(victim?._emulator.pid).toBeGreaterThan(0);
      process.kill(-(victim?._emulator.pid as number), "SIGKILL"); // the worker's whole container
      await until(async () => (await workers()).every((w) => w.id !== before[0].id), 30_000, "the dead worker released");
      await until(async () => (await idle()) === 2, 150_000, "a replacement worker ready");
      expect((await workers()).map((w) => w.id)).not.toContain(before[0].id);
      // Keep the load on until the replacement has served too.
      const old = new Set(before.map((w) => w.url));
      await until(() => outcomes.some((o) => o.worker && !old.has(o.worker)), 60_000, "the replacement serving");
    } finally {
      stop = true;
      await load;
    }
    const failed = outcomes.filter((o) => o.status !== 200);
    expect(failed).toEqual([]);
    const old = new Set(before.map((w) => w.url));
    expect(outcomes.filter((o) => o.worker && !old.has(o.worker)).length).toBeGreaterThan(0); // the replacement served
  }, 400_000);

  it("after the load: hot workers go cold up to coldWorkers, the rest are released", async () => {
    await until(async () => {
      const w = await workers();
      return w.length === 1 && w[0].status === "stopped";
    }, 60_000, "one cold worker and no hot one");
    const live = emu.instances().filter((i) => !i._emulator.destroyed);
    expect(live.map((i) => i.actual_status)).toEqual(["stopped"]);
  }, 90_000);
});
