// The load-test command (tools/loadtest/loadtest.ts) as a user runs it: a subprocess against the vLLM
// stand-in of an instance rented from the emulator, against a recording server for the exact
// requests it sends, and over several local replicas (shares, a dead one, a slow one). No timing
// ratios are asserted here (the benchmark reports those).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { RunningEmulator } from "../../emulator/types.ts";
import { healthy, hostPort, rent, start, until } from "../emulator/helpers.ts";
import { closeReplicas, localReplica } from "../helpers/localReplicas.ts";
import { loadtest, replicaLine, reportLine, type Report, type Result } from "./run.ts";

const KEY = "5f".repeat(32);

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
    expect(out).toMatchObject({ endpoints: [base], concurrency: 3, docsPerRequest: 4 });
    expect(out.report).toMatchObject({ requests: 30, ok: 30, errorsByStatus: {} });
    // One target: one replica entry, all of it.
    expect(out.report.replicas).toEqual([{ endpoint: base, requests: 30, share: 1, ok: 30, errorsByStatus: {}, p50: out.report.p50, p95: out.report.p95, p99: out.report.p99 }]);
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
    expect(lines[2]).toMatch(/^overhead: \d+\.\d{3}× the bare loop \(target 0\.95× to 1\.1×: (met|not met: .+)\)$/);

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
    expect(out.overheadTarget).toEqual({ min: 0.95, max: 1.1 });
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

describe("load test over several replicas", () => {
  afterEach(closeReplicas);
  const args = ["--requests", "150", "--concurrency", "6", "--docs", "3", "--words", "5"];

  it("drives every replica (--url repeated or comma-separated) and reports each one's share and latencies", async () => {
    const rs = [await localReplica(KEY), await localReplica(KEY), await localReplica(KEY)];
    const r = await loadtest(["--url", rs[0].url, "--url", `${rs[1].url},${rs[2].url}`, ...args, "--json"], { RERANKER_API_KEY: KEY });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Result;
    expect(out.endpoints).toEqual(rs.map((x) => x.url));
    expect(out.report).toMatchObject({ requests: 150, ok: 150, errorsByStatus: {} });
    expect(out.report.replicas.map((x) => x.endpoint)).toEqual(rs.map((x) => x.url));
    out.report.replicas.forEach((x, i) => {
      expect(x.requests, x.endpoint).toBe(rs[i].hits()); // the report counts what each replica saw
      expect(x.ok).toBe(x.requests);
      expect(x.share).toBeCloseTo(x.requests / 150, 9);
      expect(x.share, x.endpoint).toBeGreaterThanOrEqual(0.23);
      expect(x.share, x.endpoint).toBeLessThanOrEqual(0.43);
      expect(x.p50).toBeGreaterThan(0);
      expect(x.p95).toBeGreaterThanOrEqual(x.p50 as number);
      expect(x.p99).toBeGreaterThanOrEqual(x.p95 as number);
    });

    // The human-readable report: the total line, then one line per replica with its share.
    const h = await loadtest(["--url", rs.map((x) => x.url).join(","), ...args], { RERANKER_API_KEY: KEY });
    expect(h.code, h.stderr).toBe(0);
    const lines = h.stdout.trim().split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(reportLine("rerank", 150, "none"));
    const counts = rs.map((x, i) => {
      const m = replicaLine(i, x.url).exec(lines[i + 1]);
      expect(m, lines[i + 1]).not.toBeNull();
      expect(Number(m?.[2])).toBeCloseTo((100 * Number(m?.[1])) / 150, 1);
      return Number(m?.[1]);
    });
    expect(counts.reduce((a, b) => a + b)).toBe(150);
  });

  it("a dead replica: its refused requests are counted against it, then it is skipped and the others carry the run", async () => {
    const [a, b] = [await localReplica(KEY), await localReplica(KEY)];
    const dead = await localReplica(KEY);
    await dead.close();
    const r = await loadtest(["--url", [a.url, dead.url, b.url].join(","), ...args, "--json"], { RERANKER_API_KEY: KEY });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as Result;
    const [ra, rdead, rb] = out.report.replicas;
    // Only the requests sent before its first failure came back (at most one per worker).
    expect(rdead.requests).toBeGreaterThanOrEqual(1);
    expect(rdead.requests).toBeLessThanOrEqual(6);
    expect(rdead).toMatchObject({ endpoint: dead.url, ok: 0, errorsByStatus: { network: rdead.requests }, p50: null });
    expect(ra).toMatchObject({ endpoint: a.url, ok: ra.requests, errorsByStatus: {} });
    expect(rb).toMatchObject({ endpoint: b.url, ok: rb.requests, errorsByStatus: {} });
    expect(ra.requests + rb.requests).toBe(150 - rdead.requests);
    expect(out.report).toMatchObject({ requests: 150, ok: 150 - rdead.requests, errorsByStatus: { network: rdead.requests } });
    expect(ra.requests).toBeGreaterThan(50);
    expect(rb.requests).toBeGreaterThan(50);
  });

  it("a slow replica (added latency) gets the smallest share", async () => {
    const fast1 = await localReplica(KEY);
    const slow = await localReplica(KEY, () => "ok", 300);
    const fast2 = await localReplica(KEY);
    const r = await loadtest(["--url", [fast1.url, slow.url, fast2.url].join(","), ...args, "--requests", "90", "--json"], { RERANKER_API_KEY: KEY });
    expect(r.code, r.stderr).toBe(0);
    const [f1, s, f2] = (JSON.parse(r.stdout) as Result).report.replicas;
    expect(s.requests).toBeLessThan(f1.requests);
    expect(s.requests).toBeLessThan(f2.requests);
    expect(s.share).toBeLessThan(0.2); // at random it would take about a third
    // Its latencies are reported on their own: the added 300 ms shows in its p50, not in the others'.
    expect(s.p50).toBeGreaterThanOrEqual(300);
    expect(f1.p50).toBeLessThan(s.p50 as number);
  });
});
