// Create-instance validation (docs/vast-api.md §3.1, §3.2, §8.12) and Vast's env-string rules.
// Error codes/messages: `invalid_args`/`invalid_price` and the "error <http>/<num>: ..." format are
// documented; the numbers other than 3467/3603 are the emulator's own (marked in the README).
import type { TemplateRef } from "./templates.ts";

const RUNTYPE_TOKENS = new Set([
  "ssh", "jupyter", "args", "ssh_proxy", "ssh_direct", "ssh_direc", "jupyter_proxy", "jupyter_direct", "jupyter_direc",
]);

export interface CreateRequest {
  image: string;
  env: Record<string, string>;
  price: number | null;
  disk: number;
  label: string | null;
  onstart: string | null;
  runtype: string;
  args: string[];
  targetState: "running" | "stopped";
  /** The template the launch came from (`template_hash_id`, emulator/templates.ts), shown on the instance. */
  template?: TemplateRef | null;
}

export type Invalid = { status: number; body: { success: false; error: string; msg: string; ask_id?: number } };

function invalid(askId: number, msg: string, error = "invalid_args", code = "400/3467"): Invalid {
  return { status: 400, body: { success: false, error, msg: `error ${code}: ${msg}`, ask_id: askId } };
}

// The env string as Vast's own parse_env reads it (vastai 1.9.1 `vastai/utils.py`, `smart_split` and
// `parse_env`), written here independently of the product's reader: the emulator must not share the
// product's logic. tests/fixtures/env-string-cases.json checks both against parse_env itself.
const PORT_CHARS = new Set("0123456789:tcp/udp");
const VOLUME_CHARS = new Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:./_");
const NETWORK_CHARS = new Set("abcdefghijklmnopqrstuvwxyz0123456789-");
const ENV_FLAGS = new Set(["-e", "-p", "-h", "-v", "-n"]);

/** smart_split(s, " "): a quote character flips its own mode (even inside the other quotes) and is kept. */
function smartSplit(s: string): string[] {
  const parts: string[] = [];
  let current: string[] = [];
  let inDouble = false;
  let inSingle = false;
  for (const c of s) {
    if (c === " " && !(inDouble || inSingle)) {
      parts.push(current.join(""));
      current = [];
      continue;
    }
    if (c === "'") inSingle = !inSingle;
    else if (c === '"') inDouble = !inDouble;
    current.push(c);
  }
  parts.push(current.join(""));
  return parts;
}

const only = (tok: string, allowed: Set<string>) => [...tok].every((c) => allowed.has(c));

/** Python's `str.strip("'\"")`. */
function stripQuoteChars(v: string): string {
  let a = 0;
  let b = v.length;
  while (a < b && (v[a] === "'" || v[a] === '"')) a++;
  while (b > a && (v[b - 1] === "'" || v[b - 1] === '"')) b--;
  return v.slice(a, b);
}

/** `"-p 8000:8000 -e KEY=VAL"` -> `{"-p 8000:8000": "1", "KEY": "VAL"}`, exactly as parse_env does. */
export function parseEnvString(s: string): Record<string, string> {
  const result = new Map<string, string>();
  let prev: string | null = null;
  for (const e of smartSplit(s)) {
    if (prev === null) {
      if (ENV_FLAGS.has(e)) prev = e;
      continue;
    }
    if (prev === "-p") {
      if (only(e, PORT_CHARS)) result.set(`-p ${e}`, "1");
    } else if (prev === "-e") {
      const kv = e.split("=");
      if (kv.length >= 2) result.set(kv[0], stripQuoteChars(kv.slice(1).join("=")));
    } else if (prev === "-v") {
      if (only(e, VOLUME_CHARS)) result.set(`-v ${e}`, "1");
    } else if (prev === "-n") {
      if (only(e, NETWORK_CHARS)) result.set(`-n ${e}`, "1");
    } else {
      result.set(prev, e);
    }
    prev = null;
  }
  return Object.fromEntries(result);
}

/**
 * The env as the docker options Vast turns it into (`-e K=V`, or the `-p …`/`-v …` key itself), whose
 * length the recorded refusal "invalid env arguments, total length > 32KB" is about (an assumption:
 * no source says how Vast measures it).
 */
function dockerEnvLength(env: Record<string, string>): number {
  return Object.entries(env).map(([k, v]) => (k.startsWith("-") ? k : `-e ${k}=${v}`)).join(" ").length;
}

export interface Published {
  key: string; // "8000/tcp"
  port: number;
  proto: "tcp" | "udp";
}

/** Container ports requested through `-p` env keys (`-p 8000:8000`, `-p 8000`, `-p 8081:8081/udp`). */
export function publishedPorts(env: Record<string, string>): Published[] {
  const out: Published[] = [];
  for (const k of Object.keys(env)) {
    const m = /^-p\s+(?:\d+:)?(\d+)(?:\/(tcp|udp))?$/.exec(k.trim());
    if (!m) continue;
    const proto = (m[2] ?? "tcp") as "tcp" | "udp";
    const key = `${m[1]}/${proto}`;
    if (!out.some((p) => p.key === key)) out.push({ key, port: Number(m[1]), proto });
  }
  return out;
}

/** POSIX-ish word splitting for `args_str`. */
function shellWords(s: string): string[] {
  const out: string[] = [];
  let cur: string | null = null;
  let quote = "";
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quote) {
      if (ch === quote) quote = "";
      else if (ch === "\\" && quote === '"' && i + 1 < s.length) cur = (cur ?? "") + s[++i];
      else cur = (cur ?? "") + ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      cur = cur ?? "";
    } else if (ch === "\\" && i + 1 < s.length) cur = (cur ?? "") + s[++i];
    else if (/\s/.test(ch)) {
      if (cur !== null) out.push(cur);
      cur = null;
    } else cur = (cur ?? "") + ch;
  }
  if (cur !== null) out.push(cur);
  return out;
}

export function validateCreate(askId: number, body: unknown): CreateRequest | Invalid {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return invalid(askId, "Invalid args: the request body must be a JSON object");
  const b = body as Record<string, unknown>;
  const image = b.image;
  if (typeof image !== "string" || image.trim() === "") {
    // A known template_hash_id has supplied the image before this point (emulator/templates.ts withTemplate).
    return invalid(askId, b.template_hash_id ? "Template not found" : "Invalid args: 'image' is required unless template_hash_id is given");
  }
  if (image.length > 1024) return invalid(askId, "Invalid args: image must be at most 1024 characters");

  let env: Record<string, string> = {};
  if (typeof b.env === "string") env = parseEnvString(b.env);
  else if (b.env && typeof b.env === "object" && !Array.isArray(b.env)) {
    for (const [k, v] of Object.entries(b.env)) env[k] = v === null || v === undefined ? "" : String(v);
  } else if (b.env !== null && b.env !== undefined) return invalid(askId, "Invalid args: env must be an object (or a docker-flag string)");
  for (const [k, v] of Object.entries(env)) {
    if (v.length > 256) return invalid(askId, `Invalid args: env var ${k} is longer than 256 characters`);
  }
  // The recorded answer, verbatim (realnedsanders/terraform-provider-vastai issue #2).
  if (dockerEnvLength(env) > 32 * 1024) return { status: 400, body: { success: false, error: "invalid_args", msg: "invalid env arguments, total length > 32KB" } };
  if (publishedPorts(env).length > 64) return invalid(askId, "Invalid args: at most 64 open ports per instance");

  let price: number | null = null;
  if (b.price !== null && b.price !== undefined) {
    const p = typeof b.price === "string" ? Number(b.price) : b.price;
    if (typeof p !== "number" || !Number.isFinite(p) || p < 0.001 || p > 128) {
      return invalid(askId, "Invalid price: price must be between 0.001 and 128 $/hr", "invalid_price", "400/3468");
    }
    price = p;
  }

  const disk = b.disk === null || b.disk === undefined ? 8 : typeof b.disk === "string" ? Number(b.disk) : b.disk;
  if (typeof disk !== "number" || !Number.isFinite(disk)) return invalid(askId, "Invalid args: disk must be a number (GB)");
  if (disk < 8) return invalid(askId, "Invalid args: disk must be at least 8 GB");

  const label = b.label ?? null;
  if (label !== null && typeof label !== "string") return invalid(askId, "Invalid args: label must be a string");
  if (typeof label === "string" && label.length > 256) return invalid(askId, "Invalid args: label must be at most 256 characters");

  const onstart = b.onstart ?? null;
  if (onstart !== null && typeof onstart !== "string") return invalid(askId, "Invalid args: onstart must be a string");
  const rawArgs = b.args ?? null;
  if (rawArgs !== null && (!Array.isArray(rawArgs) || rawArgs.some((a) => typeof a !== "string"))) {
    return invalid(askId, "Invalid args: args must be a list of strings");
  }
  const argsStr = b.args_str ?? null;
  if (argsStr !== null && typeof argsStr !== "string") return invalid(askId, "Invalid args: args_str must be a string");
  const args = (rawArgs as string[] | null) ?? (argsStr ? shellWords(argsStr) : []);
  const launchLen = ((rawArgs as string[] | null) ?? []).join(" ").length + (argsStr?.length ?? 0) + (onstart?.length ?? 0);
  if (launchLen > 4096) return invalid(askId, "Invalid args: args, args_str and onstart must total at most 4096 characters");

  const runtype = b.runtype ?? "ssh";
  if (typeof runtype !== "string" || runtype.trim() === "" || runtype.trim().split(/\s+/).some((t) => !RUNTYPE_TOKENS.has(t))) {
    return invalid(askId, `Invalid args: runtype ${JSON.stringify(runtype)} is not one of ${[...RUNTYPE_TOKENS].join(", ")}`);
  }
  const ts = b.target_state ?? "running";
  if (ts !== "running" && ts !== "stopped") return invalid(askId, "Invalid args: target_state must be running or stopped");

  return { image, env, price, disk, label, onstart, runtype: runtype.trim(), args, targetState: ts };
}
