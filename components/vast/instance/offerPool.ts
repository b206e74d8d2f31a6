// The ranked offers every boot lane takes from (boot.ts): one shared queue with the attempt budget
// (maxAttempts counts every lane's rents), distinct machines for the lanes, failed machines
// excluded for good, and the re-rank for speed once the deploy is late. No Vast calls of its own:
// the search is handed in.
import type { Offer } from "../api/types.ts";

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
