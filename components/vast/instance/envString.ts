// The official CLI's `--env` docker-options string → env dict (vast-cli `vastai/utils.py parse_env`,
// see docs/vast-api.md §3.1). Reproduced exactly, quirks included, so a string copied
// from a guide gives the same instance as `vastai create instance --env ...`. Pure: no I/O.

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

/** Merge env dicts left to right; a later part wins on the same key. `undefined` parts are skipped. */
export function mergeEnv(...parts: Array<Record<string, string> | undefined>): Record<string, string> {
  const out = new Map<string, string>();
  for (const p of parts) {
    if (!p) continue;
    for (const [k, v] of Object.entries(p)) out.set(k, v);
  }
  return Object.fromEntries(out);
}
