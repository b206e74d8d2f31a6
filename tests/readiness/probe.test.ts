import * as net from "node:net";
// The probe program run for real (`node components/readiness/probe.ts`) against local servers.
import { spawn } from "node:child_process";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { freePort, startFake, type Fake, type FakeOptions } from "./fakeReranker.ts";

const ROOT = path.resolve(__dirname, "..", "..");
const KEY = "5ec2e7" + "9f".repeat(29);

interface Run { code: number | null; stdout: string; stderr: string; ms: number }

function probe(env: Record<string, string>): Promise<Run> {
  const t0 = Date.now();
  const child = spawn(process.execPath, ["components/readiness/probe.ts"], {
    cwd: ROOT, env: { PATH: process.env.PATH ?? "", PROBE_POLL_MS: "100", ...env }, stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr, ms: Date.now() - t0 })));
}

const servers: Fake[] = [];
afterEach(async () => { await Promise.all(servers.splice(0).map((s) => s.close())); });
async function serve(o: Partial<FakeOptions>, port = 0) {
  const s = await startFake({ key: KEY, auth: "secure", ...o }, port);
  servers.push(s);
  return s;
}
const env = (port: number, more: Record<string, string> = {}) => ({ RERANKER_ENDPOINT: `http://127.0.0.1:${port}`, RERANKER_API_KEY: KEY, PROBE_DEADLINE_SECONDS: "10", ...more });
const noKey = (r: Run) => {
  expect(r.stdout + r.stderr).not.toContain(KEY);
  expect(r.stdout + r.stderr).not.toContain(KEY.slice(0, 20));
};

describe("probe program", () => {
  it("passes a guarded reranker: JSON summary on stdout, nothing on stderr", async () => {
    const s = await serve({});
    const r = await probe(env(s.port));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      ok: true, endpoint: `http://127.0.0.1:${s.port}`, model: "BAAI/bge-reranker-base",
      rerank: { results: 4, topIndex: 0 }, score: { scores: 4, topIndex: 0 }, cohere: { results: 4, topIndex: 0 },
      auth: { routesChecked: 22, requests: 56, open: [], unexpected: [], tricks: [], keyRejected: [] },
    });
    for (const k of ["health", "rerank", "score", "cohere", "authMatrix"]) expect(typeof out.latencyMs[k]).toBe("number");
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
    noKey(r);
  });

  it("keeps polling /health through failed connections until the server is up", async () => {
    const port = await freePort();
    // First a listener that drops every connection, as a port with nothing ready behind it...
    let dropped = 0;
    const dropper = net.createServer((sock) => { dropped++; sock.destroy(); });
    await new Promise<void>((r) => dropper.listen(port, "127.0.0.1", () => r()));
    const run = probe(env(port, { PROBE_POLL_MS: "100" }));
    while (dropped < 2) await new Promise((r) => setTimeout(r, 20));
    await new Promise<void>((r) => dropper.close(() => r()));
    // ...then the real server on the same port. (How fast readiness is noticed is measured by npm run bench.)
    const s = await serve({}, port);
    const r = await run;
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.health.polls).toBeGreaterThanOrEqual(3);
    expect(s.log[0].path).toBe("/health");
  });

  it("fails stock vLLM auth, naming the open routes first", async () => {
    const s = await serve({ auth: "stock" });
    const r = await probe(env(s.port, { PROBE_HARDENED: "false" }));
    expect(r.code).toBe(1);
    const first = r.stderr.split("\n")[0];
    expect(first).toMatch(/^readiness failed: routes open without a key: /);
    for (const route of ["POST /rerank", "POST /score", "POST /invocations", "POST /pooling", "POST /classify", "POST /tokenize", "GET /metrics", "GET /load"]) expect(first).toContain(route);
    for (const route of ["POST /v1/rerank", "POST /v2/rerank", "GET /v1/models", "GET /health"]) expect(first).not.toContain(`${route},`);
    expect(first).toContain("the deployment is unhardened (hardened=false)");
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.rerank.topIndex).toBe(0); // the functional checks still ran and passed
    noKey(r);
  });

  it("PROBE_EXPECT_OPEN=1 tolerates the open routes (and reports them)", async () => {
    const s = await serve({ auth: "stock" });
    const r = await probe(env(s.port, { PROBE_EXPECT_OPEN: "1" }));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).auth.toleratedOpen).toContain("POST /rerank");
  });

  it("gives up at the deadline when /health never answers 200", async () => {
    const s = await serve({ health: "503" });
    const r = await probe(env(s.port, { PROBE_DEADLINE_SECONDS: "1" }));
    expect(r.code).toBe(3);
    expect(r.stderr.split("\n")[0]).toBe("readiness failed: /health did not answer 200 within 1 s (last: HTTP 503)");
    expect(r.ms).toBeLessThan(30_000); // it stopped on its own instead of waiting out a long deadline
    noKey(r);
  });

  it("gives up at the deadline when nothing listens", async () => {
    const r = await probe(env(await freePort(), { PROBE_DEADLINE_SECONDS: "1" }));
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^readiness failed: \/health did not answer 200 within 1 s \(last: connection refused\)/);
  });

  it("fails fast when /health itself demands a key", async () => {
    const s = await serve({ health: "401" });
    const r = await probe(env(s.port, { PROBE_DEADLINE_SECONDS: "60" }));
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(30_000); // it stopped on its own instead of waiting out a long deadline
    expect(r.stderr).toMatch(/^readiness failed: \/health answered HTTP 401/);
  });

  it("fails a wrong ranking with the order it saw", async () => {
    const s = await serve({ wrongRanking: true });
    const r = await probe(env(s.port));
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")[0]).toMatch(/^readiness failed: rerank: relevant documents \[0,2\] not ranked first: order is \[/);
    expect(r.stderr).toMatch(/score: highest score is document/);
    expect(r.stderr).toMatch(/cohere: relevant documents/);
  });

  it("scrubs the key out of error text the server echoes back", async () => {
    const s = await serve({ leakKeyOnScore: true });
    const r = await probe(env(s.port));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^readiness failed: score: POST \/v1\/score answered HTTP 500: .*authorization=Bearer \*\*\*/);
    noKey(r);
  });

  it("refuses a bad environment with exit 2", async () => {
    const r = await probe({ RERANKER_ENDPOINT: "nope" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^readiness failed: RERANKER_ENDPOINT "nope" is not an http\(s\):\/\/host:port URL; RERANKER_API_KEY is not set/);
  });
});
