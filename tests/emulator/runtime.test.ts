// Instances with a vLLM image run their launch for real: the stand-in behind the mapped port.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CohereClientV2, CohereError } from "cohere-ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator/index.ts";
import { alive, call, groupAlive, healthy, hostPort, rent, sleep, start, until } from "./helpers.ts";
import { GUIDE_DOCS, GUIDE_QUERY, post } from "./standin-helpers.ts";

const VKEY = "vllm-secret";
const ENTRYPOINT = { onstart: "/bin/sh", args: ["-c", "exec vllm serve --model BAAI/bge-reranker-base --served-model-name reranker"] };

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await start({ modelLoadMs: 600 });
});
afterAll(() => emu.stop());

async function running(id: number) {
  const i = await until(emu, id, (x) => x?.actual_status === "running" || x?.actual_status === "exited");
  expect(i?.actual_status).toBe("running");
  return { inst: i, base: `http://${i?.public_ipaddr}:${hostPort(i)}` };
}

describe("executing the launch", () => {
  it("runs onstart + args (the --entrypoint quirk) in its own process group with the instance env", async () => {
    const id = await rent(emu, { ...ENTRYPOINT, env: { "-p 8000:8000": "1", VLLM_API_KEY: VKEY } });
    const { base } = await running(id);
    await expect(fetch(`${base}/health`)).rejects.toThrow(); // connection refused: the model is loading
    await healthy(base);
    expect((await post(base, "/v1/rerank", { query: GUIDE_QUERY, documents: GUIDE_DOCS })).status).toBe(401);
    const open = await post(base, "/rerank", { query: GUIDE_QUERY, documents: GUIDE_DOCS }); // stock vLLM: unguarded
    expect(open.status).toBe(200);
    expect(open.json.model).toBe("reranker");
    const admin = emu.instances().find((x) => x.id === id);
    expect(admin?._emulator.pid).toBeGreaterThan(0);
    expect(groupAlive(admin?._emulator.pid as number)).toBe(true);
    // The test run's tag reaches the instance's processes, so the end-of-run sweep can find them.
    const environ = readFileSync(`/proc/${admin?._emulator.pid}/environ`, "utf8").split("\0");
    expect(process.env.VR_TEST_RUN).toBeTruthy();
    expect(environ).toContain(`VR_TEST_RUN=${process.env.VR_TEST_RUN}`);
    const logs = emu.instanceLogs(id);
    expect(logs).toContain('[emulator] exec ["/bin/sh","-c","exec vllm serve');
    expect(logs).toContain("Starting vLLM server on http://0.0.0.0:8000");
    // The CLI's log route hands back a URL that serves the same text once "uploaded" (403 before: emulator/logs.ts).
    const rl = await call(emu, "PUT", `/api/v0/instances/request_logs/${id}/`, { tail: "1000" });
    expect(rl.body.success).toBe(true);
    let res = await fetch(rl.body.result_url);
    for (let i = 0; res.status === 403 && i < 50; i++) res = await new Promise((r) => setTimeout(r, 50)).then(() => fetch(rl.body.result_url));
    expect(await res.text()).toContain("Application startup complete.");
    await call(emu, "DELETE", `/api/v0/instances/${id}/`, {});
    expect(groupAlive(admin?._emulator.pid as number)).toBe(false);
    await expect(fetch(`${base}/health`)).rejects.toThrow();
  });

  it("runtype args without onstart runs the image ENTRYPOINT `vllm serve` + args, loading --middleware from PYTHONPATH", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mw-inst-"));
    writeFileSync(
      join(dir, "inst_guard.py"),
      [
        "import os",
        "from starlette.responses import JSONResponse",
        "class Guard:",
        "    def __init__(self, app):",
        "        self.app, self.key = app, os.environ['VLLM_API_KEY']",
        "    async def __call__(self, scope, receive, send):",
        "        if scope['type'] == 'http' and scope['path'] != '/health':",
        "            if dict(scope['headers']).get(b'authorization', b'').decode() != 'Bearer ' + self.key:",
        "                return await JSONResponse({'error': 'Unauthorized'}, status_code=401)(scope, receive, send)",
        "        await self.app(scope, receive, send)",
        "",
      ].join("\n"),
    );
    try {
      const id = await rent(emu, {
        onstart: null,
        args: ["--model", "BAAI/bge-reranker-base", "--middleware", "inst_guard.Guard"],
        env: { "-p 8000:8000": "1", VLLM_API_KEY: VKEY, PYTHONPATH: dir },
      });
      const { base } = await running(id);
      await healthy(base);
      expect((await post(base, "/rerank", { query: "q", documents: ["d"] })).status).toBe(401);
      expect((await post(base, "/invocations", { query: "q", documents: ["d"] })).status).toBe(401);
      expect((await post(base, "/rerank", { query: "q", documents: ["d"] }, VKEY)).status).toBe(200);
      await call(emu, "DELETE", `/api/v0/instances/${id}/`, {});
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the cohere-ai client (CohereClientV2, server root as base URL) reranks against the instance", async () => {
    const id = await rent(emu, { ...ENTRYPOINT, image: "vllm/vllm-openai:v0.30.0-cu129", env: { "-p 8000:8000": "1", VLLM_API_KEY: VKEY } });
    const { base } = await running(id);
    await healthy(base);
    expect(await (await fetch(`${base}/version`)).json()).toEqual({ version: "0.30.0" }); // from the image tag
    const co = new CohereClientV2({ token: VKEY, environment: base, maxRetries: 0 });
    const res = await co.rerank({ model: "reranker", query: GUIDE_QUERY, documents: GUIDE_DOCS });
    expect(res.results.map((r) => r.index).slice(0, 2).sort()).toEqual([0, 2]);
    expect(res.results[0].relevanceScore).toBeGreaterThan(0.99);
    expect(res.results[3].relevanceScore).toBeLessThan(0.001);
    const top = await co.rerank({ model: "reranker", query: GUIDE_QUERY, documents: GUIDE_DOCS, topN: 1 });
    expect(top.results).toHaveLength(1);
    // An empty token sends no Authorization header: /v2/rerank is guarded by stock vLLM (>= 0.21).
    const anon = new CohereClientV2({ token: "", baseUrl: base, maxRetries: 0 });
    const err = await anon.rerank({ model: "reranker", query: "q", documents: ["d"] }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(CohereError);
    expect((err as CohereError).statusCode).toBe(401);
    await call(emu, "DELETE", `/api/v0/instances/${id}/`, {});
  });

  it("non-vLLM images and ssh runtypes start nothing", async () => {
    const a = await rent(emu, { image: "nvidia/cuda:12.4.1-runtime-ubuntu22.04", runtype: "args", args: ["sleep", "100"] });
    const b = await rent(emu, { runtype: "ssh_direc ssh_proxy", args: null, onstart: "vllm serve --model x" });
    await running(a);
    await running(b);
    for (const id of [a, b]) {
      expect(emu.instances().find((x) => x.id === id)?._emulator.pid).toBeNull();
      await call(emu, "DELETE", `/api/v0/instances/${id}/`, {});
    }
  });
});

describe("runtime faults", () => {
  it("model_load_fail: the stand-in never listens, exits non-zero, and the instance shows exited", async () => {
    emu.injectFault({ kind: "model_load_fail" });
    const id = await rent(emu, { ...ENTRYPOINT, env: { "-p 8000:8000": "1" } });
    const { base } = await running(id);
    const gone = await until(emu, id, (x) => x?.actual_status === "exited");
    expect(gone?.status_msg).toContain("exited with code 1");
    await expect(fetch(`${base}/health`)).rejects.toThrow();
    expect(emu.instanceLogs(id)).toContain("Engine core initialization failed");
  });

  it("offline_after_running: the host's server becomes unreachable", async () => {
    const id = await rent(emu, { ...ENTRYPOINT, env: { "-p 8000:8000": "1" } });
    const { base } = await running(id);
    await healthy(base);
    emu.injectFault({ kind: "offline_after_running", instanceId: id });
    await until(emu, id, (x) => x?.actual_status === "offline");
    for (let n = 0; n < 40 && (await fetch(`${base}/health`).then(() => true, () => false)); n++) await sleep(50);
    await expect(fetch(`${base}/health`)).rejects.toThrow();
  });
});

describe("stop()", () => {
  it("kills every instance process group, backgrounded children included", async () => {
    const other = await start({ modelLoadMs: 100 });
    const script = "sleep 300 & exec vllm serve --model BAAI/bge-reranker-base";
    const ids = [
      await rent(other, { onstart: "/bin/sh", args: ["-c", script] }),
      await rent(other, { onstart: null, args: ["--model", "BAAI/bge-reranker-base"] }),
    ];
    for (const id of ids) {
      const i = await until(other, id, (x) => x?.actual_status === "running");
      await healthy(`http://127.0.0.1:${hostPort(i)}`);
    }
    const pids = other.instances().map((x) => x._emulator.pid as number);
    expect(pids.every((p) => p > 0 && alive(p))).toBe(true);
    await other.stop();
    for (const p of pids) {
      expect(alive(p)).toBe(false);
      expect(groupAlive(p)).toBe(false);
    }
  });
});
