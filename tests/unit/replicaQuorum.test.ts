// vast-reranker:minReadyReplicas: which replicas count, and the message when too few are ready.
import { describe, expect, it } from "vitest";
import { judgeQuorum, type ReplicaState } from "../../components/replicaQuorum.ts";
import { minReady } from "../../components/rerankerDeployment.ts";

const state = (name: string, failure?: string): ReplicaState => ({
  name, ip: "10.0.0.1", port: 4000, report: failure ? JSON.stringify({ ok: false, skipped: true }) : JSON.stringify({ ok: true }),
  ...(failure ? { failure } : {}),
  info: { endpoint: failure ? "http://:0" : `http://10.0.0.${name.length}:4000`, instanceId: failure ? 0 : 7, machineId: 1, gpuName: "RTX 4090", pricePerHour: 0.3 },
});

describe("judgeQuorum", () => {
  it("enough ready: the ready ones in index order, the failed ones named with their reason", () => {
    const v = judgeQuorum([state("reranker"), state("reranker-1", "no Vast instance became ready (offer 9: exited)"), state("reranker-2")], 2);
    expect(v.problem).toBeUndefined();
    expect(v.ready.map((r) => r.name)).toEqual(["reranker", "reranker-2"]);
    expect(v.failed).toEqual([{ replica: "reranker-1", reason: "no Vast instance became ready (offer 9: exited)" }]);
  });

  it("too few ready: the problem names the count, the minimum, each failed replica and its reason", () => {
    const v = judgeQuorum([state("reranker"), state("reranker-1", "stalled in loading"), state("reranker-2", "offer 12 gone")], 2);
    expect(v.problem).toMatch(/^only 1 of 3 replicas became ready; vast-reranker:minReadyReplicas is 2/);
    expect(v.problem).toContain("reranker-1: stalled in loading");
    expect(v.problem).toContain("reranker-2: offer 12 gone");
    expect(v.problem).toContain("next `pulumi up` tries the failed ones again");
  });

  it("all ready is always enough; none ready never is", () => {
    expect(judgeQuorum([state("a"), state("b")], 2).problem).toBeUndefined();
    expect(judgeQuorum([state("a", "x")], 1).problem).toMatch(/only 0 of 1/);
  });

  it("minReady: unset means every replica", () => {
    expect(minReady({ replicas: 3, minReadyReplicas: undefined })).toBe(3);
    expect(minReady({ replicas: 3, minReadyReplicas: 2 })).toBe(2);
  });
});
