// Replicas benchmark row: wall time of a 3-replica `pulumi up` ÷ a 1-replica `up` of the
// same program against the emulator, with Vast's rate limits on (one rent per 4.5 s, one
// GET /instances/{id} per 2 s, one instance list per 1 s, per key). Interleaved pairs, each side on a
// fresh stack that is destroyed after; target <= 1.3×. Each `up` logs a timeline (rents, `running`,
// calls, 429s) so the gap can be attributed.
// Run alone: npm run bench -- --replicas-only [--pairs N]
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startEmulator, VAST_RATE_LIMITS } from "../../emulator/index.ts";
import type { RunningEmulator } from "../../emulator/types.ts";
import { median, row, type Row } from "./report.ts";
import { pulumiCli } from "./procs.ts";

const ROOT = resolve(import.meta.dirname, "../..");


export interface ReplicaBenchOptions {
  pairs: number;
  log: (m: string) => void;
  /** Emulator boot timings (ms). */
  pendingMs?: number;
  createdMs?: number;
  loadingMs?: number;
  modelLoadMs?: number;
}

/**
 * Where one `up`'s time went, from the emulator's side (its request log and instance records), in
 * seconds since the `up` started: each instance's rent and `running` (image "pulled"; /health answers
 * model-load seconds later), its per-id status GETs, the shared lists, and 429s by route. Taken right
 * after the `up`, while the instances still exist.
 */
export function timeline(emu: RunningEmulator, t0: number, t1: number): string {
  const s = (ts: number) => ((ts - t0) / 1000).toFixed(1);
  const log = emu.requestLog().filter((e) => e.ts >= t0 && e.ts <= t1);
  const now = Date.now();
  const parts = emu.instances().filter((i) => i._emulator.createdAt >= t0 && !i._emulator.destroyed).sort((a, b) => a._emulator.createdAt - b._emulator.createdAt).map((i) => {
    const running = i.uptime_mins == null ? "-" : s(now - i.uptime_mins * 60_000);
    const reads = log.filter((e) => e.route === "GET /api/v0/instances/:id" && e.path.startsWith(`/api/v0/instances/${i.id}/`));
    return `#${i.id} rent ${s(i._emulator.createdAt)} running ${running} (${reads.length} GETs)`;
  });
  const throttled: Record<string, number> = {};
  for (const e of log) if (e.status === 429) throttled[e.route] = (throttled[e.route] ?? 0) + 1;
  const lists = log.filter((e) => e.route === "GET /api/v1/instances").length;
  return `${parts.join("; ")}; ${lists} lists; 429s ${JSON.stringify(throttled)}; end ${s(t1)}`;
}

/** Measures and returns the row; starts and stops its own emulator and stacks. */
export async function replicaRows(o: ReplicaBenchOptions): Promise<Row[]> {
  const base = mkdtempSync(join(tmpdir(), "vr-bench-replicas-"));
  const dir = join(base, "project");
  mkdirSync(dir);
  mkdirSync(join(base, "backend"));
  for (const s of ["Pulumi.yaml", "package.json"]) copyFileSync(join(ROOT, s), join(dir, s));
  for (const s of ["index.ts", "components", "node_modules"]) symlinkSync(join(ROOT, s), join(dir, s));
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ["VAST_TEST_POLL_FLOOR_MS", "VAST_TEST_POLL_CAP_MS", "VAST_TEST_BACKOFF_MS", "VAST_API_URL", "VAST_API_KEY", "PULUMI_CONFIG_PASSPHRASE_FILE"]) delete env[k];
  Object.assign(env, {
    PULUMI_BACKEND_URL: `file://${join(base, "backend")}`, PULUMI_CONFIG_PASSPHRASE: "vast-reranker-bench",
    PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  });
  const emu = await startEmulator({
    pendingMs: o.pendingMs ?? 500, createdMs: o.createdMs ?? 1000, loadingMs: o.loadingMs ?? 3000, modelLoadMs: o.modelLoadMs ?? 6000,
    lingerDeletedMs: 0, readLagMs: 0, rateLimits: VAST_RATE_LIMITS,
  });
  const p = (stack: string, args: string[]) => pulumiCli([...args, "--stack", stack, "--non-interactive"], dir, env);
  const must = async (stack: string, args: string[]) => {
    const r = await p(stack, args);
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} (${stack}) exited ${r.code}:\n${r.out.split("\n").slice(-30).join("\n")}`);
    return r;
  };
  try {
    for (const [stack, n] of [["r1", "1"], ["r3", "3"]] as const) {
      await pulumiCli(["stack", "init", stack, "--non-interactive"], dir, env);
      await must(stack, ["config", "set", "vast:apiUrl", emu.url]);
      await must(stack, ["config", "set", "--secret", "vast:apiKey", emu.apiKey]);
      await must(stack, ["config", "set", "vast-reranker:replicas", n]);
    }
    const one: number[] = [];
    const three: number[] = [];
    for (let i = 0; i < o.pairs; i++) {
      for (const [stack, into] of [["r1", one], ["r3", three]] as const) {
        const t0 = Date.now();
        const up = await must(stack, ["up", "--yes", "--skip-preview", "--suppress-progress"]);
        into.push(up.ms / 1000);
        o.log(`replicas: ${stack} up ${(up.ms / 1000).toFixed(1)} s (pair ${i + 1}/${o.pairs}): ${timeline(emu, t0, Date.now())}`);
        await must(stack, ["destroy", "--yes", "--skip-preview", "--suppress-progress"]);
      }
    }
    const ratios = one.map((t, i) => three[i] / t);
    return [row(`pulumi up, 3 replicas ÷ 1 replica, wall time (median of ${o.pairs} interleaved pairs, Vast rate limits on)`, median(ratios), "×", 2, { cmp: "<=", limit: 1.3 },
      `1 replica ${median(one).toFixed(1)} s, 3 replicas ${median(three).toFixed(1)} s; ratios ${ratios.map((r) => r.toFixed(2)).join(", ")}; boot ${((o.pendingMs ?? 500) + (o.createdMs ?? 1000) + (o.loadingMs ?? 3000)) / 1000} s + model load ${(o.modelLoadMs ?? 6000) / 1000} s`)];
  } finally {
    for (const stack of ["r1", "r3"]) await p(stack, ["destroy", "--yes", "--skip-preview", "--suppress-progress"]).catch(() => undefined);
    await emu.stop();
    rmSync(base, { recursive: true, force: true });
  }
}
