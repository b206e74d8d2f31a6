// Every figure in the README and the docs names where it comes from (issue 22 item 2).
//
// Heuristics (deliberately simple; a false alarm is fixed by naming the source, not by a cleverer regex):
// - Files: README.md, docs/*.md, toolchain/README.md, toolchain/conformance/README.md, emulator/README.md, components/*/README.md.
// - Section: a Markdown heading (a line of 1-6 `#` and a space, outside ``` fences) and the text up to
//   the next heading of any level. Fenced blocks count as text of their section (printed results are figures).
// - Figure: a number followed by a unit — time (ms, s, min, h, seconds, minutes, hours, days), a ratio
//   glued to `×`/`x` (1.4×), %, a size (KB, MB, GB, KiB, MiB, GiB), Mb/s, req/s, pairs/s, a count of
//   tests/calls/requests/rents — or a $ amount. A number glued to a word or a dot (p95 s, cu129, v0.30) is not.
// - Source: a command that prints figures (npm run/test, npx vitest, node tools|emulator/…, bash .ci/run,
//   scripts/*.sh, toolchain/conformance/run.sh, /usr/bin/time, du -s, wc -l, vllm bench, NODE_OPTIONS=…, pulumi … -v=9); a test file
//   (tests/…); a cited document (a .md file, §N, the recordings in vast-recorded or shared/reference, a
//   URL, a citation key of a Sources list such as [cli] or [kio]); or the code file that sets a default
//   or limit (components/…, emulator/…, tools/…, scripts/…, a .ts/.py/.go file, Pulumi.yaml, versions.env).
// Rules, per section that holds a figure:
//   1. it names a source;
//   2. if it says a figure was measured (measured, median, p50/p95/p99, took, wall time, load average or
//      "at load" followed by a number in the same clause; N req/s), it names a date (YYYY-MM-DD) and the
//      command or test file that measured it, or cites the recording / third party it quotes;
//   3. if it reports the tailed-market simulation (market.ts, --market-only, --replay), it says "simulated".
// A source named anywhere in the section counts (keep sections with figures short), so the rules are
// a floor, not a proof: a reviewer still reads each figure.
// ALLOWED lists the few sections of facts and defaults that hold figures but name no source; an entry
// that matches no section (or no longer needs to be listed) fails too, so the list cannot go stale.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = new URL("../..", import.meta.url).pathname;

const DOC_FILES = [
  "README.md",
  ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`),
  "toolchain/README.md",
  "toolchain/conformance/README.md",
  "emulator/README.md",
  ...readdirSync(join(ROOT, "components"), { withFileTypes: true })
    .filter((d) => d.isDirectory() && readdirSync(join(ROOT, "components", d.name)).includes("README.md"))
    .map((d) => `components/${d.name}/README.md`).sort(),
];

/**
 * Sections of facts and defaults (no measurement) that hold figures and name no source. Keep it short.
 * Empty today: every such section names the code that sets its defaults or the document it quotes.
 */
const ALLOWED: Array<{ file: string; heading: string; why: string }> = [];

const FIGURE = new RegExp(
  String.raw`\$\s?\d|(?<![\w.])\d+(?:[.,]\d+)?(?:[×x](?![\w])|\s?(?:ms|s|sec|seconds?|min|minutes?|h|hours?|days?|%|[KMGT]i?B|Mb/s|MB/s|req/s|pairs/s|tests|calls|requests|rents)(?![\w]))`,
  "g",
);
const COMMAND = /npm (?:run|test)\b|npx (?:vitest|tsc|eslint)\b|\bnode (?:tools|emulator|components|scripts)\/|bash (?:\.ci\/run|scripts\/)|\b(?:scripts|toolchain\/conformance)\/[\w-]+\.sh|\/usr\/bin\/time|\bdu -s|\bwc -l|vllm bench|NODE_OPTIONS=|pulumi [a-z]+ [^`\n]*-v=9/;
const TEST_FILE = /\btests\/[\w./*-]+/;
const CITED = /vast-recorded|shared\/reference|reference §|https?:\/\/|\[(?:cli|docs|sky|dstack|gpuhunt|TF|kio|hf)\b[^\]]*\](?!\()/;
const DOC = /[\w-]+\.md\b|§\s?\d/;
const CODE = /\b(?:components|emulator|tools|toolchain|scripts|examples)\/[\w./-]+|\b[\w-]+\.(?:ts|py|go|sh)\b|Pulumi\.yaml|versions\.env/;
// A measurement word with a number after it in the same clause (so "p50/p95/p99" as a column name is not one).
const MEASURED = /(?:\b(?:measured|medians?|p50|p95|p99|took|wall time|load average|at load)\b|load ≈)[^.;\n]{0,30}?(?<![\w.])\d|\d\s?req\/s/i;
const DATE = /\b20\d\d-\d\d-\d\d\b/;
const SIMULATION = /market\.ts|--market-only|--replay\b/;

interface Section { file: string; heading: string; line: number; text: string }

/** Cuts a Markdown file into sections at its headings (not at `#` lines inside ``` fences). */
function sections(file: string, markdown: string): Section[] {
  const out: Section[] = [];
  let current: Section = { file, heading: "(top)", line: 1, text: "" };
  let fenced = false;
  markdown.split("\n").forEach((line, i) => {
    if (/^\s*```/.test(line)) fenced = !fenced;
    if (!fenced && /^#{1,6} /.test(line)) {
      out.push(current);
      current = { file, heading: line.trim(), line: i + 1, text: "" };
    } else current.text += `${line}\n`;
  });
  out.push(current);
  return out.filter((s) => s.text.trim() || s.heading !== "(top)");
}

const figuresIn = (text: string): string[] => [...text.matchAll(FIGURE)].map((m) => m[0]);

/** What is wrong with one section, by the rules at the top; [] when nothing is. */
function problems(s: Section): string[] {
  const text = `${s.heading}\n${s.text}`;
  const figures = figuresIn(text);
  if (!figures.length) return [];
  const shown = figures.slice(0, 4).join(", ");
  const out: string[] = [];
  if (![COMMAND, TEST_FILE, CITED, DOC, CODE].some((re) => re.test(text))) out.push(`figures (${shown}) but no source: name the command, test file, cited document or code file`);
  const measured = MEASURED.exec(text);
  if (measured && !CITED.test(text) && !(DATE.test(text) && (COMMAND.test(text) || TEST_FILE.test(text)))) {
    const clause = text.slice(measured.index, measured.index + 50).split("\n")[0];
    out.push(`measured figures ("${clause}…") need the command or test file that measured them and a date (YYYY-MM-DD)`);
  }
  if (SIMULATION.test(text) && !/simulated/i.test(text)) out.push(`figures of the tailed-market simulation (${shown}) must say "simulated"`);
  return out;
}

describe("the checker", () => {
  const section = (text: string, heading = "## Lag"): Section => ({ file: "x.md", heading, line: 1, text });

  it("finds figures and leaves numbers without a unit, versions and identifiers alone", () => {
    expect(figuresIn("median 0.815 s, 1.65×, 0.62x, 15 %, $0.01/h, 6.3 GB, 246.4 req/s, 528 tests, 9 calls")).toEqual(
      ["0.815 s", "1.65×", "0.62x", "15 %", "$0", "6.3 GB", "246.4 req/s", "528 tests", "9 calls"]);
    expect(figuresIn("vLLM 0.30.0, -cu129, p95 s, 1..5 replicas, issue 19, §12, `--pairs 3`, 0x1f")).toEqual([]);
  });

  it("fails a section whose figure names no source, and passes it once the command is named", () => {
    const bare = section("The lag was 0.815 s.\n");
    expect(problems(bare)).toEqual([expect.stringMatching(/no source/)]);
    expect(problems(section("The lag was 0.815 s (`npm run bench -- --lag-only`, 2026-12-07).\n"))).toEqual([]);
  });

  it("wants a date and a command (or a citation) for a measured figure; a code file is not enough", () => {
    expect(problems(section("Median 0.815 s (components/readiness/run.ts).\n"))).toEqual([expect.stringMatching(/date/)]);
    expect(problems(section("Median 0.815 s on 2026-12-07.\n"))).toEqual([expect.stringMatching(/no source/), expect.stringMatching(/date/)]);
    expect(problems(section("It reports p50/p95/p99. Retries after 30 s (components/client/failover.ts).\n"))).toEqual([]);
    expect(problems(section("Median 0.815 s, `npm run bench -- --lag-only --runs 5` on 2026-12-07.\n"))).toEqual([]);
    expect(problems(section("A third party measured ~68 s [kio].\n"))).toEqual([]);
  });

  it("accepts a default or limit named with the code that sets it", () => {
    expect(problems(section("Polls every 2.1 s (`INSTANCE_POLL_FLOOR_MS`, components/vast/api/client.ts).\n"))).toEqual([]);
  });

  it("wants the market simulation's figures marked as simulated", () => {
    const text = "`npm run bench -- --market-only` on 2026-12-07: p95 626 s";
    expect(problems(section(`${text}.\n`))).toEqual([expect.stringMatching(/simulated/)]);
    expect(problems(section(`${text} (simulated).\n`))).toEqual([]);
  });

  it("cuts sections at headings but not at # lines inside a code fence", () => {
    const s = sections("x.md", "# A\ntext 1 s\n```bash\n# a comment\nnpm run bench\n```\n## B\nmore\n");
    expect(s.map((x) => x.heading)).toEqual(["# A", "## B"]);
    expect(problems(s[0])).toEqual([]);
  });
});

describe("README and docs: every figure names its source", () => {
  const all = DOC_FILES.flatMap((f) => sections(f, readFileSync(join(ROOT, f), "utf8")));
  const allowed = (s: Section) => ALLOWED.some((a) => a.file === s.file && a.heading === s.heading);

  it("scans every file of the issue", () => {
    expect(DOC_FILES).toEqual(expect.arrayContaining(["README.md", "docs/benchmarks.md", "docs/testing.md", "toolchain/README.md", "emulator/README.md", "components/dynamic/README.md"]));
  });

  it.each(DOC_FILES)("%s", (file) => {
    const found = all.filter((s) => s.file === file && !allowed(s)).flatMap((s) => problems(s).map((p) => `${s.file}:${s.line} ${s.heading}: ${p}`));
    expect(found).toEqual([]);
  });

  it("the allow-list names existing sections that need it", () => {
    for (const a of ALLOWED) {
      const s = all.find((x) => x.file === a.file && x.heading === a.heading);
      expect(s, `${a.file} ${a.heading}`).toBeDefined();
      expect(problems(s as Section), `${a.file} ${a.heading} needs no allow-list entry`).not.toEqual([]);
    }
  });
});
