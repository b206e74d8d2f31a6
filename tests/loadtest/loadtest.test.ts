// The load-test command (tools/loadtest/loadtest.ts) as a user runs it: a subprocess against the vLLM
// stand-in of an instance rented from the emulator, and against a recording server for the exact
// requests it sends. No timing ratios are asserted here (the benchmark reports those).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { RunningEmulator } from "../../emulator/types.ts";
import { REPO_ROOT } from "../../emulator/runtime.ts";
import { healthy, hostPort, rent, start, until } from "../emulator/helpers.ts";
import type { LoadReport } from "../../tools/loadtest/stats.ts";

const KEY = "5f".repeat(32);
const SCRIPT = join(REPO_ROOT, "tools", "loadtest", "loadtest.ts");

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function loadtest(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, ...args], {
      cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => { stdout += d; });
    child.stderr.on("data", (d: Buffer) => { stderr += d; });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The tool's LoadReport as JSON: a NaN percentile (no successful request) arrives as null. */
type Report = Omit<LoadReport, "p50" | "p95" | "p99"> & { p50: number | null; p95: number | null; p99: number | null };
interface Result {
  target: string;
  concurrency: number;
  docsPerRequest: number;
  report: Report;
  baseline?: Report;
  overhead?: number;
  rounds?: Array<{ toolSeconds: number; bareSeconds: number }>;
}

const num = String.raw`\d+(?:\.\d+)?`;
/** formatReport's line: `<label>: N requests in S s · R req/s · P pairs/s · p50 … ms · p95 … ms · p99 … ms · errors: …` */
const reportLine = (label: string, n: number, errors: string) =>
  new RegExp(`^${label}: ${n} requests in ${num} s · ${num} req/s · \\d+ pairs/s · p50 ${num} ms · p95 ${num} ms · p99 ${num} ms · errors: ${errors}$`);

describe("load test against the emulator's vLLM stand-in", () => {
  let emu: RunningEmulator;
  let base: string;

  beforeAll(async () => {
    emu = await start();
    // The guide's deployment: stock vLLM guards /v1 with VLLM_API_KEY.
    const id = await rent(emu, { image: "vllm/vllm-openai:v0.30.0-cu129", env: { "-p 8000:8000": "1", VLLM_API_KEY: KEY } });
    const inst = await until(emu, id, (i) => i?.actual_status === "running" && hostPort(i) > 0, 30_000);
    base = `http://127.0.0.1:${hostPort(inst)}`;
    await healthy(base, 30_000);
  }, 60_000);
  afterAll(async () => {
    await emu?.stop();
  });

  it("reports requests, pairs, percentiles and no errors with the right key", async () => {
    const r = await loadtest(["--url", base, "--requests", "30", "--concurrency", "3", "--docs", "4", "--words", "8", "--json"], { RERANKER_API_KEY: KEY });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Result;
    expect(out).toMatchObject({ target: base, concurrency: 3, docsPerRequest: 4 });
    expect(out.report).toMatchObject({ requests: 30, ok: 30, errorsByStatus: {} });
    const { p50, p95, p99 } = out.report;
    expect(p50).toBeGreaterThan(0);
    expect(p95).toBeGreaterThanOrEqual(p50 as number);
    expect(p99).toBeGreaterThanOrEqual(p95 as number);
    expect(out.report.seconds).toBeGreaterThan(0);
    expect(out.report.requestsPerSecond).toBeCloseTo(30 / out.report.seconds, 6);
    // Every request carried 4 documents and all succeeded: pairs/s is exactly 4 × requests/s.
    expect(out.report.pairsPerSecond).toBeCloseTo(4 * out.report.requestsPerSecond, 6);
    expect(out.baseline).toBeUndefined();
  });

  it("counts a wrong key's 401s by status and exits 1", async () => {
    const r = await loadtest(["--url", base, "--requests", "12", "--concurrency", "4", "--docs", "2", "--json"], { RERANKER_API_KEY: "wrong-key" });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as Result;
    expect(out.report).toMatchObject({ requests: 12, ok: 0, errorsByStatus: { "401": 12 }, pairsPerSecond: 0 });
    // No successful request, no latency percentiles (NaN → null in JSON).
    expect(out.report.p50).toBeNull();
    expect(out.report.p99).toBeNull();
  });

  it("prints one human-readable report line", async () => {
    const r = await loadtest(["--url", base, "--requests", "10", "--concurrency", "2", "--docs", "3", "--words", "5"], { RERANKER_API_KEY: KEY });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
    expect(r.stdout.trim()).toMatch(reportLine("rerank", 10, "none"));
  });

  it("--compare-baseline: the tool's report, the bare undici loop's, and their ratio", async () => {
    const r = await loadtest(["--url", base, "--requests", "16", "--concurrency", "4", "--docs", "3", "--words", "6", "--compare-baseline"], { RERANKER_API_KEY: KEY });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(reportLine("rerank", 16, "none"));
    expect(lines[1]).toMatch(reportLine("bare undici", 16, "none"));
    expect(lines[2]).toMatch(/^overhead: \d+\.\d{3}× the bare loop$/);

    const j = await loadtest(["--url", base, "--requests", "16", "--concurrency", "4", "--docs", "3", "--words", "6", "--compare-baseline", "--json"], { RERANKER_API_KEY: KEY });
    expect(j.code, j.stderr).toBe(0);
    const out = JSON.parse(j.stdout) as Result;
    expect(out.report).toMatchObject({ requests: 16, ok: 16, errorsByStatus: {} });
    expect(out.baseline).toMatchObject({ requests: 16, ok: 16, errorsByStatus: {} });
    // Five interleaved rounds; the overhead is the median of their tool/bare ratios, and the reported
    // runs are the median rounds of each side.
    const rounds = out.rounds as Array<{ toolSeconds: number; bareSeconds: number }>;
    expect(rounds).toHaveLength(5);
    const ratios = rounds.map((r) => r.toolSeconds / r.bareSeconds).sort((a, b) => a - b);
    expect(out.overhead).toBe(ratios[2]);
    expect(rounds.map((r) => r.toolSeconds)).toContain(out.report.seconds);
    expect(rounds.map((r) => r.bareSeconds)).toContain((out.baseline as Report).seconds);
  });

  it("counts refused connections as network errors", async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const r = await loadtest(["--url", `http://127.0.0.1:${closed}`, "--requests", "5", "--concurrency", "1", "--json"], { RERANKER_API_KEY: KEY });
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as Result).report).toMatchObject({ requests: 5, ok: 0, errorsByStatus: { network: 5 } });
  });
});

describe("load test requests and arguments", () => {
  let server: Server;
  let url: string;
  const seen: Array<{ path: string; auth?: string; body: { model: string; query: string; documents: string[] } }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = "";
      req.on("data", (d: Buffer) => { raw += d; });
      req.on("end", () => {
        const body = JSON.parse(raw) as { model: string; query: string; documents: string[] };
        seen.push({ path: req.url ?? "", auth: req.headers.authorization, body });
        // A valid rerank answer, except that request number 3 gets one result too few.
        const n = seen.length === 3 ? body.documents.length - 1 : body.documents.length;
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ results: Array.from({ length: n }, (_, index) => ({ index, relevance_score: 0.5 })) }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("sends the configured workload with the key and model, and flags an incomplete answer", async () => {
    const r = await loadtest(["--url", url, "--model", "my-model", "--requests", "6", "--concurrency", "1", "--docs", "5", "--words", "7", "--json"], { RERANKER_API_KEY: KEY });
    expect(seen).toHaveLength(6);
    for (const s of seen) {
      expect(s.path).toBe("/v1/rerank");
      expect(s.auth).toBe(`Bearer ${KEY}`);
      expect(s.body.model).toBe("my-model");
      expect(s.body.query.split(" ")).toHaveLength(6);
      expect(s.body.documents).toHaveLength(5);
      for (const d of s.body.documents) expect(d.split(" ")).toHaveLength(7);
    }
    // Deterministic but varied workloads: not six copies of one request.
    expect(new Set(seen.map((s) => s.body.query)).size).toBeGreaterThan(1);
    // A 200 whose results do not match the documents is an error (598), not a success.
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as Result).report).toMatchObject({ requests: 6, ok: 5, errorsByStatus: { "598": 1 } });
  });

  it("refuses bad arguments with a message", async () => {
    const none = await loadtest(["--requests", "5"]);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/give --stack <name> or --url http:\/\/ip:port/);
    const bad = await loadtest(["--url", url, "--concurrency", "0"], { RERANKER_API_KEY: KEY });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--concurrency must be an integer >= 1 \(got 0\)/);
  });
});
