// The market benchmark's replay (tools/bench/marketReplay.ts) against the real boot code: the same
// 20 seeds through bootInstance and the emulator (tools/bench/market.ts `deploy`, 100× time) and
// through the replay must agree, within a stated tolerance, or the replay's 20 000-seed rows in
// docs/benchmarks.md mean nothing. Tolerance: the same outcome (served or failed) on ≥ 19 of 20
// seeds, the same number of rents on ≥ 18, and on seeds with the same rents a time within 25 % or
// 40 s (the emulator runs in real time × 100, so 10 ms of event-loop lag shows as 1 s); p50 within 15 %.
// A mismatch in the mirrored logic costs whole attempts or minutes, far outside that.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator/index.ts";
import type { RunningEmulator } from "../../emulator/types.ts";
import { deploy, percentile, POLICIES, replayDeploy, summarize, type DeployResult } from "../../tools/bench/market.ts";

const policy = (name: string) => POLICIES.find((p) => p.name.includes(name))!;
const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

describe("replayDeploy", () => {
  it("is deterministic per seed and policy", () => {
    expect(replayDeploy(7, policy("default"))).toStrictEqual(replayDeploy(7, policy("default")));
  });

  it("flat failover never gives up an attempt before bootTimeoutSeconds (900 s)", () => {
    for (let s = 1; s <= 300; s++) {
      const r = replayDeploy(s, policy("flat + balanced"));
      if (r.attempts > 1 || !r.ok) expect(r.seconds).toBeGreaterThan(900 * (r.ok ? r.attempts - 1 : r.attempts));
    }
  });

  it("the progress-based default gives up no honest host and fails fewer deploys than flat on the same seeds", () => {
    const seeds = Array.from({ length: 2000 }, (_, i) => i + 1);
    const flat = summarize(policy("flat + price"), seeds.map((s) => replayDeploy(s, policy("flat + price"))));
    const stall = summarize(policy("default"), seeds.map((s) => replayDeploy(s, policy("default"))));
    expect(stall.honest).toBe(0);
    expect(stall.failedDeploys).toBeLessThan(flat.failedDeploys);
    expect(stall.p95).toBeLessThan(flat.p95);
    // A policy that allows less than the advertised speed (no floor, no slack) gives up honest hosts.
    const tight = summarize(policy("default"), seeds.map((s) => replayDeploy(s, policy("default"), { slowdown: 0.3, slackMs: 0, floorMs: 0 })));
    expect(tight.honest).toBeGreaterThan(0);
  });
});

describe("replay vs the real boot code through the emulator (seeds 1–20, the default policy)", () => {
  let emu: RunningEmulator;
  const real: DeployResult[] = [];
  const replayed: DeployResult[] = [];
  beforeAll(async () => {
    emu = await startEmulator({ pendingMs: 50, lingerDeletedMs: 0, readLagMs: 0 }); // 5 s at 100×, as the replay's PENDING
    await deploy(emu, 1_000_000, policy("default"), 100); // warm-up (first module loads and JIT), not compared
    for (const seed of SEEDS) {
      real.push(await deploy(emu, seed, policy("default"), 100));
      replayed.push(replayDeploy(seed, policy("default")));
    }
  }, 600_000);
  afterAll(async () => { await emu?.stop(); });

  it("agree within the stated tolerance", () => {
    const rows = SEEDS.map((seed, i) => ({ seed, real: real[i], replay: replayed[i] }));
    const table = rows.map((r) => `seed ${r.seed}: real ${r.real.ok ? "ok" : "FAILED"} ${r.real.attempts} rent(s) ${r.real.seconds.toFixed(0)} s | replay ${r.replay.ok ? "ok" : "FAILED"} ${r.replay.attempts} rent(s) ${r.replay.seconds.toFixed(0)} s`).join("\n");
    expect(rows.filter((r) => r.real.ok === r.replay.ok).length, table).toBeGreaterThanOrEqual(19);
    const sameRents = rows.filter((r) => r.real.attempts === r.replay.attempts);
    expect(sameRents.length, table).toBeGreaterThanOrEqual(18);
    for (const r of sameRents) {
      const diff = Math.abs(r.real.seconds - r.replay.seconds);
      expect(diff <= 40 || diff <= 0.25 * r.replay.seconds, `seed ${r.seed}\n${table}`).toBe(true);
    }
    const p50 = (rs: DeployResult[]) => percentile(rs.map((r) => r.seconds), 50);
    expect(Math.abs(p50(real) - p50(replayed)) / p50(replayed), table).toBeLessThanOrEqual(0.15);
    expect(real.reduce((n, r) => n + r.leaked, 0)).toBe(0);
  });
});
