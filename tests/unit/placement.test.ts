// Replica placement (components/vast/instance/placement.ts): distinct machines without coordination.
import { describe, expect, it } from "vitest";
import { machineConflict, placeOffers, siblingInstances, type ReplicaPlacement } from "../../components/vast/instance/placement.ts";
import type { Instance, Offer } from "../../components/vast/api/types.ts";

const STEMS = ["vr.dev.reranker.aaaa.", "vr.dev.reranker-1.bbbb.", "vr.dev.reranker-2.cccc."];
const offer = (id: number, machine: number) => ({ id, machine_id: machine, dph_total: id / 100 }) as unknown as Offer;
const inst = (id: number, machine: number, label: string, extra: Partial<Instance> = {}) => ({ id, machine_id: machine, label, ...extra }) as unknown as Instance;
const at = (index: number): ReplicaPlacement => ({ index, stems: STEMS });

// Ranked: the two cheapest offers share machine 10.
const RANKED = [offer(1, 10), offer(2, 10), offer(3, 20), offer(4, 30), offer(5, 40), offer(6, 50)];

describe("replica placement", () => {
  it("replicas created together take distinct machines from the same ranking (round-robin by machine)", () => {
    const firsts = [0, 1, 2].map((i) => placeOffers(at(i), RANKED, [])[0].machine_id);
    expect(firsts).toEqual([10, 20, 30]);
    expect(new Set(firsts).size).toBe(3);
    // Each still has every other offer as a fallback, its own machines first.
    expect(placeOffers(at(1), RANKED, []).map((o) => o.id)).toEqual([3, 6, 1, 2, 4, 5]);
  });

  it("a replica added later takes the cheapest machine its live siblings do not use", () => {
    const live = [inst(100, 10, `${STEMS[0]}deadbeef`), inst(101, 20, `${STEMS[1]}deadbeef`)];
    expect(placeOffers(at(2), RANKED, live).map((o) => o.machine_id)).toEqual([30, 40, 50]);
  });

  it("a sibling found mid-way shifts positions consistently (no two pick the same machine)", () => {
    // Replica 0 has rented machine 10; replica 1 sees it, replica 2 does not yet.
    const seen = [inst(100, 10, `${STEMS[0]}x`)];
    expect(placeOffers(at(1), RANKED, seen)[0].machine_id).toBe(20);
    expect(placeOffers(at(2), RANKED, [])[0].machine_id).toBe(30);
  });

  it("ignores destroyed instances, its own stem, and other stacks' labels; stems are not prefixes of each other", () => {
    const list = [inst(1, 10, `${STEMS[0]}x`, { cur_state: "unloaded" }), inst(2, 20, `${STEMS[1]}x`), inst(3, 30, "vr.dev.reranker-10.zzzz.x")];
    expect([...siblingInstances(at(1), list).keys()]).toEqual([]);
    expect([...siblingInstances(at(0), list).keys()]).toEqual([1]);
  });

  it("after boot the higher index yields a shared machine, the lower keeps it", () => {
    const a = inst(100, 10, `${STEMS[0]}x`);
    const b = inst(101, 10, `${STEMS[1]}x`);
    expect(machineConflict(at(1), b, [a, b])).toMatch(/machine 10 already serves replica 0 \(instance 100\); replica 1 yields/);
    expect(machineConflict(at(0), a, [a, b])).toBeUndefined();
    expect(machineConflict(at(1), inst(102, 20, `${STEMS[1]}x`), [a])).toBeUndefined();
  });
});

describe("replica placement across a create-first replacement", () => {
  it("with its own label, only siblings of the same spec count: the old generation's machines are free", () => {
    const old = [inst(100, 10, `${STEMS[0]}0ldspec0`), inst(101, 20, `${STEMS[1]}0ldspec0`)];
    const fresh = inst(102, 30, `${STEMS[0]}newspec1`);
    expect([...siblingInstances(at(1), [...old, fresh], `${STEMS[1]}newspec1`).keys()]).toEqual([0]);
    expect(siblingInstances(at(1), [...old, fresh], `${STEMS[1]}newspec1`).get(0)?.map((i) => i.id)).toEqual([102]);
    // Without a label every generation counts (as before).
    expect(siblingInstances(at(1), [...old, fresh]).get(0)?.map((i) => i.id)).toEqual([100, 102]);
  });
});
