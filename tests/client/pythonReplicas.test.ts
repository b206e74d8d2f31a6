// The Python consumer example (examples/consumer/rerank_replicas.py, on the real Cohere client in the
// project venv) against local replicas: it spreads, fails over, backs off a slow replica, never
// retries a 4xx but 429; and docs/replicas.md shows exactly that file.
import { afterEach, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, venvPython } from "../vllm/python.ts";
import { closeReplicas, localReplica as replica, type LocalReplica, type Mode } from "../helpers/localReplicas.ts";

const KEY = "p".repeat(64);
const EXAMPLE = join(ROOT, "examples", "consumer", "rerank_replicas.py");
const DRIVER = join(ROOT, "tests", "client", "python_replicas.py");

interface Outcome {
  ok: number;
  failures: Array<{ ok: false; error?: string; status?: number | null }>;
  cooling: string[];
}

const running = new Set<ChildProcess>();
/** The run's tag, so the end-of-run sweep (tests/setup/processSweep.ts) would find a left driver. */
const runTag = (): Record<string, string> => (process.env.VR_TEST_RUN ? { VR_TEST_RUN: process.env.VR_TEST_RUN } : {});

/** Runs the driver with `spec` while this process keeps serving the replicas (hence no execFileSync). */
function drive(spec: Record<string, unknown>): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(venvPython(), [DRIVER, JSON.stringify(spec)], { env: { PATH: process.env.PATH ?? "", ...runTag() }, stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    child.once("exit", () => running.delete(child));
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => { out += d; });
    child.stderr.on("data", (d: Buffer) => { err += d; });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out) as Outcome) : reject(new Error(`python exited ${code}: ${err}`))));
  });
}

const shares = (rs: LocalReplica[], total: number) => rs.map((r) => r.hits() / total);

afterEach(async () => {
  for (const child of running) child.kill("SIGKILL"); // a driver left by a timed-out test, by its PID
  await closeReplicas();
});

describe("Python consumer example: Replicas over the Cohere client", () => {
  it("spreads 300 requests over 3 replicas, each between 23 % and 43 %, on Cohere's /v2/rerank", async () => {
    const rs = [await replica(KEY), await replica(KEY), await replica(KEY)];
    const out = await drive({ endpoints: rs.map((r) => r.url), key: KEY, requests: 300, workers: 4, seed: 21 });
    expect(out).toEqual({ ok: 300, failures: [], cooling: [] });
    expect(rs.reduce((n, r) => n + r.hits(), 0)).toBe(300);
    for (const s of shares(rs, 300)) {
      expect(s).toBeGreaterThanOrEqual(0.23);
      expect(s).toBeLessThanOrEqual(0.43);
    }
    expect(new Set(rs.flatMap((r) => r.paths))).toEqual(new Set(["/v2/rerank"]));
  }, 60_000);

  it("a replica dying mid-run (its last answer cut off mid-body): the other two share its load, no request fails", async () => {
    let cServed = 0;
    const dying = (): Mode => {
      if (++cServed < 30) return "ok";
      setTimeout(() => void c.close(), 5); // after cutting this answer off, the replica is gone
      return "die-mid-body";
    };
    const [a, b] = [await replica(KEY), await replica(KEY)];
    const c = await replica(KEY, dying);
    const out = await drive({ endpoints: [a.url, b.url, c.url], key: KEY, requests: 300, workers: 4, seed: 5, cooldown: 60 });
    expect(out.ok).toBe(300);
    expect(out.failures).toEqual([]);
    expect(out.cooling).toEqual([c.url]);
    // 29 answered; the 30th (and any that reached c before it was gone) cut off and retried elsewhere.
    expect(c.hits()).toBeGreaterThanOrEqual(30);
    expect(c.hits()).toBeLessThanOrEqual(33);
    // The other 271 answers came from a and b, both taking a real part of c's share.
    expect(a.hits() + b.hits()).toBe(271);
    expect(a.hits()).toBeGreaterThanOrEqual(110);
    expect(b.hits()).toBeGreaterThanOrEqual(110);
  }, 60_000);

  it("a slow replica (added latency) gets fewer requests than the fast ones", async () => {
    const fast1 = await replica(KEY);
    const slow = await replica(KEY, () => "ok", 300);
    const fast2 = await replica(KEY);
    const out = await drive({ endpoints: [fast1.url, slow.url, fast2.url], key: KEY, requests: 120, workers: 6, seed: 3 });
    expect(out.ok).toBe(120);
    expect(slow.hits()).toBeLessThan(fast1.hits());
    expect(slow.hits()).toBeLessThan(fast2.hits());
    // Far fewer: at random (or round-robin) it would take about a third; here under a fifth.
    expect(slow.hits() / 120).toBeLessThan(0.2);
  }, 60_000);

  it("ordered: a down replica, a 503 and a 429 are skipped for the next; a 4xx is raised without a retry", async () => {
    const down = await replica(KEY);
    await down.close();
    const five = await replica(KEY, () => "503");
    const busy = await replica(KEY, () => "429");
    const ok = await replica(KEY);
    const out = await drive({ endpoints: [down.url, five.url, busy.url, ok.url], key: KEY, requests: 5, ordered: true });
    expect(out).toMatchObject({ ok: 5, failures: [] });
    expect(out.cooling.sort()).toEqual([down.url, five.url, busy.url].sort());
    // Each failed once (no retry inside the Cohere client), then cooled down.
    expect([five.hits(), busy.hits(), ok.hits()]).toEqual([1, 1, 5]);

    const bad = await replica(KEY, () => "400");
    const other = await replica(KEY);
    const refused = await drive({ endpoints: [bad.url, other.url], key: KEY, requests: 1, ordered: true });
    expect(refused).toMatchObject({ ok: 0, failures: [{ error: "BadRequestError", status: 400 }], cooling: [] });
    const wrongKey = await drive({ endpoints: [other.url, bad.url], key: "wrong", requests: 1 });
    expect(wrongKey).toMatchObject({ ok: 0, failures: [{ error: "UnauthorizedError", status: 401 }], cooling: [] });
    expect(bad.hits() + other.hits()).toBe(2);
  }, 60_000);

  it("docs/replicas.md shows the example file verbatim", () => {
    const doc = readFileSync(join(ROOT, "docs", "replicas.md"), "utf8");
    const blocks = [...doc.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).toContain(readFileSync(EXAMPLE, "utf8"));
  });
});
