// Client-side re-check and ranking of search results. The server may be lax (GPUHUNT re-applies
// every filter, the CLI re-filters `rented`), and an offer we should not rent costs money, so
// every filter the query carried is checked again here. Pure: no I/O.
import type { FieldFilter, Offer, OfferQuery } from "../api/types.ts";
import { buildOfferQuery, numericVersion, TOP_LEVEL_KEYS } from "./offerQuery.ts";
import type { OfferSelection } from "./offerQuery.ts";
import { expectedReadyMs } from "../instance/bootExpectation.ts";

type Scalar = string | number | boolean | null;

const NUMERIC = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

function toNumber(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "string" && NUMERIC.test(v)) return Number(v);
  return undefined;
}

/**
 * The offer's value for a filter field; derived where the API row may omit it. Real rows carry
 * `verified: null` (the tier is in `verification`) and `external: null` on rows the server returned
 * for `external = false` (reference §2): a null there is no value to check, the server filtered on it.
 */
function offerValue(offer: Offer, field: string): unknown {
  let v: unknown = Object.hasOwn(offer, field) ? offer[field] : undefined;
  if ((v === null || v === undefined) && field === "verified") v = typeof offer.verification === "string" ? offer.verification === "verified" : undefined;
  if (v === null && field === "external") v = undefined;
  if (v === undefined && field === "datacenter" && typeof offer.hosting_type === "number") v = offer.hosting_type === 1;
  return field === "driver_version" ? versionNumber(v) : v;
}

// The CLI sends dotted driver versions as zero-padded ints (535.86.05 → 535086005); rows carry the string.
function versionNumber(v: unknown): unknown {
  return typeof v === "string" ? (numericVersion(v.trim()) ?? v) : v;
}

/** Geolocation rows look like "Poland, PL": a 2-letter filter value matches the trailing code. */
function countryCode(geo: string): string {
  return geo.trim().slice(-2).toUpperCase();
}

function equal(field: string, actual: unknown, expected: unknown): boolean {
  if (field === "driver_version") expected = versionNumber(expected);
  if (expected === null) return actual === null;
  if (typeof expected === "boolean") {
    if (typeof actual === "boolean") return actual === expected;
    if (typeof actual === "number") return (actual !== 0) === expected;
    if (typeof actual === "string") return actual.toLowerCase() === String(expected);
    return false;
  }
  if (field === "geolocation" && typeof expected === "string" && typeof actual === "string" && /^[A-Za-z]{2}$/.test(expected.trim())) {
    return countryCode(actual) === expected.trim().toUpperCase();
  }
  const a = toNumber(actual);
  const e = toNumber(expected);
  if (a !== undefined && e !== undefined) return a === e;
  return actual !== null && actual !== undefined && typeof actual !== "object" && String(actual) === String(expected);
}

/** Ordering for gt/gte/lt/lte: numeric when both sides are numbers or numeric strings. */
function compare(field: string, actual: unknown, expected: unknown): number | undefined {
  if (field === "driver_version") expected = versionNumber(expected);
  const a = toNumber(actual);
  const e = toNumber(expected);
  if (a !== undefined && e !== undefined) return a - e;
  if (typeof actual === "string" && typeof expected === "string") return actual < expected ? -1 : actual > expected ? 1 : 0;
  return undefined; // incomparable (null, booleans, mixed): the bound is not met
}

function matchOp(field: string, actual: unknown, op: string, expected: unknown): boolean {
  const list = (): Scalar[] => (Array.isArray(expected) ? expected : [expected]) as Scalar[];
  switch (op) {
    case "eq": return equal(field, actual, expected);
    case "neq": return !equal(field, actual, expected);
    case "in": return list().some((x) => equal(field, actual, x));
    case "notin": return !list().some((x) => equal(field, actual, x));
  }
  const c = compare(field, actual, expected);
  if (c === undefined) return false;
  switch (op) {
    case "gt": return c > 0;
    case "gte": return c >= 0;
    case "lt": return c < 0;
    case "lte": return c <= 0;
    default: return true; // an op this client does not know was not added by it; leave it to the server
  }
}

/**
 * Does the offer satisfy every field filter of the query (top-level keys ignored)? A field the
 * row does not carry at all cannot be checked and is let through; `null` is a value and is compared.
 */
export function offerMatchesQuery(offer: Offer, query: OfferQuery): boolean {
  for (const [field, filter] of Object.entries(query)) {
    if (TOP_LEVEL_KEYS.includes(field) || filter === null || typeof filter !== "object" || Array.isArray(filter)) continue;
    const actual = offerValue(offer, field);
    if (actual === undefined) continue;
    for (const [op, expected] of Object.entries(filter as FieldFilter)) {
      if (!matchOp(field, actual, op, expected)) return false;
    }
  }
  return true;
}

const num = (v: unknown, fallback: number): number => toNumber(v) ?? fallback;

/** What renting the offer costs per hour: the bid (or the offer's min_bid) for interruptible. */
function pricePerHour(o: Offer, sel: OfferSelection): number {
  if (sel.offerType === "interruptible") return num(sel.bidPricePerHour ?? o.min_bid, Infinity);
  return num(o.dph_total, Infinity);
}

function reliabilityOf(o: Offer): number {
  return num(o.reliability2, num(o.reliability, -Infinity));
}

/**
 * Filter and order search results, best first. Drops rented or non-rentable offers, excluded
 * machines, anything failing a filter of the query built from `sel`, the reliability floor
 * (reliability2, else reliability), the price cap and, with a fixed bid, offers whose min_bid is
 * above it. Order: "balanced" (default, also when unset) and "speed" see rankByTime; "price" = cheapest first, "dlperf_per_dollar" = highest
 * dlperf_per_dphtotal first; ties go to cheaper, then higher reliability2, then lower offer id.
 * Throws FilterSyntaxError on a bad filter string (validate first).
 */
export function rankOffers(offers: Offer[], sel: OfferSelection, excludedMachineIds: number[] = []): Offer[] {
  const query = buildOfferQuery(sel, excludedMachineIds);
  const excluded = new Set(excludedMachineIds);
  const interruptible = sel.offerType === "interruptible";
  const kept = offers.filter((o) => {
    if (o.rented === true || o.rentable === false || excluded.has(o.machine_id)) return false;
    if (!offerMatchesQuery(o, query)) return false;
    if (sel.minReliability !== undefined && !(reliabilityOf(o) >= sel.minReliability)) return false;
    if (sel.maxPricePerHour !== undefined && !(pricePerHour(o, sel) <= sel.maxPricePerHour)) return false;
    if (interruptible && sel.bidPricePerHour !== undefined && !(num(o.min_bid, Infinity) <= sel.bidPricePerHour)) return false;
    return true;
  });
  if (sel.rankBy === "speed" || sel.rankBy === "balanced" || sel.rankBy === undefined) return rankByTime(kept, sel);
  const byPerf = sel.rankBy === "dlperf_per_dollar";
  return kept.sort((a, b) =>
    (byPerf ? num(b.dlperf_per_dphtotal, -Infinity) - num(a.dlperf_per_dphtotal, -Infinity) || 0 : 0) ||
    pricePerHour(a, sel) - pricePerHour(b, sel) || // Infinity - Infinity is NaN → treated as a tie
    num(a.dph_total, Infinity) - num(b.dph_total, Infinity) ||
    reliabilityOf(b) - reliabilityOf(a) ||
    a.id - b.id,
  );
}

/**
 * Expected time to a serving endpoint, inflated by the host's failure odds: the image pull and model
 * download from inet_down/disk_bw (bootExpectation.ts expectedReadyMs), divided by reliability2 (a host
 * that fails one boot in ten costs, on average, a tenth of another boot more).
 */
export function expectedTimeMs(o: Offer): number {
  const rel = Math.min(1, Math.max(0.5, reliabilityOf(o)));
  return expectedReadyMs({ inet_down: toNumber(o.inet_down), disk_bw: toNumber(o.disk_bw) }) / rel;
}

/**
 * "speed": least expected time first (cheaper on ties). "balanced" (default): the sum of price and
 * expected time, each relative to the best acceptable offer's, so 10 % more $/h weighs as much as
 * 10 % more expected time to ready. Ties: cheaper, more reliable, lower id.
 */
function rankByTime(kept: Offer[], sel: OfferSelection): Offer[] {
  const time = new Map(kept.map((o) => [o, expectedTimeMs(o)]));
  const minT = Math.min(...time.values());
  const minP = Math.min(...kept.map((o) => pricePerHour(o, sel)).filter((p) => p > 0 && Number.isFinite(p)));
  const score = (o: Offer): number => {
    const t = (time.get(o) as number) / minT;
    if (sel.rankBy === "speed") return t;
    const p = pricePerHour(o, sel) / (Number.isFinite(minP) ? minP : 1);
    return Number.isFinite(p) ? t + p : Infinity;
  };
  const s = new Map(kept.map((o) => [o, score(o)]));
  return kept.sort((a, b) =>
    (s.get(a) as number) - (s.get(b) as number) ||
    pricePerHour(a, sel) - pricePerHour(b, sel) ||
    num(a.dph_total, Infinity) - num(b.dph_total, Infinity) ||
    reliabilityOf(b) - reliabilityOf(a) ||
    a.id - b.id,
  );
}

/**
 * Order for the offers left after a failed attempt. With "balanced" (or unset) the deploy is already
 * late, so price stops counting: least expected time to ready first (as "speed"). An explicit
 * "speed", "price" or "dlperf_per_dollar" keeps its order: that choice was the user's.
 * Benchmarked in docs/benchmarks.md ("Time to a verified endpoint on a market with a tail").
 */
export function rankAfterFailure(offers: Offer[], sel: OfferSelection): Offer[] {
  if (sel.rankBy !== "balanced" && sel.rankBy !== undefined) return offers;
  return rankByTime([...offers], { ...sel, rankBy: "speed" });
}

function money(v: number): string {
  const s = v.toFixed(3);
  return s.endsWith("0") ? v.toFixed(2) : s;
}

/** One line for progress logs: `offer 123 · 1x RTX 4090 24 GB · $0.42/h · reliability 0.991 · Poland, PL`. */
export function describeOffer(o: Offer): string {
  const gb = Math.round(num(o.gpu_ram, 0) / 1024);
  const price = toNumber(o.dph_total);
  const rel = toNumber(o.reliability2) ?? toNumber(o.reliability);
  return [
    `offer ${o.id}`,
    `${o.num_gpus}x ${o.gpu_name} ${gb} GB`,
    price === undefined ? "$?/h" : `$${money(price)}/h`,
    rel === undefined ? "reliability ?" : `reliability ${rel.toFixed(3)}`,
    o.geolocation || "unknown location",
  ].join(" · ");
}
