// Offer search query: the official CLI's filter language (vast-cli `vastai/api/query.py parse_query`,
// see docs/vast-api.md §2.3) plus typed config fields that compose with it.
// Pure: no I/O, only type imports.
import type { FieldFilter, OfferQuery, QueryOp } from "../api/types.ts";

const EXPECTED = "expected <field> <op> <value> with op one of = != > >= < <= in notin";

/** A filter string the CLI would refuse (or that we refuse because the CLI would silently misread it). */
export class FilterSyntaxError extends Error {
  readonly token: string;
  constructor(token: string, reason: string) {
    const message = `bad filter token ${JSON.stringify(token)}: ${reason}; ${EXPECTED}`;
    super(message);
    this.name = "FilterSyntaxError";
    this.token = token;
  }
}

// The CLI's term regex, anchored (sticky) so a gap between terms is an error at the exact spot,
// which is what the CLI's "Unconsumed text" check amounts to.
const TERM_SOURCE = String.raw`([a-zA-Z0-9_]+)( *[=><!]+| +(?:[lg]te?|nin|neq|eq|not ?eq|not ?in|in) )?( *)(\[[^\]]+\]|"[^"]+"|[^ ]+)?( *)`;

const OPS: Record<string, QueryOp> = {
  ">=": "gte", ">": "gt", gt: "gt", gte: "gte", "<=": "lte", "<": "lt", lt: "lt", lte: "lte",
  "!=": "neq", "==": "eq", "=": "eq", eq: "eq", neq: "neq", noteq: "neq", "not eq": "neq",
  notin: "notin", "not in": "notin", nin: "notin", in: "in",
};

/** CLI `offers_alias`; `reliability` is deliberately NOT aliased to reliability2 (the CLI comments it out). */
const FIELD_ALIASES: Record<string, string> = {
  cuda_vers: "cuda_max_good", display_active: "gpu_display_active", dlperf_usd: "dlperf_per_dphtotal",
  dph: "dph_total", flops_usd: "flops_per_dphtotal",
};

/** CLI `offers_mult`: the CLI takes GB and days, the API wants MB and seconds; sent as floats. */
const MULTIPLIERS: Record<string, number> = { cpu_ram: 1000, gpu_ram: 1000, gpu_total_ram: 1000, duration: 86400 };

// CLI `offers_fields` plus documented/returned columns (reliability2, score, ...). Only used to catch
// near-miss typos: unknown names far from all of these are still sent, as the CLI does.
export const KNOWN_FIELDS: readonly string[] = ("bw_nvlink compute_cap cpu_arch cpu_cores cpu_cores_effective cpu_ghz cpu_ram cuda_max_good datacenter " +
    "direct_port_count driver_version driver_vers disk_bw disk_space disk_name dlperf dlperf_per_dphtotal dph_total " +
    "dph_base duration external flops_per_dphtotal gpu_arch gpu_display_active gpu_frac gpu_mem_bw gpu_name gpu_ram " +
    "gpu_total_ram gpu_max_power gpu_max_temp gpu_lanes has_avx host_id id ask_contract_id bundle_id hosting_type " +
    "hostname inet_down inet_down_cost inet_up inet_up_cost machine_id min_bid mobo_name num_gpus pci_gen pcie_bw " +
    "reliability reliability2 rentable rented score storage_cost static_ip total_flops ubuntu_version os_version " +
  "verification verified vms_enabled geolocation cluster_id cpu_name public_ipaddr " +
  Object.keys(FIELD_ALIASES).join(" ")).split(" ");

/** Top-level keys of the search body; a filter term with one of these names is overwritten (CLI behaviour). */
export const TOP_LEVEL_KEYS: readonly string[] = ["order", "type", "limit", "allocated_storage", "disable_bundling"];

/** Defaults the CLI adds unless `--no-default`; a filter term `<field>=any` removes one. */
const DEFAULT_FILTERS: Readonly<Record<string, FieldFilter>> = {
  verified: { eq: true }, external: { eq: false }, rentable: { eq: true }, rented: { eq: false },
};
export const DEFAULT_LIMIT = 64;

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const WILDCARDS: readonly string[] = ["?", "*", "any"];

/** Python `str.strip(chars)`. */
function stripChars(s: string, chars: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && chars.includes(s[a]!)) a++;
  while (b > a && chars.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

/** Own-key lookup: a field named like an Object.prototype member must not hit the prototype. */
function own<T>(rec: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(rec, key) ? rec[key] : undefined;
}

function count(s: string, ch: string): number {
  return s.split(ch).length - 1;
}

/** CLI `numeric_version`: "535.86.05" → 535086005 (each part zero-padded to 3 digits). */
export function numericVersion(v: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v);
  return m ? Number(m[1]!.padStart(3, "0") + m[2]!.padStart(3, "0") + m[3]!.padStart(3, "0")) : undefined;
}

/** Own-property lookup, so field names like `constructor` never reach Object.prototype. */
function ownFilter(res: Record<string, FieldFilter>, field: string): FieldFilter {
  if (!Object.hasOwn(res, field)) res[field] = {};
  return res[field]!;
}

/**
 * Apply a filter string to `res` in place with the CLI's exact semantics: terms merge into
 * whatever `res` already holds (defaults included), later terms overwrite the same op, and a
 * wildcard deletes the field. Whitespace other than spaces (YAML folding) counts as a space.
 */
function applyFilter(res: Record<string, FieldFilter>, filter: string, onRemove?: (field: string) => void): void {
  const s = filter.replace(/[\t\r\n]/g, " ").trim();
  const term = new RegExp(TERM_SOURCE, "y");
  let pos = 0;
  while (pos < s.length) {
    term.lastIndex = pos;
    const m = term.exec(s);
    if (!m) {
      const tok = s.slice(pos).split(" ")[0]!;
      throw new FilterSyntaxError(tok, "a term must start with a field name (letters, digits, _)");
    }
    pos = term.lastIndex;
    const token = m[0].trim();
    const rawField = m[1]!;
    const op = (m[2] ?? "").trim();
    const raw = m[4] ?? "";
    if (!op && !raw) throw new FilterSyntaxError(token, `missing operator and value after "${rawField}"`);
    if (!op) throw new FilterSyntaxError(token, "missing operator (keywords like in/notin need spaces around them)");
    const opName = own(OPS, op);
    if (!opName) throw new FilterSyntaxError(token, `unknown operator "${op}"`);
    if (!raw) throw new FilterSyntaxError(token, "missing value");
    if (count(raw, "[") !== count(raw, "]")) throw new FilterSyntaxError(token, "unbalanced brackets in list");
    if (count(raw, '"') % 2 === 1) throw new FilterSyntaxError(token, "unbalanced double quote");
    if (/^'/.test(raw) && !/^'.*'$/.test(raw)) throw new FilterSyntaxError(token, "only double quotes group words");
    const field = own(FIELD_ALIASES, rawField) ?? rawField;
    if (field === "__proto__") throw new FilterSyntaxError(token, "reserved field name");

    const mult = own(MULTIPLIERS, field);
    const stripped = stripChars(raw, ",[]");
    const isList = opName === "in" || opName === "notin";
    let value: FieldFilter[QueryOp];
    if (isList) {
      if (field === "driver_version" && stripped.includes(".")) {
        throw new FilterSyntaxError(token, "driver_version in/notin cannot take dotted versions; use >= and <=");
      }
      const items = stripped.split(",").map((x) => x.trim()).filter((x) => x !== "");
      if (items.length === 0) throw new FilterSyntaxError(token, "empty list");
      if (mult !== undefined) throw new FilterSyntaxError(token, `${field} takes a number, not a list`);
      value = items.map((x) => stripChars(x.replace(/_/g, " "), '"'));
    } else {
      if (stripped === "") throw new FilterSyntaxError(token, "missing value");
      if (WILDCARDS.includes(stripped)) {
        if (opName !== "eq") throw new FilterSyntaxError(token, "wildcards any/*/? only work with =");
        delete res[field];
        onRemove?.(field);
        continue;
      }
      if (field === "driver_version" && stripped.includes(".")) {
        const n = numericVersion(stripped);
        if (n === undefined) throw new FilterSyntaxError(token, "driver_version must look like 535.86.05");
        ownFilter(res, field)[opName] = n;
        continue;
      }
      const str = stripChars(stripped.replace(/_/g, " "), '"');
      if (mult !== undefined) {
        if (!NUMBER.test(str)) throw new FilterSyntaxError(token, `${field} takes a number`);
        value = Number(str) * mult;
      } else if (str === "true" || str === "True") value = true;
      else if (str === "false" || str === "False") value = false;
      else if (str === "None" || str === "null") value = null;
      else value = str;
    }
    ownFilter(res, field)[opName] = value;
  }
}

/**
 * Parse a CLI filter string into field filters (no defaults). A field removed with `=any`/`*`/`?`
 * (and not set again later) comes back as the empty filter `{}`: the marker that drops the field,
 * defaults included, when the query is built.
 */
export function parseFilter(filter: string): Record<string, FieldFilter> {
  const res: Record<string, FieldFilter> = {};
  const removed: string[] = [];
  applyFilter(res, filter, (f) => removed.push(f));
  for (const f of removed) if (!Object.hasOwn(res, f)) res[f] = {};
  return res;
}

export interface OfferSelection {
  filter?: string;
  gpuRamGb?: number;
  gpuNames?: string[];
  minReliability?: number;
  maxPricePerHour?: number;
  minCudaVersion?: number;
  regions?: string[];
  offerType?: "on-demand" | "interruptible";
  bidPricePerHour?: number;
  diskGb: number;
  /** Offer order (offerRanking.ts): price, speed (expected time to ready), balanced (both), or dlperf_per_dollar. */
  rankBy?: RankBy;
  limit?: number;
}

export const RANK_BY = ["balanced", "speed", "price", "dlperf_per_dollar"] as const;
export type RankBy = (typeof RANK_BY)[number];

export function asNumber(v: unknown): number {
  return typeof v === "number" ? v : typeof v === "string" && NUMBER.test(v.trim()) ? Number(v) : NaN;
}

/**
 * Add a typed bound to a field, keeping the stricter one when the filter already set the same op:
 * gt/gte keep the larger, lt/lte the smaller, `in` intersects, `notin` unions. Different ops on
 * one field (e.g. filter `dph < 0.5` and a typed `lte 0.4`) are both kept: the server ANDs them.
 */
function tighten(q: Record<string, FieldFilter>, field: string, op: QueryOp, value: number | Array<string | number>): void {
  const f = ownFilter(q, field);
  const cur = f[op];
  if (cur === undefined || cur === null || typeof cur === "boolean") {
    f[op] = value;
    return;
  }
  if (Array.isArray(value)) {
    const curList = Array.isArray(cur) ? cur : [cur];
    const key = (x: string | number): string => String(x);
    if (op === "in") {
      const typed = new Set(value.map(key));
      f[op] = curList.filter((x) => typed.has(key(x)));
    } else {
      const seen = new Set(curList.map(key));
      f[op] = [...curList, ...value.filter((x) => !seen.has(key(x)))];
    }
    return;
  }
  const c = asNumber(cur);
  if (Number.isNaN(c)) f[op] = value;
  else if (op === "gt" || op === "gte") f[op] = c >= value ? cur : value;
  else if (op === "lt" || op === "lte") f[op] = c <= value ? cur : value;
  else f[op] = value;
}

/** The POST /bundles/ body for a selection; throws FilterSyntaxError on a bad filter string. */
export function buildOfferQuery(sel: OfferSelection, excludedMachineIds: number[] = []): OfferQuery {
  const q: Record<string, FieldFilter> = JSON.parse(JSON.stringify(DEFAULT_FILTERS));
  if (sel.filter) applyFilter(q, sel.filter);
  for (const k of TOP_LEVEL_KEYS) delete q[k]; // overwritten by the real top-level keys, as in the CLI
  const interruptible = sel.offerType === "interruptible";
  if (sel.gpuRamGb !== undefined) tighten(q, "gpu_ram", "gte", sel.gpuRamGb * 1000);
  if (sel.gpuNames?.length) tighten(q, "gpu_name", "in", sel.gpuNames.map((n) => n.replace(/_/g, " ").trim()));
  if (sel.minReliability !== undefined) tighten(q, "reliability2", "gte", sel.minReliability);
  if (sel.maxPricePerHour !== undefined) tighten(q, "dph_total", "lte", sel.maxPricePerHour);
  if (sel.minCudaVersion !== undefined) tighten(q, "cuda_max_good", "gte", sel.minCudaVersion);
  if (sel.regions?.length) tighten(q, "geolocation", "in", sel.regions.map((r) => r.trim().toUpperCase()));
  // A bid below the host's minimum is refused, so do not even fetch such offers.
  if (interruptible && sel.bidPricePerHour !== undefined) tighten(q, "min_bid", "lte", sel.bidPricePerHour);
  tighten(q, "disk_space", "gte", sel.diskGb);
  if (excludedMachineIds.length) tighten(q, "machine_id", "notin", [...excludedMachineIds]);
  return {
    ...q,
    // speed: fetch the best-connected hosts; balanced and price: the cheapest (re-ranked client-side).
    order: sel.rankBy === "dlperf_per_dollar" ? [["dlperf_per_dphtotal", "desc"]] : sel.rankBy === "speed" ? [["inet_down", "desc"]] : [["dph_total", "asc"]],
    type: interruptible ? "bid" : "on-demand",
    limit: sel.limit ?? DEFAULT_LIMIT,
    allocated_storage: sel.diskGb,
  };
}

