// What the boot lanes of one VastInstance share. One lane (race 1, the default) rents, waits and
// fails over; with race 2 two lanes do so at once on distinct machines and the first verified
// instance is kept (boot.ts runs the lanes). Here: the shared offer queue and attempt budget, the
// winner, the losers' cost, how the lanes' outcomes become one result, and which labelled instance
// to adopt. No Vast calls of its own.
import type { Instance, Offer } from "../api/types.ts";

/** An error after which an instance may still exist and bill: Pulumi must keep tracking it. */
export class TrackedInstanceError extends Error {
  readonly trackedId: number;
  constructor(message: string, trackedId: number) {
    super(message);
    this.name = "TrackedInstanceError";
    this.trackedId = trackedId;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (a lane that lost the race stops waiting). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

export interface Pick {
  offer: Offer;
  /** 1-based number of this rent among maxAttempts (every lane's rents count). */
  attempt: number;
}

export interface SearchResult {
  /** Offers the search returned. */
  total: number;
  /** The acceptable ones, best first. */
  ranked: Offer[];
}

export interface PoolOptions {
  maxAttempts: number;
  /** Machines already failed (a resumed instance's). */
  excluded?: number[];
  /** One offer search without these machines; `late` = an attempt already failed (rank for speed). */
  search: (excluded: number[], late: boolean) => Promise<SearchResult>;
  /** Reorders the offers left once an attempt failed; undefined = keep the order. */
  rerank?: (offers: Offer[]) => Offer[] | Promise<Offer[]>;
  log: (message: string) => void;
  maxSearches?: number;
}

/**
 * The ranked offers every lane takes from, in turn (calls are serialized, so two lanes never search
 * at once nor take the same offer). A machine a lane holds is skipped by the others (distinct
 * machines); a machine that failed is excluded for good. The first failure makes the deploy late:
 * the offers left are re-ranked once (rerank), and later searches are ranked for speed.
 */
export class OfferPool {
  readonly excluded: number[];
  /** Rents reserved so far (given back when the offer turned out taken). */
  attempts = 0;
  /** For the final error: what the last search found. */
  searched = "";
  late = false;
  private candidates: Offer[] = [];
  private searches = 0;
  private offersGone = 0;
  private readonly held = new Set<number>();
  private rerankDue = false;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly o: PoolOptions;

  constructor(o: PoolOptions) {
    this.o = o;
    this.excluded = [...(o.excluded ?? [])];
  }

  /** The next offer to rent with an attempt reserved, or undefined when attempts, offers or searches ran out. */
  next(): Promise<Pick | undefined> {
    const p = this.queue.then(() => this.take());
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async take(): Promise<Pick | undefined> {
    if (this.attempts >= this.o.maxAttempts || this.offersGone > 3 * this.o.maxAttempts) return undefined;
    if (this.rerankDue && this.o.rerank) this.candidates = await this.o.rerank(this.candidates);
    this.rerankDue = false;
    for (;;) {
      if (!this.candidates.length) {
        if (this.searches >= (this.o.maxSearches ?? 3)) return undefined;
        this.searches++;
        const { total, ranked } = await this.o.search([...this.excluded], this.late);
        this.candidates = ranked;
        this.searched = `the last search returned ${total} offers, ${ranked.length} acceptable`;
        this.o.log(`search ${this.searches}: ${total} offers, ${ranked.length} acceptable${this.late && this.o.rerank ? " (ranked by expected time to ready: the deploy is late)" : ""}`);
        if (!ranked.length) return undefined;
      }
      const offer = this.candidates.shift() as Offer;
      if (this.excluded.includes(offer.machine_id) || this.held.has(offer.machine_id)) continue;
      this.held.add(offer.machine_id);
      return { offer, attempt: ++this.attempts };
    }
  }

  /** Not rented after all (the race ended first): the attempt and the machine are given back. */
  giveBack(pick: Pick): void {
    this.attempts--;
    this.held.delete(pick.offer.machine_id);
  }

  /** The offer was taken by someone else before the rent: the attempt is given back. */
  gone(pick: Pick): void {
    this.giveBack(pick);
    this.offersGone++;
  }

  /** The lane is done with the machine without blaming it (race lost or stopped, unclear rent). */
  release(machineId: number): void {
    this.held.delete(machineId);
  }

  /** An attempt on `heldMachine` failed on `machineId` (usually the same): never again; the deploy is late. */
  failed(machineId: number, heldMachine = machineId): void {
    this.held.delete(heldMachine);
    if (!this.excluded.includes(machineId)) this.excluded.push(machineId);
    if (this.late) return;
    this.late = true;
    if (!this.o.rerank) return;
    this.rerankDue = true;
    this.o.log("an attempt failed, so the deploy is late: the offers left are ranked by expected time to ready, price no longer counts");
  }
}

export interface LostContender {
  id: number;
  /** From the rent until its destroy was confirmed (unscaled). */
  seconds: number;
  /** Upper bound of what it cost: its $/h over that whole time. */
  usd: number;
}

/** The outcome of one boot's lanes: who won, why the race stopped, what the losers cost. */
export class Race {
  winner?: { instance: Instance; offerId: number };
  /** Why the other lanes stop (set once, by the winner or by a lane that must be tracked). */
  stopReason = "";
  readonly lost: LostContender[] = [];
  private readonly ac = new AbortController();
  private readonly rented = new Map<number, { at: number; dph: number }>();
  private nextRentAt = 0;
  readonly lanes: number;
  private readonly timeScale: number;
  private readonly now: () => number;

  /** `timeScale`: the benchmark's (1 in production): the rent spacing and costs are in real time. */
  constructor(lanes: number, timeScale = 1, now: () => number = Date.now) {
    this.lanes = lanes;
    this.timeScale = timeScale;
    this.now = now;
  }

  get signal(): AbortSignal {
    return this.ac.signal;
  }

  get over(): boolean {
    return this.ac.signal.aborted;
  }

  /** Every instance rented in this boot: an unclear rent must not adopt another lane's contender. */
  ids(): Set<number> {
    return new Set(this.rented.keys());
  }

  entered(id: number, dphTotal: number): void {
    this.rented.set(id, { at: this.now(), dph: Number.isFinite(dphTotal) ? dphTotal : 0 });
  }

  /** The first verified instance wins; false when another lane won first or the race was stopped. */
  claim(instance: Instance, offerId: number): boolean {
    if (this.over) return false;
    this.winner = { instance, offerId };
    this.stop(`instance ${instance.id} was verified first`);
    return true;
  }

  stop(reason: string): void {
    if (this.over) return;
    this.stopReason = reason;
    this.ac.abort();
  }

  /** Accounts a contender destroyed because another won (its destroy confirmed just now). */
  loser(id: number): LostContender {
    const r = this.rented.get(id) ?? { at: this.now(), dph: 0 };
    const ms = (this.now() - r.at) / this.timeScale;
    const lost = { id, seconds: ms / 1000, usd: (r.dph * ms) / 3_600_000 };
    this.lost.push(lost);
    return lost;
  }

  get lostCostUsd(): number {
    return this.lost.reduce((a, l) => a + l.usd, 0);
  }

  /** Ms to wait before this lane's rent: Vast allows one rent per `floorMs` per key, lanes take turns. */
  rentDelayMs(floorMs: number): number {
    if (this.lanes < 2) return 0;
    const now = this.now();
    const at = Math.max(now, this.nextRentAt);
    this.nextRentAt = at + floorMs * this.timeScale;
    return at - now;
  }
}

/**
 * What the lanes' outcomes amount to: the winner, or undefined with the lanes' plain errors (the
 * caller explains). A TrackedInstanceError wins over everything: state keeps one id per resource and
 * it must be the unconfirmed instance, so a verified winner is destroyed (`destroy`) and any further
 * unconfirmed id is named in the message (the label finds it).
 */
export async function settleLanes(race: Race, results: PromiseSettledResult<unknown>[], destroy: (id: number, why: string) => Promise<void>, label: string): Promise<{ winner?: Race["winner"]; errors: Error[] }> {
  const errors = results.flatMap((r) => (r.status === "rejected" ? [r.reason as Error] : []));
  const tracked = errors.filter((e): e is TrackedInstanceError => e instanceof TrackedInstanceError);
  if (!tracked.length) return { winner: race.winner, errors };
  const others = tracked.slice(1).map((e) => e.trackedId);
  if (race.winner) {
    await destroy(race.winner.instance.id, `instance ${tracked[0].trackedId} of this boot must be the one kept in state`).catch((e: Error) => {
      if (e instanceof TrackedInstanceError) others.push(e.trackedId);
    });
  }
  if (!others.length) throw tracked[0];
  throw new TrackedInstanceError(`${tracked[0].message}; not confirmed gone either: instance ${others.join(", ")} (label ${label}: \`pulumi destroy\` sweeps it, \`npm run reaper\` finds it)`, tracked[0].trackedId);
}

const PROGRESS: Record<string, number> = { running: 3, loading: 2, created: 1 };

/**
 * Instances found with our label, the one to keep first: the furthest along (running, loading,
 * created), then the newest. An interrupted race leaves two contenders; keeping the one nearer to
 * serving wastes the least. The others are destroyed as duplicates.
 */
export function adoptionOrder(found: Instance[]): Instance[] {
  const rank = (i: Instance) => PROGRESS[i.actual_status ?? ""] ?? 0;
  return [...found].sort((a, b) => rank(b) - rank(a) || b.id - a.id);
}
