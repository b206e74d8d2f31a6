// The emulator's request_logs (emulator/logs.ts), as Vast serves it: a result URL that answers 403
// until the upload lands; the daemon log ("No such file" before the pull, per-layer lines that
// advance with it, a stalled pull that stops writing); the container log ("No such container"
// before it exists, then the server's stdout). Read both ways: plain HTTP and Vast's own SDK
// (vastai 1.9.1 `logs`, .cache/vastai-venv), which must get the same text.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator/index.ts";
import { LAYER_SHARES, pullSchedule, requestLogs, serveUpload, UPLOAD_MS } from "../../emulator/logs.ts";
import type { Rec } from "../../emulator/instances.ts";
import { call, createBody, start } from "./helpers.ts";
import { sleep } from "../helpers/wait.ts";

const ROOT = join(import.meta.dirname, "../..");
const SDK_PYTHON = join(ROOT, ".cache/vastai-venv/bin/python");
let emu: RunningEmulator;

beforeAll(async () => { emu = await start({ pendingMs: 100, createdMs: 100, loadingMs: 3_000, modelLoadMs: 1_500 }); });
afterAll(async () => { await emu?.stop(); });
beforeEach(async () => { await emu.reset(); });


async function rent(body = createBody()): Promise<number> {
  const offers = (await call(emu, "POST", "/api/v0/bundles/", { num_gpus: { eq: 1 }, rentable: { eq: true }, direct_port_count: { gte: 1 }, cuda_max_good: { gte: 12.9 } })).body.offers;
  const r = await call(emu, "PUT", `/api/v0/asks/${offers[0].id}/`, body);
  expect(r.body.success).toBe(true);
  return r.body.new_contract as number;
}

/** request_logs, then the result URL until it is there (counting the 403s). */
async function logs(id: number, daemon: boolean, extra: Record<string, string> = {}): Promise<{ text: string; notReady: number }> {
  const r = await call(emu, "PUT", `/api/v0/instances/request_logs/${id}/`, { tail: "1000", ...(daemon ? { daemon_logs: "true" } : {}), ...extra });
  expect(r.status).toBe(200);
  expect(r.body.result_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/_emulator\/log-uploads\/[0-9a-f]+\.log$/);
  for (let notReady = 0; ; notReady++) {
    const res = await fetch(r.body.result_url); // no key: the result URL is unauthenticated
    if (res.status === 200) return { text: await res.text(), notReady };
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("AccessDenied");
    await sleep(50);
  }
}

describe("request_logs", () => {
  it("answers a result URL that is 403 until uploaded; an unknown name is 404; a destroyed instance 404 no_such_instance", async () => {
    // The upload's timing, on the emulator's own clock (a loaded machine may take longer than it between two calls).
    const rec = { id: 5, actual: null, req: { image: "img:1" } } as unknown as Rec;
    const url = (requestLogs(rec, { tail: "10", daemon_logs: "true" }, "http://h", "", 1, 1_000).json as { result_url: string }).result_url;
    const name = url.split("/").pop() as string;
    expect(serveUpload(name, 1_000 + UPLOAD_MS - 1).status).toBe(403);
    expect(serveUpload(name, 1_000 + UPLOAD_MS)).toMatchObject({ status: 200, text: "cat: /var/lib/vastai_kaalia/data/instance_extra_logs/C.5: No such file or directory\n" });
    const id = await rent();
    expect((await logs(id, true)).text).toMatch(/No such file or directory/);
    expect((await fetch(`${emu.url}/_emulator/log-uploads/ffff.log`)).status).toBe(404);
    await call(emu, "DELETE", `/api/v0/instances/${id}/`, {});
    const gone = await call(emu, "PUT", `/api/v0/instances/request_logs/${id}/`, { tail: "10" });
    expect(gone.status).toBe(404);
    expect(gone.body.error).toBe("no_such_instance");
  });

  it("daemon log: no file before the pull, then layer lines that advance with it, then the digest", async () => {
    const id = await rent();
    expect((await logs(id, true)).text).toBe(`cat: /var/lib/vastai_kaalia/data/instance_extra_logs/C.${id}: No such file or directory\n`);
    while (emu.instances().find((i) => i.id === id)?.actual_status !== "loading") await sleep(20);
    await sleep(600);
    const early = (await logs(id, true)).text.trim().split("\n");
    await sleep(1_200);
    const later = (await logs(id, true)).text.trim().split("\n");
    expect(early.length).toBeGreaterThanOrEqual(LAYER_SHARES.length); // every layer "Pulling fs layer" at once
    expect(later.length).toBeGreaterThan(early.length);
    expect(early.every((l) => /^[0-9a-f]{12}: (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: )?(Pulling fs layer|Waiting|Downloading|Verifying Checksum|Download complete|Pull complete)$/.test(l))).toBe(true);
    while (emu.instances().find((i) => i.id === id)?.actual_status !== "running") await sleep(50);
    const done = (await logs(id, true)).text;
    expect(done.match(/: Pull complete$/gm)).toHaveLength(LAYER_SHARES.length);
    expect(done).toMatch(/^Status: Downloaded newer image for vllm\/vllm-openai:v0\.30\.0-cu129$/m);
  });

  it("a stalled pull stops writing lines (stuck_loading)", async () => {
    emu.injectFault({ kind: "stuck_loading" });
    const id = await rent();
    while (emu.instances().find((i) => i.id === id)?.actual_status !== "loading") await sleep(20);
    await sleep(1_500); // past the stall point (35 % of 3 s)
    const a = (await logs(id, true)).text;
    await sleep(1_000);
    expect((await logs(id, true)).text).toBe(a);
    expect(a).not.toMatch(/Status: Downloaded/);
  });

  it("container log: No such container before it exists, then the server's start-up as it happens; tail and filter", async () => {
    emu.configure({ modelLoadMs: 8_000 }); // a long "model load": its lines are read while it lasts
    const id = await rent();
    expect((await logs(id, false)).text).toBe(`Error response from daemon: No such container: C.${id}\n`);
    while (emu.instances().find((i) => i.id === id)?.actual_status !== "running") await sleep(20);
    let loading = "";
    for (let t = 0; t < 100 && !/checkpoint shards/.test(loading); t++) loading = await sleep(100).then(() => logs(id, false)).then((l) => l.text);
    expect(loading).toMatch(/Starting to load model/);
    expect(loading).toMatch(/Loading safetensors checkpoint shards: \d+% Completed/);
    expect(loading).not.toMatch(/Application startup complete/);
    expect(loading).not.toMatch(/^\[emulator\]/m);
    for (let t = 0; t < 300 && !(await logs(id, false)).text.includes("Application startup complete."); t++) await sleep(100);
    const full = (await logs(id, false)).text;
    expect(full).toMatch(/Application startup complete\./);
    expect((await logs(id, false, { tail: "2" })).text.trim().split("\n")).toHaveLength(2);
    expect((await logs(id, false, { filter: "checkpoint shards" })).text.trim().split("\n").every((l) => l.includes("checkpoint shards"))).toBe(true);
    emu.configure({ modelLoadMs: 1_500 });
  }, 60_000);
});

describe("Vast's own SDK reads them", () => {
  it("vastai 1.9.1 `logs` (container and daemon_logs) gets the same text as plain HTTP", async () => {
    expect(existsSync(SDK_PYTHON), "run scripts/setup-vastai.sh (npm test's prepare step does)").toBe(true);
    const id = await rent();
    while (emu.instances().find((i) => i.id === id)?.actual_status !== "running") await sleep(50);
    // Asynchronously: the emulator answers from this very process.
    const sdk = async (daemon: boolean) => (await promisify(execFile)(SDK_PYTHON, ["-c", [
      "import sys", "from vastai.api.client import VastClient", "from vastai.api import instances",
      "c = VastClient(api_key=sys.argv[1], server_url=sys.argv[2])",
      "sys.stdout.write(instances.logs(c, int(sys.argv[3]), tail='1000', daemon_logs=sys.argv[4] == '1'))",
    ].join("\n"), emu.apiKey, emu.url, String(id), daemon ? "1" : "0"], { encoding: "utf8", timeout: 20_000 })).stdout;
    const daemon = await sdk(true);
    expect(daemon).toMatch(/Pull complete/);
    expect(daemon).toBe((await logs(id, true)).text);
    expect(await sdk(false)).toMatch(/vLLM API server version|Starting to load model/);
  }, 30_000);
});

describe("pullSchedule", () => {
  it("ends at the pull's duration, each layer downloaded before extracted, extraction in order", () => {
    const ev = pullSchedule(1, "img:1", 60_000);
    expect(ev.at(-1)!.at).toBe(60_000);
    const when = (re: RegExp) => ev.filter((e) => re.test(e.line)).map((e) => e.at);
    const done = when(/Download complete$/);
    const pulled = when(/Pull complete$/);
    expect(done).toHaveLength(LAYER_SHARES.length);
    expect([...pulled].sort((a, b) => a - b)).toEqual(pulled);
    // The longest silence between two lines: the largest layer's download, at most 60 % of the pull.
    const gaps = ev.slice(1).map((e, i) => e.at - ev[i].at);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(0.6 * 60_000);
  });
});
