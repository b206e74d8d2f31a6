// Which replica gets the next attempt: a pure function of what one client knows about its replicas
// (requests it has in flight to each, when each last failed). Shared by the failover client and the
// load test, so the load test spreads requests the way consumers do.
//
// "spread" (default) is power-of-two-choices: two distinct healthy replicas at random, the one with
// fewer requests in flight wins (a tie goes to the first drawn). A slow replica keeps its requests
// longer, so it loses more draws and gets less work; with one request at a time every replica is
// idle and they take turns at random. Unlike "least outstanding of all", two random draws keep many
// clients from piling onto the same momentarily idle replica.
// "ordered" is a primary with fallbacks: the first healthy replica in the given order.
//
// In both, a replica that failed less than `cooldownMs` ago is skipped; when every untried replica
// is cooling down they are tried anyway, oldest failure first, rather than failing at once.

export type ReplicaStrategy = "spread" | "ordered";

export interface ReplicaView {
  endpoint: string;
  /** Requests this client has in flight to the replica. */
  outstanding: number;
  /** When the replica last failed (ms, same clock as `now`); undefined when it has not. */
  failedAt?: number;
}

export interface ChoiceOptions {
  strategy: ReplicaStrategy;
  now: number;
  cooldownMs: number;
  /** Uniform in [0, 1): Math.random, or a seeded generator for reproducible runs. */
  random: () => number;
  /** Replicas already tried for this request. */
  exclude?: ReadonlySet<string>;
}

export function isCooling(r: ReplicaView, now: number, cooldownMs: number): boolean {
  return r.failedAt !== undefined && r.failedAt + cooldownMs > now;
}

/** The endpoint for the next attempt, or undefined when every replica has been tried. */
export function chooseReplica(replicas: readonly ReplicaView[], o: ChoiceOptions): string | undefined {
  const untried = replicas.filter((r) => !o.exclude?.has(r.endpoint));
  if (!untried.length) return undefined;
  const healthy = untried.filter((r) => !isCooling(r, o.now, o.cooldownMs));
  if (!healthy.length) return untried.reduce((a, b) => ((b.failedAt ?? 0) < (a.failedAt ?? 0) ? b : a)).endpoint;
  if (o.strategy === "ordered" || healthy.length === 1) return healthy[0].endpoint;
  const i = pick(o.random, healthy.length);
  let j = pick(o.random, healthy.length - 1);
  if (j >= i) j++;
  return healthy[j].outstanding < healthy[i].outstanding ? healthy[j].endpoint : healthy[i].endpoint;
}

/** An index in [0, n), robust to a generator that returns exactly 1. */
function pick(random: () => number, n: number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}
