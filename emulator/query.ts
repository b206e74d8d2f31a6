// The Vast query language (docs/vast-api.md §2.2, §2.3, §8.11), shared by offer search and the v1 list.
// Values may be numbers or numeric strings (the CLI sends "750"); comparisons follow the row's type.

export const OPS = ["eq", "neq", "gt", "gte", "lt", "lte", "in", "notin"] as const;
type Op = (typeof OPS)[number];
// The CLI maps these before sending; accepting them costs nothing.
const OP_ALIASES: Record<string, Op> = { nin: "notin", "not in": "notin", noteq: "neq", ne: "neq" };

export class QueryError extends Error {}

function toBool(v: unknown): boolean | null {
  if (typeof v === "boolean") return v;
  if (v === 1 || v === "1" || v === "true" || v === "True") return true;
  if (v === 0 || v === "0" || v === "false" || v === "False") return false;
  return null;
}

function toNum(v: unknown): number | null {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return null;
}

/** Two-letter country code at the end of "Washington, US" / "Poland, PL" / "US". */
export function countryCode(geo: string): string {
  const m = /([A-Za-z]{2})\s*$/.exec(geo);
  return m ? m[1].toUpperCase() : "";
}

function strEq(field: string, row: string, want: unknown): boolean {
  if (want === null || want === undefined) return false;
  const w = String(want).replace(/_/g, " "); // the CLI turns RTX_4090 into "RTX 4090"; be lenient
  if (field === "geolocation" && /^[A-Za-z]{2}$/.test(w.trim())) return countryCode(row) === w.trim().toUpperCase();
  return row === w || row === String(want);
}

function eq(field: string, row: unknown, want: unknown): boolean {
  if (row === null || row === undefined) return want === null || want === "null" || want === "None";
  if (want === null) return false;
  if (typeof row === "boolean") return toBool(want) === row;
  if (typeof row === "number") {
    const n = toNum(want);
    return n !== null && n === row;
  }
  return strEq(field, String(row), want);
}

function order(row: unknown, want: unknown): number | null {
  if (row === null || row === undefined || want === null || want === undefined) return null;
  if (typeof row === "number" || typeof row === "boolean") {
    const a = toNum(row);
    const b = toNum(want);
    return a === null || b === null ? null : a - b;
  }
  const s = String(row);
  const w = String(want);
  return s < w ? -1 : s > w ? 1 : 0;
}

function list(want: unknown, op: string): unknown[] {
  if (Array.isArray(want)) return want;
  if (typeof want === "string") return want.replace(/^\[|\]$/g, "").split(",").map((s) => s.trim());
  throw new QueryError(`Error in query parameters: ${op} expects a list`);
}

function test(field: string, row: unknown, op: Op, want: unknown): boolean {
  switch (op) {
    case "eq":
      return eq(field, row, want);
    case "neq":
      return !eq(field, row, want);
    case "in":
      return list(want, op).some((w) => eq(field, row, w));
    case "notin":
      return !list(want, op).some((w) => eq(field, row, w));
    default: {
      const c = order(row, want);
      if (c === null) return false;
      return op === "gt" ? c > 0 : op === "gte" ? c >= 0 : op === "lt" ? c < 0 : c <= 0;
    }
  }
}

/** Normalize one field's filter: `{gte: 1}`, or a bare value meaning eq. */
export function filterOps(field: string, filter: unknown): Array<[Op, unknown]> {
  if (filter === null || typeof filter !== "object" || Array.isArray(filter)) return [["eq", filter]];
  const out: Array<[Op, unknown]> = [];
  for (const [k, v] of Object.entries(filter as Record<string, unknown>)) {
    const op = (OPS as readonly string[]).includes(k) ? (k as Op) : OP_ALIASES[k];
    if (!op) throw new QueryError(`Error in query parameters: unknown operator ${k} for ${field}`);
    out.push([op, v]);
  }
  return out;
}

export function rowMatches(row: Record<string, unknown>, filters: Record<string, unknown>): boolean {
  for (const [field, filter] of Object.entries(filters)) {
    for (const [op, want] of filterOps(field, filter)) {
      if (!test(field, row[field], op, want)) return false;
    }
  }
  return true;
}

/** Sort comparator over `[field, dir]` pairs; nulls last; `id` ascending as the final tie-breaker. */
export function comparator(keys: Array<[string, "asc" | "desc"]>) {
  return (a: Record<string, unknown>, b: Record<string, unknown>): number => {
    for (const [field, dir] of [...keys, ["id", "asc"] as [string, "asc"]]) {
      const x = a[field];
      const y = b[field];
      if (x === y) continue;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      const c = typeof x === "number" && typeof y === "number" ? x - y : String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
      if (c !== 0) return dir === "desc" ? -c : c;
    }
    return 0;
  };
}
