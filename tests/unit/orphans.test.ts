import { describe, expect, it } from "vitest";
import { findOrphans, formatOrphans, instanceIdsInState, parseAge, INSTANCE_TYPE } from "../../tools/reaper/orphans.ts";
import type { Instance } from "../../components/vast/api/types.ts";

const inst = (id: number, label: string | null, startMinAgo: number): Instance =>
  ({ id, label, actual_status: "running", gpu_name: "RTX 4090", dph_total: 0.4, start_date: 10_000 - startMinAgo * 60 }) as Instance;

describe("orphan detection", () => {
  it("keeps only our labels that no state knows, older than the floor", () => {
    const all = [inst(1, "vast-reranker.dev.r.aa.bb", 120), inst(2, "vast-reranker.dev.r.cc.dd", 120), inst(3, "someone-else", 500), inst(4, null, 500), inst(5, "vast-reranker.x.y.z.w", 5), inst(6, "vast-rerankerX.a", 500)];
    const orphans = findOrphans(all, new Set([2]), "vast-reranker", 10_000, 60);
    expect(orphans.map((o) => o.id)).toEqual([1]);
    expect(orphans[0].ageMinutes).toBeCloseTo(120);
    expect(findOrphans(all, new Set(), "vast-reranker", 10_000).map((o) => o.id)).toEqual([1, 2, 5]);
  });
  it("reads instance ids from an exported stack, pending creates included", () => {
    const exported = { deployment: { resources: [{ type: INSTANCE_TYPE, id: "41" }, { type: "random:index/randomId:RandomId", id: "x" }], pending_operations: [{ resource: { type: INSTANCE_TYPE, id: "42" } }] } };
    expect(instanceIdsInState(exported)).toEqual([41, 42]);
    expect(instanceIdsInState({})).toEqual([]);
  });
  it("parses ages and rejects nonsense", () => {
    expect(parseAge("90m")).toBe(90);
    expect(parseAge("2h")).toBe(120);
    expect(parseAge("1d")).toBe(1440);
    expect(parseAge("45")).toBe(45);
    expect(() => parseAge("soon")).toThrow(/--older-than "soon"/);
  });
  it("prints the hourly cost", () => {
    const text = formatOrphans(findOrphans([inst(1, "vast-reranker.a", 10), inst(2, "vast-reranker.b", 10)], new Set(), "vast-reranker", 10_000));
    expect(text).toContain("2 orphaned instance(s) costing $0.800/h");
    expect(formatOrphans([])).toBe("no orphaned instances");
  });
});
