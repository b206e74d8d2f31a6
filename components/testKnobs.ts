// Test-only environment knobs (shorter waits, scaled judgement windows) take effect only against
// a loopback API URL (the emulator): a leftover one in a user's shell must not change behaviour
// against real Vast. Each knob applied, and each one ignored, is logged once per process.

/** The provider's knobs (components/vast/api/credentials.ts) and what each does. */
export const PROVIDER_TEST_KNOBS = {
  VAST_TEST_POLL_FLOOR_MS: "floor between two GET /instances/{id} and the first status-poll delay (production: 2.1 s)",
  VAST_TEST_POLL_CAP_MS: "cap of the status-poll back-off (production: 12 s)",
  VAST_TEST_BACKOFF_MS: "first retry delay after a 429/5xx (production: 0.5 s)",
  VAST_TEST_WAIT_SCALE: "multiplies the boot's judgement windows: stall quiet limits, log-read intervals, the unclear-rent lookup, the offline confirmation (production: 1)",
} as const;

/** The readiness probe's knobs, inherited from the environment of `pulumi` (components/readiness). */
export const PROBE_TEST_KNOBS = {
  PROBE_POLL_MS: "interval between the probe's /health polls (production: 250 ms)",
  PROBE_REQUEST_TIMEOUT_MS: "timeout of each probe request after /health (production: 30 s)",
} as const;

/** Names the knobs had before they said they were test-only: set, they are ignored and say so. */
const RENAMED_KNOBS: Record<string, string> = {
  VAST_POLL_FIRST_MS: "VAST_TEST_POLL_FLOOR_MS",
  VAST_POLL_CAP_MS: "VAST_TEST_POLL_CAP_MS",
  VAST_BACKOFF_MS: "VAST_TEST_BACKOFF_MS",
  VAST_STALL_TIME_SCALE: "VAST_TEST_WAIT_SCALE",
};

/** 127.0.0.0/8, ::1 and localhost: the emulator listens there; Vast never does. */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, "");
  } catch {
    return false;
  }
  return host === "localhost" || host.endsWith(".localhost") || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export interface KnobDecision {
  /** Knobs set in `env` that take effect, with their values. */
  applied: Record<string, string>;
  /** One line per knob that was set: applied or ignored, and why. */
  notes: string[];
}

/** Which of `names` set in `env` apply for `apiUrl`. Pure. */
export function gateTestKnobs(env: Record<string, string | undefined>, names: readonly string[], apiUrl: string): KnobDecision {
  const loopback = isLoopbackUrl(apiUrl);
  const applied: Record<string, string> = {};
  const notes: string[] = [];
  for (const name of names) {
    const value = env[name]?.trim();
    if (!value) continue;
    if (loopback) {
      applied[name] = value;
      notes.push(`test knob ${name}=${value} applied (API URL ${apiUrl} is loopback)`);
    } else {
      notes.push(`test knob ${name}=${value} ignored: test knobs work only against a loopback API URL, and vast:apiUrl / VAST_API_URL is ${apiUrl}`);
    }
  }
  for (const [old, now] of Object.entries(RENAMED_KNOBS)) {
    if (names.includes(now) && env[old]?.trim()) notes.push(`${old} is ignored: it was renamed ${now} (a test-only knob, loopback API URLs only)`);
  }
  return { applied, notes };
}

const said = new Set<string>();

/** Logs each note once per process (the provider resolves its options for every call). */
export function logOnce(notes: string[], log: (line: string) => void): void {
  for (const n of notes) {
    if (said.has(n)) continue;
    said.add(n);
    log(n);
  }
}
