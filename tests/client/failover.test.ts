// The consumers' failover client (components/client/failover.ts) against local HTTP replicas: one
// that dies mid-response, one that answers 5xx or 429, one that refuses (4xx), one that is down.
import { afterEach, describe, expect, it } from "vitest";
import { AllReplicasFailedError, FailoverReranker, RerankRequestError } from "../../components/client/failover.ts";
import { closeReplicas, localReplica as replica, type Mode } from "../helpers/localReplicas.ts";
import { rng } from "../../tools/loadtest/stats.ts";

const KEY = "k".repeat(64);

afterEach(closeReplicas);

const REQ = { model: "BAAI/bge-reranker-base", query: "What is deep learning?", documents: ["Deep learning is ML", { text: "I like pizza" }], topN: 2 };

describe("FailoverReranker, ordered (a primary with fallbacks)", () => {
  it("reranks through the first healthy replica in Cohere's shape", async () => {
    const a = await replica(KEY);
    const b = await replica(KEY);
    const rr = new FailoverReranker({ endpoints: [a.url, b.url], apiKey: KEY, strategy: "ordered" });
    for (let i = 0; i < 3; i++) {
      const res = await rr.rerank(REQ);
      expect(res.endpoint).toBe(a.url);
      expect(res.results).toEqual([{ index: 0, relevanceScore: 1, document: { text: "Deep learning is ML" } }, { index: 1, relevanceScore: 0.9, document: { text: "I like pizza" } }]);
    }
    expect([a.hits(), b.hits()]).toEqual([3, 0]);
    expect(a.paths).toEqual(["/v1/rerank", "/v1/rerank", "/v1/rerank"]);
  });

  it("a replica that dies mid-stream: the request is answered by another, and the dead one is skipped for a while", async () => {
    let aMode: Mode = "ok";
    const a = await replica(KEY, () => aMode);
    const b = await replica(KEY);
    const reasons: string[] = [];
    const rr = new FailoverReranker({ endpoints: [a.url, b.url], apiKey: KEY, strategy: "ordered", cooldownMs: 60_000, onFailover: (_e, r) => reasons.push(r) });
    expect((await rr.rerank(REQ)).endpoint).toBe(a.url);
    aMode = "die-mid-body";
    const res = await rr.rerank(REQ);
    expect(res.endpoint).toBe(b.url);
    expect(res.results).toHaveLength(2);
    expect(reasons[0]).toMatch(/^connection:/);
    expect(reasons.join(" ")).not.toContain(KEY);
    // Remembered: the next requests go straight to b, a is not hit again during the cooldown.
    const aHits = a.hits();
    for (let i = 0; i < 3; i++) expect((await rr.rerank(REQ)).endpoint).toBe(b.url);
    expect(a.hits()).toBe(aHits);
    expect(rr.replicas()).toEqual([{ endpoint: a.url, outstanding: 0, cooling: true }, { endpoint: b.url, outstanding: 0, cooling: false }]);
  });

  it("a replica that is down entirely (connection refused), one that answers 5xx and one that answers 429 are all skipped", async () => {
    const down = await replica(KEY);
    const downUrl = down.url;
    await down.close();
    const five = await replica(KEY, () => "503");
    const busy = await replica(KEY, () => "429");
    const ok = await replica(KEY);
    const reasons: string[] = [];
    const rr = new FailoverReranker({ endpoints: [downUrl, five.url, busy.url, ok.url], apiKey: KEY, strategy: "ordered", onFailover: (e, r) => reasons.push(`${e} ${r}`) });
    expect((await rr.rerank(REQ)).endpoint).toBe(ok.url);
    expect([five.hits(), busy.hits()]).toEqual([1, 1]);
    expect(reasons.slice(1)).toEqual([`${five.url} HTTP 503`, `${busy.url} HTTP 429`]);
    // All three cool down: the next request goes straight to the healthy one.
    expect((await rr.rerank(REQ)).endpoint).toBe(ok.url);
    expect([five.hits(), busy.hits()]).toEqual([1, 1]);
  });

  it("every replica failing is one error naming each; after the cooldown a recovered replica serves again", async () => {
    let mode: Mode = "503";
    const a = await replica(KEY, () => mode);
    const b = await replica(KEY, () => "503");
    const rr = new FailoverReranker({ endpoints: [a.url, b.url], apiKey: KEY, strategy: "ordered", cooldownMs: 50 });
    const err = await rr.rerank(REQ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AllReplicasFailedError);
    expect((err as AllReplicasFailedError).failures.map((f) => f.endpoint)).toEqual([a.url, b.url]);
    mode = "ok";
    await new Promise((r) => setTimeout(r, 80));
    expect((await rr.rerank(REQ)).endpoint).toBe(a.url);
  });
});

describe("FailoverReranker, spread (default)", () => {
  it("never retries a 4xx other than 429 on another replica", async () => {
    for (const strategy of ["spread", "ordered"] as const) {
      const a = await replica(KEY, () => "400");
      const b = await replica(KEY, () => "400");
      const rr = new FailoverReranker({ endpoints: [a.url, b.url], apiKey: KEY, strategy });
      const err = await rr.rerank(REQ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RerankRequestError);
      expect((err as RerankRequestError).status).toBe(400);
      expect(a.hits() + b.hits(), strategy).toBe(1);
      // A wrong key (401) is not retried either, and does not cool the replica down.
      const wrong = new FailoverReranker({ endpoints: [a.url, b.url], apiKey: "wrong", strategy });
      expect(((await wrong.rerank(REQ).catch((e: unknown) => e)) as RerankRequestError).status).toBe(401);
      expect(a.hits() + b.hits(), strategy).toBe(2);
      expect(wrong.replicas().map((r) => r.cooling)).toEqual([false, false]);
    }
  });

  it("each of 3 replicas serves between 23 % and 43 % of 300 requests", async () => {
    const rs = [await replica(KEY), await replica(KEY), await replica(KEY)];
    const rr = new FailoverReranker({ endpoints: rs.map((r) => r.url), apiKey: KEY, random: rng(21) });
    const served = await run(rr, 300, 4);
    expect(served.failed).toBe(0);
    for (const r of rs) {
      expect(served.by.get(r.url), r.url).toBe(r.hits());
      expect(r.hits() / 300, r.url).toBeGreaterThanOrEqual(0.23);
      expect(r.hits() / 300, r.url).toBeLessThanOrEqual(0.43);
    }
    // One request at a time (nothing in flight to compare) still spreads: the draws are random.
    const seq = [await replica(KEY), await replica(KEY), await replica(KEY)];
    const one = new FailoverReranker({ endpoints: seq.map((r) => r.url), apiKey: KEY, random: rng(7) });
    expect((await run(one, 300, 1)).failed).toBe(0);
    for (const r of seq) expect(r.hits() / 300, r.url).toBeGreaterThanOrEqual(0.23);
    for (const r of seq) expect(r.hits() / 300, r.url).toBeLessThanOrEqual(0.43);
  });

  it("a replica dying mid-run: the other two share its load and no request fails", async () => {
    const [a, b, c] = [await replica(KEY, () => "ok", 2), await replica(KEY, () => "ok", 2), await replica(KEY, () => "ok", 2)];
    const failovers: string[] = [];
    const rr = new FailoverReranker({ endpoints: [a.url, b.url, c.url], apiKey: KEY, random: rng(5), cooldownMs: 60_000, onFailover: (e) => failovers.push(e) });
    let cHitsAtDeath = -1;
    const served = await run(rr, 300, 3, async (done) => {
      if (done === 100) {
        cHitsAtDeath = c.hits();
        await c.close(); // in-flight requests to c are cut off; new ones are refused
      }
    });
    expect(served.failed).toBe(0);
    expect(served.ok).toBe(300);
    expect(cHitsAtDeath).toBeGreaterThan(20); // c had its share before it died
    expect(c.hits()).toBe(cHitsAtDeath); // and none after: cooling down, then refused
    expect(failovers.every((e) => e === c.url)).toBe(true);
    // The requests started after the death (about 200) all went to a and b, both taking a real part.
    const after = { a: served.byAfter.get(a.url) ?? 0, b: served.byAfter.get(b.url) ?? 0 };
    expect(after.a + after.b).toBe(300 - served.markedAt);
    expect(served.markedAt).toBeLessThanOrEqual(103);
    expect(after.a).toBeGreaterThanOrEqual(70);
    expect(after.b).toBeGreaterThanOrEqual(70);
  });

  it("a slow replica (added latency) gets fewer requests than the fast ones", async () => {
    const fast1 = await replica(KEY);
    const slow = await replica(KEY, () => "ok", 300);
    const fast2 = await replica(KEY);
    const rr = new FailoverReranker({ endpoints: [fast1.url, slow.url, fast2.url], apiKey: KEY, random: rng(3) });
    const served = await run(rr, 150, 6);
    expect(served.failed).toBe(0);
    expect(slow.hits()).toBeLessThan(fast1.hits());
    expect(slow.hits()).toBeLessThan(fast2.hits());
    // Far fewer: at random (or round-robin) it would take about a third; here under a fifth.
    expect(slow.hits() / 150).toBeLessThan(0.2);
  });
});

/**
 * `total` requests through `rr` with `workers` in parallel; `after(done)` runs after each completion.
 * `byAfter` counts who served the requests started after the 100th completion (`markedAt` on).
 */
async function run(rr: FailoverReranker, total: number, workers: number, after?: (done: number) => Promise<void>) {
  const by = new Map<string, number>();
  const byAfter = new Map<string, number>();
  let next = 0;
  let done = 0;
  let ok = 0;
  let failed = 0;
  let markedAt = Infinity;
  await Promise.all(Array.from({ length: workers }, async () => {
    while (next < total) {
      const n = next++;
      try {
        const res = await rr.rerank(REQ);
        ok++;
        by.set(res.endpoint, (by.get(res.endpoint) ?? 0) + 1);
        if (n >= markedAt) byAfter.set(res.endpoint, (byAfter.get(res.endpoint) ?? 0) + 1);
      } catch {
        failed++;
      }
      if (++done === 100) markedAt = next;
      await after?.(done);
    }
  }));
  return { by, byAfter, ok, failed, markedAt };
}
