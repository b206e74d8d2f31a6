// Pure stall judgement on real signals (stallVerdict.ts): what a host's advertised speed predicts
// (bootExpectation.ts), the quiet limits, and the rule that a host whose pull or start-up keeps
// advancing is never abandoned here.
import { describe, expect, it } from "vitest";
import { DEFAULT_WORKLOAD, expectedBoot, expectedReadyMs } from "../../components/vast/instance/bootExpectation.ts";
import { DEFAULT_STALL_POLICY, DEFAULT_TUNING, judgeStall, msUntilStall, phaseOf, quietLimitMs, type BootObservation } from "../../components/vast/instance/stallVerdict.ts";

const obs = (o: Partial<BootObservation>): BootObservation => ({ status: "loading", msSinceProgress: 0, logRead: true, portMapped: false, healthy: null, ...o });

describe("expectedBoot", () => {
  it("derives the pull, its largest layer, the weights and the load from inet_down (Mb/s) and disk_bw (MB/s)", () => {
    const e = expectedBoot({ inet_down: 800, disk_bw: 2000 }, { imageGb: 10, largestLayerShare: 0.5, modelGb: 1 });
    // 10 GB at 100 MB/s = 100 s, + 5 s extraction, + 20 s create overhead
    expect(e.pullMs).toBe(125_000);
    expect(e.largestLayerMs).toBe(50_000);
    // 1 GB at 100 MB/s = 10 s, + 60 s engine start
    expect(e.modelDownloadMs).toBe(10_000);
    expect(e.loadMs).toBe(70_000);
  });
  it("a faster host is expected ready sooner; missing fields fall back to medians", () => {
    expect(expectedReadyMs({ inet_down: 2000, disk_bw: 3000 })).toBeLessThan(expectedReadyMs({ inet_down: 200, disk_bw: 3000 }));
    expect(expectedBoot({})).toStrictEqual(expectedBoot({ inet_down: 500, disk_bw: 1500 }));
    expect(expectedBoot({ inet_down: 0, disk_bw: null })).toStrictEqual(expectedBoot({}));
    expect(DEFAULT_WORKLOAD).toStrictEqual({ imageGb: 10, largestLayerShare: 0.6, modelGb: 1.1 });
  });
});

describe("quiet limits", () => {
  const P = DEFAULT_STALL_POLICY;
  it("defaults: a healthy host up to 3x slower than advertised is never judged; 1 min slack, 3 min floor", () => {
    expect(P).toStrictEqual({ slowdown: 3, slackMs: 60_000, floorMs: 180_000 });
    expect(DEFAULT_TUNING).toStrictEqual({ rerankAfterFailure: true, healthPollMs: 100 });
  });
  it("pull with a daemon log: 3x the largest layer's download + slack; without: 3x the whole pull; never under the floor", () => {
    const slow = expectedBoot({ inet_down: 100, disk_bw: 1000 }); // 6 GB layer at 12.5 MB/s = 480 s
    expect(quietLimitMs("pull", slow, true)).toBe(3 * 480_000 + 60_000);
    expect(quietLimitMs("pull", slow, false)).toBe(3 * slow.pullMs + 60_000);
    const fast = expectedBoot({ inet_down: 2000, disk_bw: 3000 }); // 6 GB at 250 MB/s = 24 s: under the floor
    expect(quietLimitMs("pull", fast, true)).toBe(180_000);
  });
  it("start-up: 3x the longer of the weights' download and the engine start, + slack", () => {
    const e = expectedBoot({ inet_down: 500 }); // 1.1 GB at 62.5 MB/s = 17.6 s < 60 s engine start
    expect(quietLimitMs("startup", e, true)).toBe(3 * 60_000 + 60_000);
    expect(quietLimitMs("startup", e, false)).toBe(3 * e.loadMs + 60_000);
  });
});

describe("judgeStall", () => {
  const exp = expectedBoot({ inet_down: 500, disk_bw: 1500 });
  const pullLimit = quietLimitMs("pull", exp, true);
  it("a pull that keeps advancing is progressing however long it has run", () => {
    // Only the time since the last new line or status change counts, not the time since the rent.
    expect(judgeStall(obs({ msSinceProgress: pullLimit }), exp).kind).toBe("progressing");
  });
  it("no new line and no status change for the limit is a stall, with the numbers", () => {
    const v = judgeStall(obs({ msSinceProgress: pullLimit + 1 }), exp);
    expect(v.kind).toBe("stalled");
    expect(v.kind === "stalled" && v.reason).toMatch(/no progress in the image pull: no new daemon-log line and no status change for \d+ s \(limit \d+ s: 3x the expected download of its largest layer/);
    const unread = judgeStall(obs({ msSinceProgress: 10 * pullLimit, logRead: false }), exp);
    expect(unread.kind === "stalled" && unread.reason).toMatch(/daemon log unreadable: 3x the whole expected pull/);
  });
  it("a host 3x slower than advertised, whose lines come per layer, is never stalled", () => {
    // Its longest silence: the largest layer at a third of the advertised speed.
    expect(judgeStall(obs({ msSinceProgress: 3 * exp.largestLayerMs }), exp).kind).toBe("progressing");
  });
  it("running but not serving: judged on the container log's silence", () => {
    const lim = quietLimitMs("startup", exp, true);
    expect(judgeStall(obs({ status: "running", portMapped: true, healthy: false, msSinceProgress: lim }), exp).kind).toBe("progressing");
    const v = judgeStall(obs({ status: "running", portMapped: true, healthy: false, msSinceProgress: lim + 1 }), exp);
    expect(v.kind === "stalled" && v.reason).toMatch(/running but not serving: \/health not 200 and no new container-log line for \d+ s/);
    expect(judgeStall(obs({ status: "running", portMapped: false, msSinceProgress: lim + 1 }), exp)).toMatchObject({ kind: "stalled", reason: expect.stringMatching(/port not mapped/) });
    // Serving (or no health check for this image): nothing to judge.
    expect(phaseOf({ status: "running", portMapped: true, healthy: null })).toBe("serving");
    expect(judgeStall(obs({ status: "running", portMapped: true, healthy: null, msSinceProgress: 1e9 }), exp).kind).toBe("progressing");
  });
  it("timeScale scales every limit and reports in unscaled seconds", () => {
    const v = judgeStall(obs({ msSinceProgress: (pullLimit + 2000) / 200 }), exp, DEFAULT_STALL_POLICY, 1 / 200);
    expect(v).toMatchObject({ kind: "stalled", reason: expect.stringMatching(new RegExp(`for ${Math.round((pullLimit + 2000) / 1000)} s \\(limit ${Math.round(pullLimit / 1000)} s`)) });
    expect(judgeStall(obs({ msSinceProgress: (pullLimit - 2000) / 200 }), exp, DEFAULT_STALL_POLICY, 1 / 200).kind).toBe("progressing");
  });
});

describe("msUntilStall", () => {
  const exp = expectedBoot({ inet_down: 300 });
  it("is exactly when judgeStall turns if nothing moves", () => {
    for (const [o, scale] of [
      [obs({ msSinceProgress: 20_000 }), 1],
      [obs({ status: null, msSinceProgress: 0, logRead: false }), 1],
      [obs({ status: "running", portMapped: true, healthy: false, msSinceProgress: 30_000 }), 1],
      [obs({ msSinceProgress: 100 }), 1 / 200],
    ] as const) {
      const ms = msUntilStall(o, exp, DEFAULT_STALL_POLICY, scale);
      expect(judgeStall({ ...o, msSinceProgress: o.msSinceProgress + ms - 1 }, exp, DEFAULT_STALL_POLICY, scale).kind).toBe("progressing");
      expect(judgeStall({ ...o, msSinceProgress: o.msSinceProgress + ms }, exp, DEFAULT_STALL_POLICY, scale).kind).toBe("stalled");
    }
  });
  it("no limit once serving", () => {
    expect(msUntilStall(obs({ status: "running", portMapped: true, healthy: null }), exp)).toBe(Infinity);
  });
});
