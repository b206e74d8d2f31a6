// Vast's instance logs as the emulator serves them (docs/vast-api.md "Logs"): PUT
// /api/v0/instances/request_logs/{id}/ snapshots a log and answers {"result_url": ...}; the URL (S3
// on real Vast, unauthenticated) answers 403 until the "upload" lands, then the text.
// - daemon log (`daemon_logs: "true"`): the host agent's per-instance file: a docker-pull line per
//   layer and state, advancing with the `loading` phase; before the pull the agent has no file
//   ("cat: …: No such file or directory", recorded); a pull that stalls stops writing lines.
// - container log: the container's stdout/stderr ("No such container: C.<id>" before it exists).
// The layer sizes are an assumption (vast-recorded has no layer list of the vLLM image): below.
import { randomBytes } from "node:crypto";
import { text, type Reply } from "./http.ts";
import type { Rec } from "./instances.ts";

/**
 * Share of the compressed image per layer, in pull order (sums to 1). Shaped like a CUDA + PyTorch
 * image: a few tiny layers, the CUDA libraries, and one Python layer (torch, vLLM) of 55 %.
 */
export const LAYER_SHARES = [0.003, 0.02, 0.0005, 0.15, 0.001, 0.06, 0.55, 0.12, 0.06, 0.02, 0.01, 0.004, 0.0015, 0.0005];
/** Concurrent layer downloads (Docker's default max-concurrent-downloads). */
const PARALLEL = 3;
/** Extraction runs this many times faster than the download (one layer at a time, in order). */
const EXTRACT_SPEEDUP = 6;
/** A pull that stalls stops writing lines at this fraction of its would-be duration. */
export const STALL_AT = 0.35;
/** Time until a requested log can be fetched from its result URL (real time × the tail's timeScale). */
export const UPLOAD_MS = 300;

export interface PullEvent {
  /** Ms from the start of `loading`. */
  at: number;
  line: string;
}

interface Pull {
  startedAt: number;
  events: PullEvent[];
  /** Ms from the start after which no line is written (a stalled pull), or null. */
  stopsAt: number | null;
}

const pulls = new WeakMap<Rec, Pull>();

function layerId(instanceId: number, i: number): string {
  return randomId(`${instanceId}:${i}`);
}

function randomId(seed: string): string {
  let h = 0x811c9dc5;
  let out = "";
  for (let round = 0; out.length < 12; round++) {
    for (const c of `${seed}:${round}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, "0");
  }
  return out.slice(0, 12);
}

/**
 * The docker-pull lines of one pull of `durationMs`: every layer "Pulling fs layer" (those beyond the
 * first three also "Waiting"), downloads three at a time sharing the link, "Downloading" when one
 * starts, "Verifying Checksum" + "Download complete" when it ends, "Pull complete" once extracted
 * (in order), the digest last. Times are fitted so the last line falls at `durationMs`.
 */
export function pullSchedule(instanceId: number, image: string, durationMs: number): PullEvent[] {
  const n = LAYER_SHARES.length;
  const left = [...LAYER_SHARES];
  const done: number[] = new Array(n).fill(NaN);
  const started: number[] = new Array(n).fill(NaN);
  let t = 0;
  let next = 0;
  const active: number[] = [];
  while (next < n || active.length) {
    while (active.length < PARALLEL && next < n) {
      started[next] = t;
      active.push(next++);
    }
    // Processor sharing: the link's unit rate split among the active downloads.
    const rate = 1 / active.length;
    const first = active.reduce((a, b) => (left[a] <= left[b] ? a : b));
    const dt = left[first] / rate;
    t += dt;
    for (const i of active) left[i] -= dt * rate;
    done[first] = t;
    active.splice(active.indexOf(first), 1);
  }
  const extracted: number[] = [];
  let x = 0;
  for (let i = 0; i < n; i++) {
    x = Math.max(x, done[i]) + LAYER_SHARES[i] / EXTRACT_SPEEDUP;
    extracted.push(x);
  }
  const k = durationMs / x;
  const ids = Array.from({ length: n }, (_, i) => layerId(instanceId, i));
  const ev: PullEvent[] = [];
  const add = (at: number, line: string) => ev.push({ at: Math.round(at * k), line });
  ids.forEach((id) => add(0, `${id}: Pulling fs layer`));
  ids.forEach((id, i) => { if (i >= PARALLEL) add(0, `${id}: Waiting`); });
  ids.forEach((id, i) => {
    add(started[i], `${id}: Downloading`);
    add(done[i], `${id}: Verifying Checksum`);
    add(done[i], `${id}: Download complete`);
    add(extracted[i], `${id}: Pull complete`);
  });
  add(x, `Digest: sha256:${randomId(image)}${randomId(`${image}#`)}`);
  add(x, `Status: Downloaded newer image for ${image}`);
  return ev.sort((a, b) => a.at - b.at);
}

/** Hook (instances.ts, on `loading`): the pull starts now; `stalls` = it never finishes. */
export function pullStarted(rec: Rec, durationMs: number, stalls: boolean, now = Date.now()): void {
  pulls.set(rec, { startedAt: now, events: pullSchedule(rec.id, rec.req.image, durationMs), stopsAt: stalls ? durationMs * STALL_AT : null });
}

/** Hook (instances.ts, a `stuck_loading` fault on a pulling instance): no line after this moment. */
export function pullStalls(rec: Rec, now = Date.now()): void {
  const pull = pulls.get(rec);
  if (pull) pull.stopsAt = Math.min(pull.stopsAt ?? Infinity, now - pull.startedAt);
}

const stamp = (ms: number) => new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC";

/** The host agent's log for the instance as of `now`. */
function daemonLog(rec: Rec, now = Date.now()): string {
  const pull = pulls.get(rec);
  if (!pull) return `cat: /var/lib/vastai_kaalia/data/instance_extra_logs/C.${rec.id}: No such file or directory\n`;
  const elapsed = now - pull.startedAt;
  const shown = pull.events.filter((e) => e.at <= elapsed && (pull.stopsAt === null || e.at <= pull.stopsAt));
  // Some lines carry the host's timestamp after the layer id, as recorded (vast-recorded log fragments).
  return shown.map((e) => (/: (Pulling fs layer|Download complete)$/.test(e.line) ? e.line.replace(": ", `: ${stamp(pull.startedAt + e.at)}: `) : e.line)).join("\n") + (shown.length ? "\n" : "");
}

/**
 * Under the tailed market model no server runs per host (the benchmark boots hundreds at 200× speed):
 * a host's container log is its plan's vLLM start-up, lines at the start, when the weights are in
 * and when it serves; silent in between, as vLLM is while it downloads and while its engine starts.
 * A host that never serves prints nothing.
 */
function plannedStartup(rec: Rec, now = Date.now()): string {
  const plan = rec.plan;
  if (!plan || rec.runningSince === null || plan.fate.kind === "never_serve") return "";
  const t = now - rec.runningSince;
  const lines: Array<[number, string]> = [
    [0, `INFO [api_server.py] vLLM API server version (emulator tail model)`],
    [0, `INFO [default_loader.py] Starting to load model ${rec.req.args[rec.req.args.indexOf("--model") + 1] ?? "BAAI/bge-reranker-base"}...`],
    [plan.modelDownloadMs, `INFO [default_loader.py] Loading weights took ${(plan.modelDownloadMs / 1000).toFixed(2)} seconds`],
    [plan.modelLoadMs, "INFO:     Application startup complete."],
  ];
  return lines.filter(([at]) => at <= t).map(([, l]) => `${l}\n`).join("");
}

/** The container's stdout/stderr as of now (`fileText`: what the process wrote; emulator lines left out). */
function containerLog(rec: Rec, fileText: string, now = Date.now()): string {
  if (rec.actual !== "running" && rec.actual !== "exited" && !fileText) return `Error response from daemon: No such container: C.${rec.id}\n`;
  if (!fileText && rec.plan) return plannedStartup(rec, now);
  return fileText.split("\n").filter((l) => !l.startsWith("[emulator]")).join("\n");
}

interface Upload {
  text: string;
  readyAt: number;
}

const uploads = new Map<string, Upload>();
const MAX_UPLOADS = 5_000;

/** `tail` and `filter` as the vastai CLI sends them: the last N lines, then lines containing the filter. */
export function cut(logText: string, tail: unknown, filter: unknown): string {
  let lines = logText.split("\n");
  if (lines.at(-1) === "") lines.pop();
  if (typeof filter === "string" && filter) lines = lines.filter((l) => l.includes(filter));
  const n = Number(tail);
  if (Number.isInteger(n) && n > 0) lines = lines.slice(-n);
  return lines.length ? lines.join("\n") + "\n" : "";
}

/** PUT request_logs: snapshot the log now and hand out the URL it will be fetchable at. */
export function requestLogs(rec: Rec, body: unknown, baseUrl: string, fileText: string, timeScale = 1, now = Date.now()): Reply {
  const b = (body ?? {}) as { tail?: unknown; filter?: unknown; daemon_logs?: unknown };
  const daemon = b.daemon_logs === true || b.daemon_logs === "true";
  const snapshot = cut(daemon ? daemonLog(rec, now) : containerLog(rec, fileText, now), b.tail ?? "1000", b.filter);
  const name = `${randomBytes(12).toString("hex")}.log`;
  if (uploads.size >= MAX_UPLOADS) uploads.delete(uploads.keys().next().value as string);
  uploads.set(name, { text: snapshot, readyAt: now + UPLOAD_MS * timeScale });
  return { status: 200, json: { success: true, result_url: `${baseUrl}/_emulator/log-uploads/${name}` } };
}

/** GET of a result URL: S3's 403 until the upload lands, then the text; 404 for a name never handed out. */
export function serveUpload(name: string, now = Date.now()): Reply {
  const u = uploads.get(name);
  if (!u) return text(404, '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>', "application/xml");
  if (now < u.readyAt) return text(403, '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>', "application/xml");
  return text(200, u.text, "text/plain");
}
