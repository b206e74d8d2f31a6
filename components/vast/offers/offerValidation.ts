// Config-level validation of an OfferSelection: every problem named by its key, before any paid call.
import type { FieldFilter } from "../api/types.ts";
import { DEFAULT_LIMIT, FilterSyntaxError, RANK_BY, KNOWN_FIELDS, TOP_LEVEL_KEYS, asNumber, parseFilter, type OfferSelection } from "./offerQuery.ts";

/** Known field closest to `name` by edit distance (with transpositions), if it is a likely typo. */
function suggestField(name: string): string | undefined {
  if (KNOWN_FIELDS.includes(name)) return undefined;
  let best: string | undefined;
  let bestD = name.length <= 5 ? 2 : 3; // allow 1 edit for short names, 2 otherwise
  for (const k of KNOWN_FIELDS) {
    const d = editDistance(name, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

export interface SelectionError {
  property: string;
  reason: string;
}

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** Heuristics on the parsed filter: values the CLI would send but that cannot be what was meant. */
function filterValueErrors(parsed: Record<string, FieldFilter>): string[] {
  const out: string[] = [];
  for (const [field, f] of Object.entries(parsed)) {
    if (TOP_LEVEL_KEYS.includes(field)) out.push(`"${field}" is a search option, not a filter field: use the typed config (offerType, rankBy, limit, diskGb)`);
    const hint = suggestField(field);
    if (hint) out.push(`unknown field "${field}": did you mean "${hint}"?`);
    for (const [op, v] of Object.entries(f)) {
      const n = asNumber(v);
      if (Number.isNaN(n)) continue;
      if (field === "gpu_ram" && n > 300_000) out.push(`gpu_ram ${op} ${n / 1000} asks for ${n / 1000} GB per GPU: the filter takes GB (the CLI multiplies by 1000), e.g. gpu_ram >= 16`);
      if (field === "compute_cap" && n > 0 && n < 100) out.push(`compute_cap is capability x 100: write compute_cap >= ${Math.round(n * 100)} for ${n}`);
      if ((field === "reliability" || field === "reliability2") && n > 1) out.push(`${field} is a 0..1 score (got ${n}): e.g. ${field} > 0.98`);
    }
  }
  return out;
}

/**
 * Config errors found before any paid call, each naming the config key and the fix.
 * Unknown filter fields are accepted as the CLI does, except near-misses of a known field
 * (`gpu_rma`): a typo there would silently drop a constraint and rent the wrong GPU.
 */
export function validateOfferSelection(sel: OfferSelection): SelectionError[] {
  const errs: SelectionError[] = [];
  const err = (property: string, reason: string): void => void errs.push({ property, reason });
  let parsed: Record<string, FieldFilter> = {};
  if (sel.filter !== undefined) {
    if (typeof sel.filter !== "string") err("filter", `filter must be a CLI filter string, e.g. "gpu_ram >= 16 num_gpus = 1"`);
    else {
      try {
        parsed = parseFilter(sel.filter);
        for (const r of filterValueErrors(parsed)) err("filter", r);
      } catch (e) {
        if (!(e instanceof FilterSyntaxError)) throw e;
        err("filter", e.message);
      }
    }
  }
  if (sel.gpuRamGb !== undefined) {
    if (!finite(sel.gpuRamGb) || sel.gpuRamGb <= 0) err("gpuRamGb", `gpuRamGb must be a positive number of GB (got ${sel.gpuRamGb}), e.g. 16`);
    else if (sel.gpuRamGb > 300) err("gpuRamGb", `gpuRamGb is in GB (got ${sel.gpuRamGb}, which looks like MB): write ${Math.round(sel.gpuRamGb / 1000) || 1} for ${sel.gpuRamGb} MB`);
  }
  const listOf = (property: string, v: unknown, example: string): string[] | undefined => {
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== "string" || x.trim() === "")) {
      err(property, `${property} must be a non-empty list of strings, e.g. ${example}; omit it to allow any`);
      return undefined;
    }
    return v as string[];
  };
  const names = listOf("gpuNames", sel.gpuNames, `["RTX 4090", "RTX_3090"]`);
  const filterNames = parsed.gpu_name?.in;
  if (names && Array.isArray(filterNames)) {
    const typed = new Set(names.map((n) => n.replace(/_/g, " ").trim()));
    if (!filterNames.some((n) => typed.has(String(n)))) err("gpuNames", `gpuNames and the filter's gpu_name in [...] have no GPU in common: no offer could match`);
  }
  if (sel.minReliability !== undefined) {
    if (!finite(sel.minReliability) || sel.minReliability < 0 || sel.minReliability > 1) {
      const pct = finite(sel.minReliability) && sel.minReliability > 1 && sel.minReliability <= 100;
      err("minReliability", `minReliability must be within 0..1 (got ${sel.minReliability})${pct ? `: write ${sel.minReliability / 100} for ${sel.minReliability}%` : ", e.g. 0.98"}`);
    }
  }
  if (sel.maxPricePerHour !== undefined && (!finite(sel.maxPricePerHour) || sel.maxPricePerHour <= 0)) {
    err("maxPricePerHour", `maxPricePerHour must be > 0 (got ${sel.maxPricePerHour}): set a positive $/h cap, e.g. 0.5`);
  }
  if (sel.minCudaVersion !== undefined) {
    if (!finite(sel.minCudaVersion) || sel.minCudaVersion <= 0) err("minCudaVersion", `minCudaVersion must be a positive CUDA version (got ${sel.minCudaVersion}), e.g. 12.1`);
    else if (sel.minCudaVersion >= 100) err("minCudaVersion", `minCudaVersion is a CUDA version like 12.1 (got ${sel.minCudaVersion}; compute capability goes in the filter as compute_cap)`);
  }
  const regions = listOf("regions", sel.regions, `["US", "PL"]`);
  for (const r of regions ?? []) {
    if (!/^[A-Za-z]{2}$/.test(r.trim())) err("regions", `regions takes 2-letter country codes (got "${r}"), e.g. ["US", "PL"]`);
  }
  const filterGeo = parsed.geolocation?.in;
  if (regions && Array.isArray(filterGeo) && !filterGeo.some((g) => regions.some((r) => r.trim().toUpperCase() === String(g)))) {
    err("regions", "regions and the filter's geolocation in [...] have no country in common: no offer could match");
  }
  const type = sel.offerType;
  if (type !== undefined && type !== "on-demand" && type !== "interruptible") {
    err("offerType", `offerType must be "on-demand" or "interruptible" (got ${JSON.stringify(type)})`);
  }
  if (sel.bidPricePerHour !== undefined) {
    if (type !== "interruptible") err("bidPricePerHour", `bidPricePerHour only applies to interruptible offers: set offerType: "interruptible" or remove the bid`);
    if (!finite(sel.bidPricePerHour) || sel.bidPricePerHour < 0.001 || sel.bidPricePerHour > 128) {
      err("bidPricePerHour", `bidPricePerHour must be between 0.001 and 128 $/h (got ${sel.bidPricePerHour}); omit it to bid each offer's min_bid`);
    } else if (finite(sel.maxPricePerHour) && sel.bidPricePerHour > sel.maxPricePerHour) {
      err("bidPricePerHour", `bidPricePerHour ${sel.bidPricePerHour} is above maxPricePerHour ${sel.maxPricePerHour}: lower the bid or raise the cap`);
    }
  }
  if (!finite(sel.diskGb) || sel.diskGb < 8) err("diskGb", `diskGb must be at least 8 GB, the API minimum (got ${sel.diskGb}), e.g. 40 as in the guide`);
  if (sel.rankBy !== undefined && !(RANK_BY as readonly string[]).includes(sel.rankBy)) {
    err("rankBy", `rankBy must be one of ${RANK_BY.map((r) => `"${r}"`).join(", ")} (got ${JSON.stringify(sel.rankBy)})`);
  }
  if (sel.limit !== undefined && (!Number.isInteger(sel.limit) || sel.limit < 1 || sel.limit > 10000)) {
    err("limit", `limit must be an integer between 1 and 10000 (got ${sel.limit}), e.g. ${DEFAULT_LIMIT}`);
  }
  return errs;
}
