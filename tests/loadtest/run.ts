// Runs the load-test command (tools/loadtest/loadtest.ts) as a user does: a subprocess; its JSON shape.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../../emulator/runtime.ts";
import type { LoadReport, ReplicaReport } from "../../tools/loadtest/stats.ts";

const SCRIPT = join(REPO_ROOT, "tools", "loadtest", "loadtest.ts");

/** The test run's tag, for children started with an environment of their own. */
export const runTag = (): Record<string, string> => (process.env.VR_TEST_RUN ? { VR_TEST_RUN: process.env.VR_TEST_RUN } : {});

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `env` replaces the environment but PATH and the run's VR_TEST_RUN tag (the end-of-run sweep finds
 * a child a timed-out test left); `cwd` defaults to the repository (as `npm run` does).
 */
export function loadtest(args: string[], env: Record<string, string> = {}, cwd = REPO_ROOT): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, ...args], {
      cwd, env: { PATH: process.env.PATH ?? "", ...runTag(), ...env }, stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => { stdout += d; });
    child.stderr.on("data", (d: Buffer) => { stderr += d; });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A NaN percentile (no successful request) arrives as null in the JSON. */
type Nullable<T> = Omit<T, "p50" | "p95" | "p99"> & { p50: number | null; p95: number | null; p99: number | null };
/** The tool's LoadReport as JSON. */
export type Report = Omit<Nullable<LoadReport>, "replicas"> & { replicas: Array<Nullable<ReplicaReport>> };
export interface Result {
  endpoints: string[];
  concurrency: number;
  docsPerRequest: number;
  report: Report;
  baseline?: Report;
  overhead?: number;
  overheadTarget?: { min: number; max: number };
  rounds?: Array<{ toolSeconds: number; bareSeconds: number }>;
}

export const num = String.raw`\d+(?:\.\d+)?`;
/** formatReport's line: `<label>: N requests in S s · R req/s · P pairs/s · p50 … ms · p95 … ms · p99 … ms · errors: …` */
export const reportLine = (label: string, n: number, errors: string) =>
  new RegExp(`^${label}: ${n} requests in ${num} s · ${num} req/s · \\d+ pairs/s · p50 ${num} ms · p95 ${num} ms · p99 ${num} ms · errors: ${errors}$`);
/** formatReport's per-replica line: `  replica I URL  N requests (S %) · p50 … ms · p95 … ms · p99 … ms · errors: …` */
export const replicaLine = (i: number, url: string, errors = "none") =>
  new RegExp(`^  replica ${i} ${url.replace(/[.]/g, "\\.")} +(\\d+) requests \\( *(${num}) %\\) · p50 ${num} ms · p95 ${num} ms · p99 ${num} ms · errors: ${errors}$`);
