// Pure reading of an instance's logs (fetched through request_logs, api/logs.ts): what the daemon
// log says about the image pull, what the container log says about vLLM's start-up, and whether
// either moved since the last read. Line shapes: the recorded fragments in
// ../shared/vast-recorded/ (layer lines with and without the host's timestamp, "No such file",
// "No such container") and vLLM's own start-up lines.

/** A log that does not exist yet: the agent has no per-instance file, or the container is not created. */
const NOT_THERE = [/No such file or directory/, /No such container/];

const STAMP = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? UTC`;
/** `<layer>: [<stamp>: ]<status>` or `<stamp>: <layer>: <status>` (both recorded). */
const LAYER_LINE = new RegExp(String.raw`^(?:${STAMP}:\s*)?([0-9a-f]{12}):\s*(?:${STAMP}:\s*)?(.+?)\s*$`);

export interface PullProgress {
  /** Layers named in the log. */
  layers: number;
  /** Layers extracted or already present. */
  pulled: number;
  /** Layers downloaded, not yet extracted. */
  downloaded: number;
  /** Layers downloading now. */
  downloading: number;
  /** The last non-empty line. */
  last: string;
}

export interface StartupProgress {
  /** vLLM's last meaningful line (levels and timestamps cut). */
  last: string;
  /** The server said "Application startup complete". */
  complete: boolean;
  /** The weights' loading: "Loading … shards: 40%", "Loading weights took …", the download. */
  stage?: string;
}

const lines = (text: string) => text.split(/\r?\n|\r/).map((l) => l.trim()).filter(Boolean);

/** Whether the text is a real log (not the "does not exist yet" answer). */
export function logExists(text: string | null): text is string {
  if (text === null) return false;
  const ls = lines(text);
  return ls.length > 0 && !(ls.length === 1 && NOT_THERE.some((re) => re.test(ls[0])));
}

/** The pull as the daemon log tells it, or null when there is no daemon log yet. */
export function parseDaemonLog(text: string | null): PullProgress | null {
  if (!logExists(text)) return null;
  const state = new Map<string, string>();
  const ls = lines(text);
  for (const l of ls) {
    const m = LAYER_LINE.exec(l);
    if (m) state.set(m[1], m[2]);
  }
  let pulled = 0, downloaded = 0, downloading = 0;
  for (const st of state.values()) {
    if (/^(Pull complete|Already exists)/i.test(st)) pulled++;
    else if (/^(Download complete|Extracting|Verifying Checksum)/i.test(st)) downloaded++;
    else if (/^Downloading/i.test(st)) downloading++;
  }
  return { layers: state.size, pulled, downloaded, downloading, last: ls[ls.length - 1] };
}

/** vLLM's log line without its level, timestamp and logger ("INFO 05-17 02:03:37 [api_server.py:1] …"). */
function bare(line: string): string {
  return line.replace(/^(?:\(\w+(?: pid=\d+)?\)\s*)?(?:INFO|WARNING|ERROR|DEBUG)\s*:?\s*(?:\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?\s*)?(?:\[[^\]]*\]\s*)?/, "").trim();
}

/** vLLM's start-up as the container log tells it, or null when the container does not exist yet. */
export function parseContainerLog(text: string | null): StartupProgress | null {
  if (!logExists(text)) return null;
  const ls = lines(text).map(bare).filter(Boolean);
  const complete = ls.some((l) => /Application startup complete/i.test(l));
  const stage = [...ls].reverse().find((l) => /checkpoint shards|Loading weights|Model loading took|Downloading|Starting to load model/i.test(l));
  return { last: ls[ls.length - 1] ?? "", complete, ...(stage ? { stage } : {}) };
}

/** What a user reads in `pulumi up`: "pulling image: 9/14 layers pulled, 2 downloading". */
export function describePull(p: PullProgress): string {
  const parts = [`${p.pulled}/${p.layers} layers pulled`];
  if (p.downloaded) parts.push(`${p.downloaded} downloaded`);
  if (p.downloading) parts.push(`${p.downloading} downloading`);
  return `pulling image: ${parts.join(", ")}`;
}

export function describeStartup(p: StartupProgress): string {
  const clip = (x: string) => (x.length > 120 ? `${x.slice(0, 117)}...` : x);
  if (p.complete) return "vLLM: Application startup complete";
  return `vLLM starting: ${clip(p.stage && p.stage !== p.last ? `${p.stage} … ${p.last}` : p.last)}`;
}

/** A cheap fingerprint of a log read: any new line (or a changed tail) changes it. */
export function logMark(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return `${text.length}:${h.toString(16)}`;
}
