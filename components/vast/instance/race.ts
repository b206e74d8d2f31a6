// The race (vast-reranker:race 2): a thin coordinator over boot lanes. Each lane runs the plain
// boot pipeline (boot.ts: pick → rent → wait → judge → keep or discard) from the shared offer pool;
// the race only says who was verified first, stops the others, spaces their rents by Vast's per-key
// threshold and accounts what the losers cost. With race 1 (the default) there is one lane and the
// race is invisible. No Vast calls of its own.
import type { Instance } from "../api/types.ts";
import { TrackedInstanceError } from "./bootErrors.ts";

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

  /** Lane `i`'s prefix in the boot log ("" with one lane). */
  tag(lane: number): string {
    return this.lanes > 1 ? `[lane ${lane + 1}]` : "";
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
 * Runs the lanes together; a lane whose instance must stay tracked stops the others (state holds
 * one id). Resolves with the winner, or undefined with the lanes' plain errors (settleLanes).
 */
export async function runRace(race: Race, lane: (i: number) => Promise<void>, destroy: (id: number, why: string) => Promise<void>, label: string): Promise<{ winner?: Race["winner"]; errors: Error[] }> {
  const results = await Promise.allSettled(Array.from({ length: race.lanes }, (_, i) => lane(i).catch((e: Error) => {
    if (e instanceof TrackedInstanceError) race.stop(`instance ${e.trackedId} could not be confirmed destroyed`);
    throw e;
  })));
  return settleLanes(race, results, destroy, label);
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
