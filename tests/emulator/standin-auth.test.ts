// The stand-in's stock API-key behaviour, --middleware loading, startup and CLI (docs/vllm-api.md §3, §5, §10).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultPython } from "../../emulator/runtime.ts";
import { sleep } from "./helpers.ts";
import { GUIDE_DOCS, GUIDE_QUERY, post, standin, STANDIN, type Standin } from "./standin-helpers.ts";

const KEY = "sk-stock";
type ModelList = { data: Array<{ id: string; max_model_len: number }> };
const body = { query: GUIDE_QUERY, documents: GUIDE_DOCS };

describe("stock vLLM auth (current: /v1 /v2 /inference /cohere guarded)", () => {
  let s: Standin;
  beforeAll(async () => {
    s = await standin(["--model", "BAAI/bge-reranker-base"], { VLLM_API_KEY: KEY }); // key from the env
  });
  afterAll(() => s.stop());

  it("/rerank, /score and /invocations answer WITHOUT a key; /v1/rerank, /v2/rerank, /v1/score need it", async () => {
    expect((await post(s.base, "/rerank", body)).status).toBe(200);
    expect((await post(s.base, "/score", { text_1: GUIDE_QUERY, text_2: GUIDE_DOCS })).status).toBe(200);
    expect((await post(s.base, "/invocations", body)).status).toBe(200);
    for (const path of ["/v1/rerank", "/v2/rerank", "/v1/score"]) {
      const r = await post(s.base, path, path.endsWith("score") ? { text_1: "a", text_2: "b" } : body);
      expect(r.status, path).toBe(401);
      expect(r.text).toBe('{"error":"Unauthorized"}');
      expect(r.headers.get("content-type")).toBe("application/json");
      expect(r.headers.get("www-authenticate")).toBeNull();
    }
    expect((await post(s.base, "/v1/rerank", body, KEY)).status).toBe(200);
    expect((await post(s.base, "/v2/rerank", body, KEY)).status).toBe(200);
  });

  it("wrong key and wrong scheme are 401; the scheme is case-insensitive; OPTIONS is never checked", async () => {
    expect((await post(s.base, "/v1/rerank", body, "wrong")).status).toBe(401);
    expect((await post(s.base, "/v1/rerank", body, undefined, { Authorization: `Basic ${KEY}` })).status).toBe(401);
    expect((await post(s.base, "/v1/rerank", body, undefined, { Authorization: `bEaReR ${KEY}` })).status).toBe(200);
    expect((await fetch(`${s.base}/v1/rerank`, { method: "OPTIONS" })).status).not.toBe(401);
  });

  it("guards by prefix, before routing: /inference and /cohere are 401 without a key, 404 with it", async () => {
    expect((await fetch(`${s.base}/inference/v1/generate`, { method: "POST" })).status).toBe(401);
    expect((await fetch(`${s.base}/cohere/v2/rerank`, { method: "POST" })).status).toBe(401);
    const withKey = await fetch(`${s.base}/cohere/v2/rerank`, { method: "POST", headers: { Authorization: `Bearer ${KEY}` } });
    expect(withKey.status).toBe(404);
    for (const open of ["/health", "/ping", "/version", "/load", "/metrics"]) expect((await fetch(s.base + open)).status, open).toBe(200);
  });
});

describe("auth modes and flags", () => {
  it('"v1-only" mode (vLLM <= 0.20) leaves /v2/rerank open; --api-key wins over VLLM_API_KEY', async () => {
    const s = await standin(["--model", "m", "--api-key", "cli-key"], { VLLM_API_KEY: "env-key", VLLM_STANDIN_GUARDED_PREFIXES: "v1-only" });
    try {
      expect((await post(s.base, "/v2/rerank", body)).status).toBe(200);
      expect((await post(s.base, "/v1/rerank", body, "env-key")).status).toBe(401);
      expect((await post(s.base, "/v1/rerank", body, "cli-key")).status).toBe(200);
    } finally {
      await s.stop();
    }
  });

  it("without an explicit setting the guard follows the version (0.20.x: /v1 only)", async () => {
    const s = await standin(["--model", "m"], { VLLM_API_KEY: KEY, VLLM_STANDIN_VERSION: "0.20.2" });
    try {
      expect(await (await fetch(`${s.base}/version`)).json()).toEqual({ version: "0.20.2" });
      expect((await post(s.base, "/v2/rerank", body)).status).toBe(200); // vllm#42591
      expect((await post(s.base, "/v1/rerank", body)).status).toBe(401);
    } finally {
      await s.stop();
    }
  });

  it("no key configured: nothing is checked", async () => {
    const s = await standin(["BAAI/bge-reranker-base"]); // positional model_tag
    try {
      expect((await post(s.base, "/v1/rerank", body)).status).toBe(200);
      const m = (await (await fetch(`${s.base}/v1/models`)).json()) as ModelList;
      expect(m.data[0].id).toBe("BAAI/bge-reranker-base");
    } finally {
      await s.stop();
    }
  });

  it("accepts vLLM's tuning flags (dashes or underscores) and honours --max-model-len", async () => {
    const s = await standin([
      "--model", "BAAI/bge-reranker-base", "--dtype", "half", "--gpu-memory-utilization", "0.35", "--enforce-eager",
      "--disable-log-requests", "--runner", "pooling", "--uvicorn-log-level", "warning",
      "--disable-access-log-for-endpoints", "/health,/metrics", "--max_model_len", "256", "--host", "0.0.0.0", "--port", "8000",
    ]);
    try {
      const m = (await (await fetch(`${s.base}/v1/models`)).json()) as ModelList;
      expect(m.data[0].max_model_len).toBe(256);
    } finally {
      await s.stop();
    }
  });

  it("rejects unknown flags and a repeated `serve` like argparse (exit 2)", () => {
    const py = defaultPython();
    const unknown = spawnSync(py, [STANDIN, "--model", "m", "--bogus-flag"], { encoding: "utf8" });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("vllm serve: error: unrecognized arguments: --bogus-flag");
    const serve = spawnSync(py, [STANDIN, "serve", "--model", "m"], { encoding: "utf8" });
    expect(serve.status).toBe(2);
    expect(serve.stderr).toContain("unrecognized arguments: serve");
  });
});

describe("--middleware from PYTHONPATH", () => {
  const dir = mkdtempSync(join(tmpdir(), "mw-test-"));
  writeFileSync(
    join(dir, "test_guard.py"),
    [
      "import os",
      "from starlette.responses import JSONResponse",
      "",
      "class RequireKey:",
      "    \"\"\"Pure ASGI: every path but /health needs the key (reads it from the env, as vLLM passes no args).\"\"\"",
      "    def __init__(self, app):",
      "        self.app = app",
      "        self.key = os.environ['VLLM_API_KEY']",
      "    async def __call__(self, scope, receive, send):",
      "        if scope['type'] == 'http' and scope['path'] != '/health':",
      "            auth = dict(scope['headers']).get(b'authorization', b'').decode()",
      "            if auth != 'Bearer ' + self.key:",
      "                return await JSONResponse({'error': 'Unauthorized'}, status_code=401)(scope, receive, send)",
      "        await self.app(scope, receive, send)",
      "",
      "async def tag(request, call_next):",
      "    response = await call_next(request)",
      "    response.headers['x-guard'] = 'on'",
      "    return response",
      "",
      "NOT_MIDDLEWARE = 3",
      "",
    ].join("\n"),
  );
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("a class is added with add_middleware and runs before the stock check; a function is HTTP middleware", async () => {
    const s = await standin(["--model", "m", "--middleware", "test_guard.RequireKey", "--middleware", "test_guard.tag"], { VLLM_API_KEY: KEY, PYTHONPATH: dir });
    try {
      expect((await post(s.base, "/rerank", body)).status).toBe(401); // hardened
      expect((await post(s.base, "/invocations", body)).status).toBe(401);
      const ok = await post(s.base, "/rerank", body, KEY);
      expect(ok.status).toBe(200);
      expect(ok.headers.get("x-guard")).toBe("on");
      expect((await fetch(`${s.base}/health`)).status).toBe(200);
    } finally {
      await s.stop();
    }
  });

  it("anything else fails startup with vLLM's error", async () => {
    const s = await standin(["--model", "m", "--middleware", "test_guard.NOT_MIDDLEWARE"], { PYTHONPATH: dir }, false);
    expect(await s.exited).not.toBe(0);
    expect(s.output()).toContain("Invalid middleware test_guard.NOT_MIDDLEWARE. Must be a function or a class.");
    const missing = await standin(["--model", "m", "--middleware", "no_such_module.X"], {}, false);
    expect(await missing.exited).not.toBe(0);
    expect(missing.output()).toContain("ModuleNotFoundError");
  });
});

describe("startup", () => {
  it("connection refused until the model is loaded, then /health 200", async () => {
    const s = await standin(["--model", "m"], { VAST_EMULATOR_MODEL_LOAD_MS: "1500" }, false);
    try {
      await sleep(300);
      await expect(fetch(`${s.base}/health`)).rejects.toThrow();
      let ok = false;
      for (let i = 0; i < 100 && !ok; i++) {
        ok = await fetch(`${s.base}/health`).then((r) => r.status === 200, () => false);
        if (!ok) await sleep(50);
      }
      expect(ok).toBe(true);
      expect(s.output()).toContain("Application startup complete.");
    } finally {
      await s.stop();
    }
  });

  it("a model-load failure logs the error and exits non-zero without ever listening", async () => {
    const s = await standin(["--model", "m"], { VAST_EMULATOR_MODEL_LOAD_FAIL: "1" }, false);
    expect(await s.exited).toBe(1);
    expect(s.output()).toContain("Engine core initialization failed");
    expect(s.output()).not.toContain("Application startup complete");
  });
});
