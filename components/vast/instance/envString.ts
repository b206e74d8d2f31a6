// The official CLI's `--env` docker-options string → env dict (vastai 1.9.1 `vastai/utils.py parse_env`,
// see docs/vast-api.md §3.1). Reproduced exactly, quirks included, so a string copied from a guide
// gives the same instance as `vastai create instance --env ...`; and every token parse_env would drop
// without a word is reported (readEnvString), so the stack refuses it before any rent. The emulator
// reads env strings with its own, independent copy; tests/fixtures/env-string-cases.json holds the
// cases both are tested on, each checked against Vast's own parse_env. Pure: no I/O.

const FLAGS: readonly string[] = ["-e", "-p", "-h", "-v", "-n"];

/** Split on single spaces, except inside '...' or "..." spans; quote characters stay in the token. */
function smartSplit(s: string): string[] {
  const parts: string[] = [];
  let cur = "";
  let inSingle = false;
  let inDouble = false;
  for (const c of s) {
    if (c === " " && !inSingle && !inDouble) {
      parts.push(cur);
      cur = "";
      continue;
    }
    if (c === "'") inSingle = !inSingle;
    else if (c === '"') inDouble = !inDouble;
    cur += c;
  }
  parts.push(cur);
  return parts;
}

/** Whether smartSplit ends inside a quote (the string's tail was swallowed into one token). */
function quotesLeftOpen(s: string): boolean {
  let inSingle = false;
  let inDouble = false;
  for (const c of s) {
    if (c === "'") inSingle = !inSingle;
    else if (c === '"') inDouble = !inDouble;
  }
  return inSingle || inDouble;
}

/** Python `str.strip("'\"")`. */
function stripQuotes(s: string): string {
  return s.replace(/^['"]+/, "").replace(/['"]+$/, "");
}

/**
 * Parse a docker-options string the way the CLI does:
 * - `-p X` → `{"-p X": "1"}` if X only uses `0-9 : t c p / u d` (note: an empty X passes, as in the CLI);
 * - `-e K=V` → `{K: V}` with V = everything after the first `=`, surrounding quotes stripped;
 *   a `-e` token without `=` is dropped;
 * - `-v X` (`[A-Za-z0-9:./_]`) and `-n X` (`[a-z0-9-]`) → `{"-v X": "1"}` / `{"-n X": "1"}`;
 * - `-h X` → `{"-h": X}`;
 * - anything else is ignored, and a flag always consumes the next token, so a double space after a
 *   flag (`"-e  K=V"`) makes it consume the empty token and the pair is lost.
 */
export function parseEnvString(env: string): Record<string, string> {
  // A Map then Object.fromEntries, so a key like `__proto__` becomes a plain own property.
  const out = new Map<string, string>();
  let prev: string | null = null;
  for (const tok of smartSplit(env)) {
    if (prev === null) {
      if (FLAGS.includes(tok)) prev = tok;
      continue;
    }
    if (prev === "-p") {
      if (/^[0-9:tcp/ud]*$/.test(tok)) out.set(`-p ${tok}`, "1");
    } else if (prev === "-e") {
      const i = tok.indexOf("=");
      if (i >= 0) out.set(tok.slice(0, i), stripQuotes(tok.slice(i + 1)));
    } else if (prev === "-v") {
      if (/^[A-Za-z0-9:./_]*$/.test(tok)) out.set(`-v ${tok}`, "1");
    } else if (prev === "-n") {
      if (/^[a-z0-9-]*$/.test(tok)) out.set(`-n ${tok}`, "1");
    } else {
      out.set(prev, tok);
    }
    prev = null;
  }
  return Object.fromEntries(out);
}

/** The charset parse_env accepts after each flag that has one (a token outside it is dropped). */
const CHARSETS: Record<string, { re: RegExp; what: string; example: string }> = {
  "-p": { re: /^[0-9:tcp/ud]*$/, what: "0-9 : t c p / u d", example: "-p 8000:8000" },
  "-v": { re: /^[A-Za-z0-9:./_]*$/, what: "letters, digits and : . / _", example: "-v /data:/data" },
  "-n": { re: /^[a-z0-9-]*$/, what: "lowercase letters, digits and -", example: "-n my-net" },
};

const READ = "Vast's parse_env reads only -e KEY=VALUE, -p <ports>, -v <volume>, -n <network> and -h <hostname>";

/**
 * The env dict exactly as parse_env builds it, plus one problem per token parse_env would drop (or
 * read as an empty value, the mark of a double space). Each problem reads after "vast-reranker:env"
 * and says how to fix it.
 */
export function readEnvString(envString: string): { env: Record<string, string>; problems: string[] } {
  const problems: string[] = [];
  let prev: string | null = null;
  for (const tok of smartSplit(envString)) {
    if (prev === null) {
      if (FLAGS.includes(tok)) prev = tok;
      else if (tok !== "") problems.push(`has ${JSON.stringify(tok)}, which Vast would silently drop (${READ}): remove it, or put it after -e as KEY=VALUE`);
      continue;
    }
    const flag = prev;
    prev = null;
    if (tok === "") {
      problems.push(`has ${flag} followed by an empty value (two spaces in a row, or a space at the end): Vast splits on single spaces and would drop what was meant: use one space`);
      continue;
    }
    const charset = CHARSETS[flag];
    if (charset && !charset.re.test(tok)) {
      problems.push(`has "${flag} ${tok}", which Vast would silently drop (after ${flag} it accepts only ${charset.what}): write it like ${charset.example}`);
    } else if (flag === "-e" && !tok.includes("=")) {
      problems.push(`has "-e ${tok}" without "=", which Vast would silently drop: write -e ${tok.replace(/^-+/, "") || "KEY"}=<value>`);
    } else if (flag === "-e" && /['"]/.test(tok.slice(0, tok.indexOf("=")))) {
      problems.push(`has "-e ${tok}": Vast keeps the quote in the variable's name: quote only the value, e.g. -e KEY='a b'`);
    } else if (flag === "-h" && FLAGS.includes(tok)) {
      problems.push(`has "-h ${tok}": Vast would take ${tok} as the hostname: give -h a hostname`);
    }
  }
  if (prev !== null) problems.push(`ends with ${prev} and no value after it: Vast would drop it: complete it or remove it`);
  if (quotesLeftOpen(envString)) {
    problems.push(`has a quote that is never closed, as Vast reads quotes (each ' and " flips on its own, also inside the other kind): the rest of the string would become part of one value; balance the quotes, e.g. -e MSG="it is" instead of "it's"`);
  }
  return { env: parseEnvString(envString), problems };
}

/** Merge env dicts left to right; a later part wins on the same key. `undefined` parts are skipped. */
export function mergeEnv(...parts: Array<Record<string, string> | undefined>): Record<string, string> {
  const out = new Map<string, string>();
  for (const p of parts) {
    if (!p) continue;
    for (const [k, v] of Object.entries(p)) out.set(k, v);
  }
  return Object.fromEntries(out);
}
