// Pure stall judgement: expectations from the host's advertised speed, early verdicts.
import { describe, expect, it } from "vitest";
import { DEFAULT_STALL_POLICY as _D, DEFAULT_TUNING, expectedBoot, expectedReadyMs, judgeStall, msUntilStall, type BootObservation } from "../../components/vast/instance/stallVerdict.ts";

// Fixed policy for readable numbers (the default is the benchmark's pick and may move).
const P = { factor: 3, slackMs: 60_000, noChangeMs: 180_000 };
const obs = (o: Partial<BootObservation>): BootObservation => ({ status: "loading", msSinceRent: 0, msInPhase: 0, msSinceRunning: null, portMapped: false, healthy: null, ...o });

describe("expectedBoot", () => {
  it("derives pull and load time from inet_down (Mb/s) and disk_bw (MB/s)", () => {
    const e = expectedBoot({ inet_down: 800, disk_bw: 2000 }, { imageGb: 10, modelGb: 1 });
    // 10 GB at 100 MB/s = 100 s, + 5 s extraction, + 20 s create overhead
    expect(e.pullMs).toBe(125_000);
    // 1 GB at 100 MB/s = 10 s, + 60 s engine start
    expect(e.loadMs).toBe(70_000);
  });
  it("a faster host is expected ready sooner; missing fields fall back to medians", () => {
    expect(expectedReadyMs({ inet_down: 2000, disk_bw: 3000 })).toBeLessThan(expectedReadyMs({ inet_down: 200, disk_bw: 3000 }));
    expect(expectedBoot({})).toStrictEqual(expectedBoot({ inet_down: 500, disk_bw: 1500 }));
    expect(expectedBoot({ inet_down: 0, disk_bw: null })).toStrictEqual(expectedBoot({}));
  });
});

describe("judgeStall", () => {
  it("defaults to the benchmark's pick", () => {
    expect(_D).toStrictEqual({ factor: 1.25, slackMs: 15_000, noChangeMs: 180_000 });
    expect(DEFAULT_TUNING).toStrictEqual({ rerankAfterFailure: true, wakeAtStallLimit: false, healthPollMs: 1_000 });
  });
  const exp = { pullMs: 100_000, loadMs: 40_000 };
  it("lets a pull run up to factor x expectation + slack, then calls it stalled with the numbers", () => {
    const limit = exp.pullMs * P.factor + P.slackMs;
    expect(judgeStall(obs({ msSinceRent: limit - 1 }), exp, P).kind).toBe("progressing");
    const v = judgeStall(obs({ msSinceRent: limit + 1 }), exp, P);
    expect(v).toMatchObject({ kind: "stalled" });
    expect(v.kind === "stalled" && v.reason).toMatch(/image pull too slow: not running 360 s after the rent, expected ~100 s .*limit 3x \+ 60 s = 360 s/);
  });
  it("no status change in created / provisioning for noChangeMs is a stall", () => {
    expect(judgeStall(obs({ status: "created", msInPhase: 181_000, msSinceRent: 181_000 }), exp, P)).toMatchObject({ kind: "stalled", reason: expect.stringMatching(/no progress: created for 181 s/) });
    expect(judgeStall(obs({ status: null, msInPhase: 100_000, msSinceRent: 100_000 }), exp, P).kind).toBe("progressing");
  });
  it("running without the port or without /health long after the model should have loaded", () => {
    const late = exp.loadMs * 3 + 60_000 + 1;
    expect(judgeStall(obs({ status: "running", msSinceRunning: late, portMapped: false }), exp, P)).toMatchObject({ kind: "stalled", reason: expect.stringMatching(/running but not serving: port never mapped/) });
    expect(judgeStall(obs({ status: "running", msSinceRunning: late, portMapped: true, healthy: false }), exp, P)).toMatchObject({ kind: "stalled", reason: expect.stringMatching(/\/health never answered 200/) });
    expect(judgeStall(obs({ status: "running", msSinceRunning: late - 2, portMapped: true, healthy: false }), exp, P).kind).toBe("progressing");
    // Health not checked (no checker): the port alone is what we can judge.
    expect(judgeStall(obs({ status: "running", msSinceRunning: late, portMapped: true, healthy: null }), exp, P).kind).toBe("progressing");
  });
  it("timeScale scales every threshold and reports in unscaled seconds", () => {
    const v = judgeStall(obs({ msSinceRent: 1_805 }), exp, P, 1 / 200);
    expect(v).toMatchObject({ kind: "stalled", reason: expect.stringMatching(/not running 361 s after/) });
    expect(judgeStall(obs({ msSinceRent: 1_795 }), exp, P, 1 / 200).kind).toBe("progressing");
  });
});

describe("msUntilStall", () => {
  const exp = { pullMs: 100_000, loadMs: 40_000 };
  // judgeStall at `o` advanced by `ms` (time passes in the observation's own clocks).
  const after = (o: BootObservation, ms: number): BootObservation => ({
    ...o, msSinceRent: o.msSinceRent + ms, msInPhase: o.msInPhase + ms, msSinceRunning: o.msSinceRunning === null ? null : o.msSinceRunning + ms,
  });
  it("is exactly when judgeStall turns: progressing 1 ms before, stalled at it", () => {
    for (const [o, scale] of [
      [obs({ msSinceRent: 50_000, msInPhase: 20_000 }), 1],
      [obs({ status: "created", msSinceRent: 10_000, msInPhase: 175_000 }), 1],
      [obs({ status: "running", msSinceRent: 200_000, msSinceRunning: 30_000, portMapped: true, healthy: false }), 1],
      [obs({ msSinceRent: 100, msInPhase: 100 }), 1 / 200],
    ] as const) {
      const ms = msUntilStall(o, exp, P, scale);
      expect(judgeStall(after(o, ms - 1), exp, P, scale).kind).toBe("progressing");
      expect(judgeStall(after(o, ms), exp, P, scale).kind).toBe("stalled");
    }
  });
  it("no limit while running with the port mapped and /health not known to fail", () => {
    expect(msUntilStall(obs({ status: "running", msSinceRunning: 1, portMapped: true, healthy: null }), exp, P)).toBe(Infinity);
    expect(msUntilStall(obs({ status: "running", msSinceRunning: 1, portMapped: false }), exp, P)).toBe(exp.loadMs * 3 + 60_000);
  });
});
