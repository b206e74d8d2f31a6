// The replica choice (components/client/choice.ts) as a pure function: power-of-two-choices on
// in-flight requests, ordered failover, cool-down, per-request exclusion. Seeded draws only.
import { describe, expect, it } from "vitest";
import { chooseReplica, type ChoiceOptions, type ReplicaView } from "../../components/client/choice.ts";
import { rng } from "../../tools/loadtest/stats.ts";

const NOW = 1_000_000;
const view = (endpoint: string, outstanding = 0, failedAt?: number): ReplicaView => ({ endpoint, outstanding, ...(failedAt !== undefined ? { failedAt } : {}) });
/** A generator that returns the given values in turn. */
const draws = (...xs: number[]) => () => xs.shift() as number;
const opts = (o: Partial<ChoiceOptions> = {}): ChoiceOptions => ({ strategy: "spread", now: NOW, cooldownMs: 30_000, random: rng(1), ...o });

/** How often each endpoint is chosen over `n` calls. */
function tally(replicas: ReplicaView[], n: number, o: ChoiceOptions): Record<string, number> {
  const t: Record<string, number> = Object.fromEntries(replicas.map((r) => [r.endpoint, 0]));
  for (let i = 0; i < n; i++) t[chooseReplica(replicas, o) as string]++;
  return t;
}

describe("chooseReplica: spread (power-of-two-choices)", () => {
  it("of the two drawn replicas, the one with fewer requests in flight wins; a tie goes to the first drawn", () => {
    const rs = [view("a", 3), view("b", 1), view("c", 2)];
    // Draws: first index floor(0.1*3)=0 (a), second floor(0.6*2)=1 → skips a → c. c has fewer than a.
    expect(chooseReplica(rs, opts({ random: draws(0.1, 0.6) }))).toBe("c");
    // a (3) vs b (1): b.
    expect(chooseReplica(rs, opts({ random: draws(0.1, 0.1) }))).toBe("b");
    // c (2) vs b (1): b, whichever is drawn first.
    expect(chooseReplica(rs, opts({ random: draws(0.9, 0.6) }))).toBe("b");
    const tie = [view("a", 1), view("b", 1), view("c", 1)];
    expect(chooseReplica(tie, opts({ random: draws(0.9, 0.1) }))).toBe("c");
    expect(chooseReplica(tie, opts({ random: draws(0.1, 0.9) }))).toBe("a");
    // A generator returning exactly 1 still gives valid indexes.
    expect(["a", "b", "c"]).toContain(chooseReplica(tie, opts({ random: draws(1, 1) })));
  });

  it("idle replicas share evenly; the busiest of three is never chosen; two equally busy share", () => {
    const idle = tally([view("a"), view("b"), view("c")], 3000, opts({ random: rng(42) }));
    for (const k of ["a", "b", "c"]) expect(idle[k] / 3000, k).toBeGreaterThan(0.3);
    for (const k of ["a", "b", "c"]) expect(idle[k] / 3000, k).toBeLessThan(0.37);
    const busy = tally([view("a", 2), view("b", 2), view("c", 5)], 600, opts({ random: rng(9) }));
    expect(busy.c).toBe(0);
    expect(busy.a).toBeGreaterThan(240);
    expect(busy.b).toBeGreaterThan(240);
    // With one replica left, it is chosen however busy.
    expect(chooseReplica([view("a", 9)], opts())).toBe("a");
  });

  it("is reproducible with a seeded generator", () => {
    const rs = [view("a"), view("b"), view("c"), view("d")];
    const seq = (seed: number) => { const o = opts({ random: rng(seed) }); return Array.from({ length: 50 }, () => chooseReplica(rs, o)).join(""); };
    expect(seq(11)).toBe(seq(11));
    expect(seq(11)).not.toBe(seq(12));
  });
});

describe("chooseReplica: cool-down, exclusion, ordered", () => {
  it("skips a replica that failed within the cool-down, and takes it back once the cool-down is over", () => {
    const rs = [view("a", 0, NOW - 1000), view("b", 5), view("c", 7)];
    expect(tally(rs, 200, opts()).a).toBe(0);
    const later = tally(rs, 200, opts({ now: NOW - 1000 + 30_000 }));
    expect(later.a).toBeGreaterThan(100); // idle, and healthy again: it wins every draw it is in
    expect(later.c).toBe(0);
  });

  it("when every untried replica is cooling down, the oldest failure goes first rather than failing", () => {
    const rs = [view("a", 0, NOW - 100), view("b", 0, NOW - 300), view("c", 0, NOW - 200)];
    expect(chooseReplica(rs, opts())).toBe("b");
    expect(chooseReplica(rs, opts({ exclude: new Set(["b"]) }))).toBe("c");
    expect(chooseReplica(rs, opts({ strategy: "ordered" }))).toBe("b");
    // A healthy one beats every cooling one.
    expect(chooseReplica([...rs, view("d", 50)], opts())).toBe("d");
  });

  it("never chooses a replica this request already tried; undefined once all were", () => {
    const rs = [view("a"), view("b"), view("c")];
    expect(tally(rs, 200, opts({ exclude: new Set(["a", "c"]) }))).toEqual({ a: 0, b: 200, c: 0 });
    expect(chooseReplica(rs, opts({ exclude: new Set(["a", "b", "c"]) }))).toBeUndefined();
    expect(chooseReplica([], opts())).toBeUndefined();
  });

  it("ordered: the first healthy replica in the given order, however busy", () => {
    const o = opts({ strategy: "ordered", random: () => { throw new Error("ordered draws nothing"); } });
    expect(chooseReplica([view("a", 10), view("b"), view("c")], o)).toBe("a");
    expect(chooseReplica([view("a", 0, NOW - 5), view("b", 4), view("c")], o)).toBe("b");
    expect(chooseReplica([view("a"), view("b"), view("c")], { ...o, exclude: new Set(["a"]) })).toBe("b");
  });
});
