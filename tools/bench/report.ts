// Pure helpers of the benchmark (tools/bench/bench.ts): medians, interleaved ratios, API-call counts,
// target verdicts and the printed table. No I/O here, so tests/bench can check every number's math.

/** Median of the finite values (mean of the middle two for an even count); NaN when there are none. */
export function median(values: number[]): number {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export interface Pair {
  /** Wall time of the measured program (ms). */
  subject: number;
  /** Wall time of the baseline program in the same round (ms). */
  baseline: number;
}

export interface PairSummary {
  pairs: number;
  /** Median of the per-round ratios subject/baseline: robust against rounds where the machine was busy for both. */
  ratio: number;
  ratios: number[];
  subjectMedianMs: number;
  baselineMedianMs: number;
}

export function summarizePairs(pairs: Pair[]): PairSummary {
  const ratios = pairs.map((p) => p.subject / p.baseline);
  return {
    pairs: pairs.length,
    ratio: median(ratios),
    ratios,
    subjectMedianMs: median(pairs.map((p) => p.subject)),
    baselineMedianMs: median(pairs.map((p) => p.baseline)),
  };
}

/** Which program goes first in round `i`: alternating, so neither side always profits from a warm cache. */
export function subjectFirst(round: number): boolean {
  return round % 2 === 0;
}

/**
 * CPU seconds (user + system) of the children of a shell, from the output of its `times` builtin:
 * line 1 is the shell itself, line 2 its waited-for children, each "<user>m<s>s <sys>m<s>s".
 */
export function childCpuSeconds(timesOutput: string): number | undefined {
  const lines = timesOutput.trim().split("\n").filter((l) => /\d+m[\d.,]+s/.test(l));
  if (lines.length < 2) return undefined;
  const secs = [...lines[1].matchAll(/(\d+)m([\d.,]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2].replace(",", ".")));
  return secs.length === 2 ? secs[0] + secs[1] : undefined;
}

export type RouteCounts = Record<string, number>;

export function totalCalls(counts: RouteCounts): number {
  return Object.values(counts).reduce((n, c) => n + c, 0);
}

/** Only the Vast API routes (the emulator's admin routes are the benchmark's own bookkeeping). */
export function vastRoutes(counts: RouteCounts): RouteCounts {
  return Object.fromEntries(Object.entries(counts).filter(([route]) => !route.includes("/_emulator")).sort(([a], [b]) => a.localeCompare(b)));
}

/** "GET /api/v0/instances/:id ×20, PUT /api/v0/asks/:id ×1" */
export function formatRoutes(counts: RouteCounts): string {
  const entries = Object.entries(counts);
  return entries.length ? entries.map(([route, n]) => `${route} ×${n}`).join(", ") : "none";
}

export interface LagSample {
  /** When the benchmark first saw the stand-in's /health answer 200 (ms, performance clock). */
  healthyAt: number;
  /** When the `pulumi up` process exited (same clock). */
  upExitedAt: number;
}

/** Seconds from /health 200 to `pulumi up` exiting; negative would mean the deploy ended before the endpoint was healthy. */
export function lagSeconds(s: LagSample): number {
  return (s.upExitedAt - s.healthyAt) / 1000;
}

/** The probe's JSON report as printed on its stdout (the stack's `probeReport` output). */
export interface ProbeReport {
  ok: boolean;
  health?: { readyAfterMs?: number; polls?: number };
  latencyMs?: Record<string, number>;
}

/**
 * Time the probe spends after /health turned 200 (rerank, score, Cohere client, auth matrix), ms: its
 * `checks` wall time when reported (the checks run concurrently), else the sum of the step latencies.
 */
export function probeChecksMs(r: ProbeReport): number {
  const l = r.latencyMs ?? {};
  if (typeof l.checks === "number") return l.checks;
  return Object.entries(l).filter(([k]) => k !== "health").reduce((n, [, v]) => n + v, 0);
}

export type Comparison = "<=" | ">=";
/** A one-sided target, or a range (a ratio whose lower end says the measurement was noise, not a gain). */
export type Target = { cmp: Comparison; limit: number } | { min: number; max: number };

export interface Row {
  metric: string;
  value: string;
  target: string;
  /** undefined = informational row (no target). */
  pass?: boolean;
  detail?: string;
}

export function check(value: number, cmp: Comparison, limit: number): boolean {
  if (!Number.isFinite(value)) return false;
  return cmp === "<=" ? value <= limit : value >= limit;
}

/** Whether `value` meets `target`; a missing value (NaN) never does. */
export function meets(value: number, target: Target): boolean {
  return "cmp" in target ? check(value, target.cmp, target.limit) : check(value, ">=", target.min) && check(value, "<=", target.max);
}

/** "<= 1.25×", or for a range ">= 0.95× and <= 1.1×". */
export function targetText(target: Target, unit: string): string {
  return "cmp" in target ? `${target.cmp} ${target.limit}${unit}` : `>= ${target.min}${unit} and <= ${target.max}${unit}`;
}

export function row(metric: string, value: number, unit: string, digits: number, target?: Target, detail?: string): Row {
  const shown = Number.isFinite(value) ? `${value.toFixed(digits)}${unit}` : "n/a";
  return {
    metric,
    value: shown,
    target: target ? targetText(target, unit) : "",
    pass: target ? meets(value, target) : undefined,
    detail,
  };
}

/** A plain-text table: metric | value | target | ok, then each row's detail indented below it. */
export function formatTable(rows: Row[]): string {
  const head = ["metric", "value", "target", "ok"];
  const cells = rows.map((r) => [r.metric, r.value, r.target, r.pass === undefined ? "" : r.pass ? "yes" : "NO"]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i])).join("  ").trimEnd();
  const out = [line(head), widths.map((w) => "-".repeat(w)).join("  ")];
  rows.forEach((r, i) => {
    out.push(line(cells[i]));
    if (r.detail) out.push(`    ${r.detail}`);
  });
  return out.join("\n");
}

/** The same rows as a Markdown table (for docs/benchmarks.md). */
export function markdownTable(rows: Row[]): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  const out = ["| metric | value | target | ok |", "|---|---|---|---|"];
  for (const r of rows) out.push(`| ${esc(r.metric)}${r.detail ? `<br><sub>${esc(r.detail)}</sub>` : ""} | ${esc(r.value)} | ${esc(r.target)} | ${r.pass === undefined ? "" : r.pass ? "yes" : "**no**"} |`);
  return out.join("\n");
}
