// guard.py run for real: uvicorn + Starlette, the guard added with app.add_middleware as vLLM does.
import { execFileSync, spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GUARD_PY, rawRequest, servePython, venvPython, type Served } from "./python.ts";
import path from "node:path";

const KEY = "k".repeat(8) + "0123456789abcdef0123456789abcdef0123456789abcdef01234567";
const WRONG = KEY.slice(0, -1) + "8";
const UNAUTHORIZED = '{"error":"Unauthorized"}';
const HARNESS = path.join(__dirname, "guard_app.py");

let app: Served;
beforeAll(async () => {
  app = await servePython([HARNESS, GUARD_PY], { VLLM_API_KEY: KEY });
});
afterAll(async () => app?.stop());

const get = (method: string, p: string, headers: Record<string, string> = {}) =>
  rawRequest(app.port, method, p, headers, method === "POST" ? "{}" : undefined);

const OPEN = [["GET", "/health"], ["HEAD", "/health"], ["GET", "/ping"], ["POST", "/ping"], ["GET", "/version"], ["HEAD", "/version"]];
const GUARDED = [["GET", "/v1/models"], ["POST", "/rerank"], ["POST", "/score"], ["GET", "/metrics"]];

describe("guard.py under uvicorn + Starlette", () => {
  it.each(OPEN)("%s %s answers without a key", async (method, p) => {
    expect((await get(method, p)).status).toBe(200);
  });

  it.each(GUARDED)("%s %s: 401 without a key, exact vLLM body", async (method, p) => {
    const r = await get(method, p);
    expect(r.status).toBe(401);
    expect(r.body).toBe(UNAUTHORIZED);
    expect(r.headers["content-type"]).toBe("application/json");
    expect(r.headers["content-length"]).toBe("24");
  });

  it.each(GUARDED)("%s %s: 401 with a wrong key", async (method, p) => {
    for (const h of [{ authorization: `Bearer ${WRONG}` }, { "x-api-key": WRONG }, { authorization: `Bearer ${KEY}x` }, { authorization: `Bearer ${KEY.slice(0, 32)}` }] as Record<string, string>[]) {
      const r = await get(method, p, h);
      expect(r.status, JSON.stringify(h)).toBe(401);
      expect(r.body).toBe(UNAUTHORIZED);
    }
  });

  it.each(GUARDED)("%s %s: 200 with the key (Bearer any case, x-api-key)", async (method, p) => {
    for (const h of [{ authorization: `Bearer ${KEY}` }, { authorization: `bearer ${KEY}` }, { authorization: `BEARER  ${KEY} ` }, { "x-api-key": KEY }] as Record<string, string>[]) {
      expect((await get(method, p, h)).status, JSON.stringify(h)).toBe(200);
    }
  });

  it("rejects other schemes and empty tokens", async () => {
    for (const h of [{ authorization: `Basic ${KEY}` }, { authorization: KEY }, { authorization: "Bearer" }, { authorization: "Bearer " }, { "x-api-key": "" }] as Record<string, string>[]) {
      expect((await get("POST", "/rerank", h)).status, JSON.stringify(h)).toBe(401);
    }
  });

  it.each([
    ["POST", "//rerank"], ["POST", "/rerank/"], ["POST", "/health/../rerank"], ["POST", "/health/%2e%2e/rerank"],
    ["GET", "/health/../v1/models"], ["GET", "/healthx"], ["GET", "/health/x"], ["GET", "/ping/../metrics"],
    ["GET", "/versions"], ["POST", "/health"], ["DELETE", "/version"], ["GET", "/v1/models?x=/health"],
  ])("path trick %s %s needs the key", async (method, p) => {
    const r = await get(method, p);
    expect(r.status).toBe(401);
    expect(r.body).toBe(UNAUTHORIZED);
  });

  it("normalises // and a trailing / only for the allow-list (never a 401 on /health variants)", async () => {
    for (const p of ["//health", "/health/", "///ping//", "/version/"]) {
      expect((await get("GET", p)).status, p).not.toBe(401);
    }
  });

  it("ignores the Host header (CVE-2026-48746)", async () => {
    for (const [method, p, host] of [["GET", "/v1/models", "localhost/v1/models?"], ["POST", "/rerank", "localhost/health?"], ["GET", "/metrics", "x/health#"]]) {
      const r = await get(method, p, { host });
      expect(r.status, `${p} Host: ${host}`).toBe(401);
    }
  });

  it("lets CORS preflight through, but not a bare OPTIONS", async () => {
    const pre = await get("OPTIONS", "/rerank", { origin: "http://example.com", "access-control-request-method": "POST" });
    expect(pre.status).toBe(200);
    expect(pre.headers["access-control-allow-origin"]).toBeDefined();
    expect((await get("OPTIONS", "/rerank")).status).toBe(401);
  });

  it("never logs the key", () => {
    expect(app.stderr()).toContain("vast_guard: API key required");
    expect(app.stderr()).not.toContain(KEY);
  });
});

describe("guard.py fails closed", () => {
  it("refuses to start when VLLM_API_KEY is missing or blank", async () => {
    for (const env of [{}, { VLLM_API_KEY: "   " }] as Record<string, string>[]) {
      await expect(servePython([HARNESS, GUARD_PY], env)).rejects.toThrow(/refusing to serve without a key/);
    }
  });

  it("websocket needs the key; lifespan passes through (ASGI driven directly)", () => {
    const out = JSON.parse(execFileSync(venvPython(), [path.join(__dirname, "guard_asgi_check.py"), GUARD_PY], { env: { VLLM_API_KEY: KEY }, encoding: "utf8" }));
    expect(out.lifespan.app_called).toBe(true);
    expect(out.ws_no_key).toEqual({ app_called: false, sent: [{ type: "websocket.close", code: 1008 }] });
    expect(out.ws_no_key_http_ext.app_called).toBe(false);
    expect(out.ws_no_key_http_ext.sent[0]).toMatchObject({ type: "websocket.http.response.start", status: 401 });
    expect(out.ws_no_key_http_ext.sent[1]).toEqual({ type: "websocket.http.response.body", body: UNAUTHORIZED });
    expect(out.ws_right_key.app_called).toBe(true);
    expect(out.ws_health_no_key.app_called).toBe(false); // the allow-list is HTTP-only
    expect(out.canonical).toEqual({ "//health": "/health", "/health/": "/health", "/health//": "/health", "/": "/", "/health/../v1": "/health/../v1" });
    expect(out.blank_key).toMatch(/refusing to serve without a key/);
  });

  it("uses only the Python standard library", () => {
    const r = spawnSync(venvPython(), ["-I", "-S", "-c", `import runpy; runpy.run_path(${JSON.stringify(GUARD_PY)})`], { env: { VLLM_API_KEY: KEY }, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});
