// Reads one booting instance's logs in the background (never in the way of a status poll or a
// /health check): the daemon log while the image is pulled, the container log while vLLM starts.
// Each read that shows a new line is progress for the stall verdict, and what it says is shown in
// `pulumi up` (layers pulled, the weights' loading, "Application startup complete").
import type { LogKind } from "../api/logs.ts";
import { describePull, describeStartup, logExists, logMark, parseContainerLog, parseDaemonLog } from "./bootProgress.ts";
import type { BootPhase } from "./stallVerdict.ts";
import { sleep } from "./bootContext.ts";

/**
 * When logs are read (ms, × the wait scale). Pull: first when a pull has likely begun (Vast shows
 * `actual_status` null for ~20 s after a rent, reference §4), then every 40 s: a 3-minute pull costs
 * 4–5 reads. Start-up: 8 s after `running`, then every 20 s (vLLM usually serves first: no read).
 * Both read every 20 s once the phase has been quiet for half its limit, so a verdict rests on a fresh read.
 */
export const LOG_READS = { daemonFirstMs: 15_000, daemonEveryMs: 40_000, containerFirstMs: 8_000, containerEveryMs: 20_000, suspiciousEveryMs: 20_000 };
/** How long a verdict waits for its confirming read (a read waits ≤ 9 s for its result URL). */
const CONFIRM_WAIT_MS = 12_000;

const kindOf = (phase: Exclude<BootPhase, "serving">): LogKind => (phase === "pull" ? "daemon" : "container");

export interface LogWatchOptions {
  /** One read of the instance's log (null: none this time). */
  read: (kind: LogKind) => Promise<string | null>;
  /** Multiplies every interval (waitScale). */
  scale: number;
  /** A progress line for `pulumi up`. */
  show: (line: string) => void;
  now?: () => number;
}

export class LogWatch {
  /** When a read last showed a new line (the read's request time); -Infinity: never. */
  progressAt = -Infinity;
  /** Reads so far, per log. */
  readonly reads: Record<LogKind, number> = { daemon: 0, container: 0 };
  private readonly readable: Record<LogKind, boolean> = { daemon: false, container: false };
  private readonly marks: Partial<Record<LogKind, string>> = {};
  private readonly due: Partial<Record<LogKind, number>> = {};
  private shown = "";
  private lastReadAt = -Infinity;
  private inflight?: Promise<void>;
  private readonly o: LogWatchOptions;
  private readonly now: () => number;

  constructor(o: LogWatchOptions) {
    this.o = o;
    this.now = o.now ?? Date.now;
  }

  /** Whether this phase's log has been read (its lines then count as progress). */
  logRead(phase: Exclude<BootPhase, "serving">): boolean {
    return this.readable[kindOf(phase)];
  }

  /**
   * Starts a read if one is due (no await): `phaseSince` = when the phase began, `suspicious` = the
   * phase has been quiet for half its limit.
   */
  tick(phase: BootPhase, phaseSince: number, suspicious = false): void {
    if (phase === "serving" || this.inflight) return;
    const kind = kindOf(phase);
    const s = this.o.scale;
    const first = kind === "daemon" ? LOG_READS.daemonFirstMs : LOG_READS.containerFirstMs;
    const every = kind === "daemon" ? LOG_READS.daemonEveryMs : LOG_READS.containerEveryMs;
    const due = (this.due[kind] ??= phaseSince + first * s);
    const dueAt = suspicious ? Math.min(due, this.lastReadAt + LOG_READS.suspiciousEveryMs * s) : due;
    const now = this.now();
    if (now < dueAt) return;
    this.due[kind] = now + every * s;
    void this.start(kind);
  }

  /** A fresh read of the phase's log before a verdict (waits ≤ CONFIRM_WAIT_MS × scale). */
  async confirm(phase: Exclude<BootPhase, "serving">): Promise<void> {
    const bound = sleep(CONFIRM_WAIT_MS * this.o.scale);
    await Promise.race([this.inflight, bound]);
    if (this.inflight) return;
    await Promise.race([this.start(kindOf(phase)), bound]);
  }

  private start(kind: LogKind): Promise<void> {
    const at = this.now();
    this.lastReadAt = at;
    this.reads[kind]++;
    const p = this.o.read(kind).then((text) => this.take(kind, text, at), () => undefined).finally(() => {
      if (this.inflight === p) this.inflight = undefined;
    });
    this.inflight = p;
    return p;
  }

  private take(kind: LogKind, text: string | null, at: number): void {
    if (!logExists(text)) return;
    this.readable[kind] = true;
    const mark = logMark(text);
    if (mark === this.marks[kind]) return;
    this.marks[kind] = mark;
    this.progressAt = Math.max(this.progressAt, at);
    const pull = kind === "daemon" ? parseDaemonLog(text) : null;
    const start = kind === "container" ? parseContainerLog(text) : null;
    const line = pull ? describePull(pull) : start ? describeStartup(start) : "";
    if (line && line !== this.shown) {
      this.shown = line;
      this.o.show(line);
    }
  }
}
