// The reranker stack under test: which files make the program, its config for the emulator.
import type { RunningEmulator } from "../../emulator/types.ts";

export const STACK_SOURCES = ["Pulumi.yaml", "package.json", "index.ts", "components"];

/** Short status polls so engine tests do not wait on production back-off. */
export const FAST_POLLS = { VAST_TEST_POLL_FLOOR_MS: "200", VAST_TEST_POLL_CAP_MS: "500", VAST_TEST_BACKOFF_MS: "50" };

export function localStackConfig(emu: RunningEmulator, extra: Record<string, string> = {}) {
  return {
    "vast:apiUrl": { value: emu.url },
    "vast:apiKey": { value: emu.apiKey, secret: true },
    "vast-reranker:bootTimeoutSeconds": { value: "60" },
    "vast-reranker:probeTimeoutSeconds": { value: "60" },
    ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [`vast-reranker:${k}`, { value: v }])),
  };
}

/** Instances that still exist (bill) in the emulator. */
export function liveInstances(emu: RunningEmulator) {
  return emu.instances().filter((i) => !i._emulator.destroyed && !i._emulator.vanished);
}

/** Emulator timings that keep an engine deploy to a few seconds. */
export const FAST_BOOT = { pendingMs: 100, createdMs: 200, loadingMs: 500, modelLoadMs: 800, readLagMs: 0 };
