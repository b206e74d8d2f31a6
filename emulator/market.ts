// The offer market: a seeded list of offers, search (filters, pricing, order, limit), renting.
import { readFileSync } from "node:fs";
import type { Offer, OfferQuery } from "../components/vast/api/types.ts";
import { QueryError, comparator, rowMatches } from "./query.ts";

// Top-level keys of a search body that are directives, not field filters.
export const SEARCH_DIRECTIVES = new Set(["order", "type", "limit", "allocated_storage", "disable_bundling", "select_cols"]);
/** One search returns at most 64 offers whatever `limit` says (recorded twice, reference §2). */
const MAX_OFFERS = 64;
const DEFAULT_STORAGE_GB = 8; // DOCS default; the CLI always sends its own (5.0)
const HOURS_PER_MONTH = 30 * 24;

export function parseMarket(data: unknown): Offer[] {
  const list = Array.isArray(data) ? data : (data as { offers?: unknown })?.offers;
  if (!Array.isArray(list)) throw new Error('market must be an array of offers or {"offers": [...]}');
  const now = Date.now() / 1000;
  return list.map((raw, i) => {
    const o = raw as Partial<Offer>;
    if (typeof o.id !== "number" || typeof o.machine_id !== "number" || typeof o.gpu_name !== "string") {
      throw new Error(`market offer #${i}: id, machine_id (numbers) and gpu_name (string) are required`);
    }
    const base = o.dph_base ?? o.dph_total ?? 0.5;
    return {
      ask_contract_id: o.id,
      host_id: o.machine_id,
      num_gpus: 1,
      gpu_ram: 24576,
      compute_cap: 860,
      cuda_max_good: 12.4,
      cpu_cores: null,
      cpu_ram: 32768,
      disk_space: 200,
      inet_up: 500,
      inet_down: 500,
      direct_port_count: 100,
      static_ip: true,
      min_bid: base * 0.5,
      storage_cost: 0.1,
      dlperf: 20,
      reliability: o.reliability2 ?? 0.99,
      reliability2: o.reliability ?? 0.99,
      rentable: true,
      verification: o.verified === false ? "unverified" : "verified",
      geolocation: "US",
      public_ipaddr: "127.0.0.1",
      ...o,
      // Real rows (reference §2): `verified` null, the tier in `verification`; `external` null unless true.
      verified: null,
      external: o.external === true ? true : null,
      dph_base: base,
      rented: false,
      start_date: o.start_date ?? now - 3600,
      end_date: o.end_date ?? now + (o.duration ?? 30 * 86400),
    } as Offer;
  });
}

export function loadMarketFile(file: string): Offer[] {
  return parseMarket(JSON.parse(readFileSync(file, "utf8")));
}

export function priced(o: Offer, bid: boolean, storageGb: number): Offer {
  const diskHour = ((o.storage_cost ?? 0) * storageGb) / HOURS_PER_MONTH;
  const gpuHour = bid ? o.min_bid : (o.dph_base as number);
  const total = Math.round((gpuHour + diskHour) * 1e6) / 1e6;
  const prices = { gpuCostPerHour: gpuHour, diskHour, totalHour: total, discountTotalHour: 0, discountedTotalPerHour: total };
  return {
    ...o,
    dph_total: total,
    dlperf_per_dphtotal: Math.round((o.dlperf / total) * 1e3) / 1e3,
    flops_per_dphtotal: Math.round(((o.total_flops ?? 0) / total) * 1e3) / 1e3,
    is_bid: bid,
    search: prices,
    instance: prices,
  };
}

function searchType(t: unknown): boolean {
  if (t === undefined || t === null || t === "on-demand" || t === "ondemand" || t === "reserved") return false;
  if (t === "bid" || t === "interruptible") return true;
  throw new QueryError(`Error in query parameters: unknown offer type ${String(t)}`);
}

export class Market {
  private seed: Offer[];
  private offers: Offer[] = [];
  private nextId = 0;

  constructor(offers: Offer[]) {
    this.seed = offers;
    this.reset();
  }

  reset(offers?: Offer[]): void {
    if (offers) this.seed = offers;
    this.offers = this.seed.map((o) => ({ ...o, rented: false }));
    this.nextId = Math.max(0, ...this.offers.map((o) => o.id)) + 1;
  }

  all(): Offer[] {
    return this.offers;
  }

  search(query: OfferQuery): Offer[] {
    if (query === null || typeof query !== "object" || Array.isArray(query)) {
      throw new QueryError("Error in query parameters: the query must be a JSON object");
    }
    const bid = searchType(query.type);
    const alloc = Number(query.allocated_storage ?? DEFAULT_STORAGE_GB);
    const storage = Number.isFinite(alloc) && alloc >= 0 ? alloc : DEFAULT_STORAGE_GB;
    const filters: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(query)) if (!SEARCH_DIRECTIVES.has(k)) filters[k] = v;
    const order = Array.isArray(query.order) && query.order.length ? query.order : [["score", "desc"]];
    const keys = order.map((p) => {
      if (!Array.isArray(p) || typeof p[0] !== "string") throw new QueryError("Error in query parameters: order must be a list of [field, dir]");
      return [p[0], p[1] === "desc" ? "desc" : "asc"] as [string, "asc" | "desc"];
    });
    const limit = Math.min(MAX_OFFERS, Math.max(1, Math.floor(Number(query.limit ?? MAX_OFFERS)) || MAX_OFFERS));
    // The server filters `verified` on the tier and treats a null `external` as false.
    const rows = this.offers
      .filter((o) => !o.rented)
      .map((o) => priced(o, bid, storage))
      .filter((o) => rowMatches({ ...o, datacenter: o.hosting_type === 1, verified: o.verification === "verified", external: o.external === true }, filters));
    rows.sort(comparator(keys));
    return rows.slice(0, limit);
  }

  /** A rentable offer still on the market. */
  available(id: number): Offer | undefined {
    const o = this.offers.find((x) => x.id === id);
    return !o || o.rented || !o.rentable ? undefined : o;
  }

  /** Rented offers leave the market ("each offer ID can only be used to create one instance"). */
  take(id: number): void {
    const o = this.offers.find((x) => x.id === id);
    if (o) o.rented = true;
  }

  /** When a machine is free again it comes back under a new ask id. */
  relist(id: number): void {
    const o = this.offers.find((x) => x.id === id);
    if (!o || !o.rented) return;
    const copy = { ...o, id: this.nextId, ask_contract_id: this.nextId, rented: false };
    this.nextId += 1;
    this.offers.push(copy);
  }
}
