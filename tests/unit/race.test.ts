// The pure parts the boot lanes share: the offer queue and attempt budget (offerPool.ts), the
// race's winner and losers' cost and how lane outcomes become one result (race.ts), which labelled
// instance to adopt (adopt.ts).
import { describe, expect, it, vi } from "vitest";
import { Race, settleLanes } from "../../components/vast/instance/race.ts";
import { OfferPool } from "../../components/vast/instance/offerPool.ts";
import { adoptionOrder } from "../../components/vast/instance/adopt.ts";
import { TrackedInstanceError } from "../../components/vast/instance/bootErrors.ts";
import type { Instance, Offer } from "../../components/vast/api/types.ts";

const offer = (id: number, machine = id * 10): Offer => ({ id, machine_id: machine, dph_total: 0.5 }) as Offer;
const inst = (id: number, actual_status: string | null = "running"): Instance => ({ id, actual_status }) as Instance;

function pool(offers: Offer[][], over: Partial<ConstructorParameters<typeof OfferPool>[0]> = {}) {
  const searches: Array<{ excluded: number[]; late: boolean }> = [];
  const log: string[] = [];
  const p = new OfferPool({
    maxAttempts: 3, log: (m) => log.push(m),
    search: async (excluded, late) => {
      searches.push({ excluded, late });
      const ranked = (offers[searches.length - 1] ?? []).filter((o) => !excluded.includes(o.machine_id));
      return { total: ranked.length, ranked };
    },
    ...over,
  });
  return { p, searches, log };
}

describe("OfferPool", () => {
  it("hands concurrent lanes distinct offers from one search, numbering every rent against maxAttempts", async () => {
    const { p, searches } = pool([[offer(1), offer(2), offer(3), offer(4)]]);
    const [a, b] = await Promise.all([p.next(), p.next()]);
    expect([a?.offer.id, b?.offer.id]).toEqual([1, 2]);
    expect([a?.attempt, b?.attempt]).toEqual([1, 2]);
    expect(searches).toHaveLength(1);
    expect((await p.next())?.attempt).toBe(3);
    expect(await p.next()).toBeUndefined(); // budget spent: maxAttempts counts every lane's rents
  });

  it("skips a machine another lane holds, excludes a failed one for good and searches without it", async () => {
    const { p, searches } = pool([[offer(1, 7), offer(2, 7), offer(3, 8)], [offer(4, 7), offer(5, 9)]], { maxAttempts: 5 });
    const a = await p.next();
    const b = await p.next(); // offer 2 is on machine 7, which lane a holds
    expect([a?.offer.id, b?.offer.id]).toEqual([1, 3]);
    p.failed(7);
    p.release(8);
    expect(p.excluded).toEqual([7]);
    const c = await p.next(); // list empty: new search without machine 7
    expect(searches[1]).toEqual({ excluded: [7], late: true });
    expect(c?.offer.id).toBe(5);
  });

  it("an offer taken before the rent gives its attempt back", async () => {
    const { p } = pool([[offer(1), offer(2)]], { maxAttempts: 1 });
    const a = await p.next();
    p.gone(a!);
    expect((await p.next())?.offer.id).toBe(2);
    expect(p.attempts).toBe(1);
  });

  it("the first failure re-ranks the offers left once, and says so", async () => {
    const rerank = vi.fn((left: Offer[]) => [...left].reverse());
    const { p, log } = pool([[offer(1), offer(2), offer(3), offer(4)]], { rerank, maxAttempts: 4 });
    await p.next();
    p.failed(10);
    p.failed(20); // already late: no second re-rank
    expect((await p.next())?.offer.id).toBe(4);
    expect((await p.next())?.offer.id).toBe(3);
    expect(rerank).toHaveBeenCalledTimes(1);
    expect(log.join("\n")).toMatch(/deploy is late: the offers left are ranked by expected time to ready/);
  });

  it("gives up when a search finds nothing acceptable, keeping what it saw for the error", async () => {
    const { p, searches } = pool([[offer(1)], [], []], { maxAttempts: 5 });
    p.failed((await p.next())!.offer.machine_id);
    expect(await p.next()).toBeUndefined();
    expect(searches).toHaveLength(2);
    expect(p.searched).toMatch(/returned 0 offers, 0 acceptable/);
  });
});

describe("Race", () => {
  it("the first claim wins, stops the others with the reason; later claims lose", () => {
    const r = new Race(2);
    expect(r.over).toBe(false);
    expect(r.claim(inst(5), 50)).toBe(true);
    expect(r.over).toBe(true);
    expect(r.signal.aborted).toBe(true);
    expect(r.stopReason).toBe("instance 5 was verified first");
    expect(r.claim(inst(6), 60)).toBe(false);
    expect(r.winner?.instance.id).toBe(5);
  });

  it("a loser costs its $/h over its whole life in real time (the bench's timeScale undone)", () => {
    let now = 1_000;
    const r = new Race(2, 1 / 200, () => now);
    r.entered(7, 0.36);
    now += 500; // 0.5 s at 200x = 100 s real
    const l = r.loser(7);
    expect(l.seconds).toBeCloseTo(100);
    expect(l.usd).toBeCloseTo(0.01);
    expect(r.lostCostUsd).toBeCloseTo(0.01);
    expect([...r.ids()]).toEqual([7]);
  });

  it("spaces the lanes' rents by the floor (scaled), and not at all with one lane", () => {
    let now = 0;
    const r = new Race(2, 1, () => now);
    expect(r.rentDelayMs(4_600)).toBe(0);
    expect(r.rentDelayMs(4_600)).toBe(4_600);
    now = 10_000;
    expect(r.rentDelayMs(4_600)).toBe(0);
    const one = new Race(1);
    expect([one.rentDelayMs(4_600), one.rentDelayMs(4_600)]).toEqual([0, 0]);
  });
});

describe("settleLanes", () => {
  const ok = { status: "fulfilled", value: undefined } as const;
  const no = (e: Error) => ({ status: "rejected", reason: e }) as const;

  it("returns the winner and the lanes' plain errors", async () => {
    const r = new Race(2);
    r.claim(inst(5), 50);
    const destroy = vi.fn(async () => {});
    const out = await settleLanes(r, [ok, no(new Error("refused"))], destroy, "lbl");
    expect(out.winner?.instance.id).toBe(5);
    expect(out.errors.map((e) => e.message)).toEqual(["refused"]);
    expect(destroy).not.toHaveBeenCalled();
  });

  it("an unconfirmed destroy beats a verified winner: the winner is destroyed, the unconfirmed one is tracked", async () => {
    const r = new Race(2);
    r.claim(inst(5), 50);
    const destroy = vi.fn(async () => {});
    const tracked = new TrackedInstanceError("instance 6 failed (lost) and its destroy could not be confirmed", 6);
    await expect(settleLanes(r, [ok, no(tracked)], destroy, "lbl")).rejects.toBe(tracked);
    expect(destroy).toHaveBeenCalledWith(5, expect.stringMatching(/instance 6 of this boot must be the one kept in state/));
  });

  it("when the winner cannot be destroyed either, the tracked error names it and the label", async () => {
    const r = new Race(2);
    r.claim(inst(5), 50);
    const destroy = async (id: number) => { throw new TrackedInstanceError("unconfirmed", id); };
    const e = await settleLanes(r, [ok, no(new TrackedInstanceError("instance 6 unconfirmed", 6))], destroy, "lbl").catch((x: TrackedInstanceError) => x);
    expect(e).toBeInstanceOf(TrackedInstanceError);
    expect((e as TrackedInstanceError).trackedId).toBe(6);
    expect((e as Error).message).toMatch(/not confirmed gone either: instance 5 \(label lbl/);
  });
});

describe("adoptionOrder", () => {
  it("keeps the instance furthest along, then the newest", () => {
    expect(adoptionOrder([inst(3, "loading"), inst(1, "running"), inst(2, "running"), inst(4, null)]).map((i) => i.id)).toEqual([2, 1, 3, 4]);
    expect(adoptionOrder([inst(8, "created"), inst(9, "created")]).map((i) => i.id)).toEqual([9, 8]);
  });
});
