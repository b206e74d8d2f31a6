// Real-engine test harness: a throwaway copy of a Pulumi program (symlinked sources) with a file://
// backend and a passphrase, driven through the Automation API and the offline toolchain on PATH.
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, copyFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execFileSync } from "node:child_process";
import { LocalWorkspace, type ConfigMap, type Stack } from "@pulumi/pulumi/automation/index.js";

export const ROOT = resolve(import.meta.dirname, "../..");
export const PASSPHRASE = "vast-reranker-tests";

/** Fails loudly (never skips) when the toolchain is missing: engine tests are the point. */
export function pulumiBinary(): string {
  try {
    return execFileSync("sh", ["-c", "command -v pulumi"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("no `pulumi` on PATH: run the tests through `npm test` (it builds the offline toolchain) or source scripts/env.sh");
  }
}

export interface TestProject {
  workDir: string;
  backendDir: string;
  stack: Stack;
  env: Record<string, string>;
  /** Run the pulumi CLI in the project with the test backend (for commands the Automation API lacks). */
  cli(args: string[], extraEnv?: Record<string, string>): string;
  cleanup(): void;
}

/**
 * Lays out `sources` (paths relative to `from`) in a temp dir: Pulumi.yaml and package.json copied,
 * the rest symlinked, plus the repository's node_modules.
 */
export async function createTestProject(opts: { from?: string; sources?: string[]; stackName?: string; config?: ConfigMap; env?: Record<string, string>; backendDir?: string }): Promise<TestProject> {
  pulumiBinary();
  const from = opts.from ?? ROOT;
  const base = mkdtempSync(join(tmpdir(), "vr-engine-"));
  const workDir = join(base, "project");
  const backendDir = opts.backendDir ?? join(base, "backend");
  mkdirSync(workDir);
  mkdirSync(backendDir, { recursive: true });
  const sources = opts.sources ?? readdirSync(from).filter((f) => !f.startsWith("Pulumi.") || f === "Pulumi.yaml");
  for (const s of sources) {
    if (s === "Pulumi.yaml" || s === "package.json") copyFileSync(join(from, s), join(workDir, s));
    else symlinkSync(join(from, s), join(workDir, s));
  }
  if (!existsSync(join(workDir, "node_modules"))) symlinkSync(join(ROOT, "node_modules"), join(workDir, "node_modules"));
  const env: Record<string, string> = {
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    PULUMI_BACKEND_URL: `file://${backendDir}`,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    // Offline build: no plugin download, ever. With a system pulumi (internet) the engine may fetch them.
    ...(process.env.VAST_RERANKER_PULUMI_MODE === "built" ? { PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true" } : {}),
    ...(opts.env ?? {}),
  };
  const stack = await LocalWorkspace.createOrSelectStack({ stackName: opts.stackName ?? "test", workDir }, { envVars: env });
  if (opts.config) await stack.setAllConfig(opts.config);
  return {
    workDir, backendDir, stack, env,
    cli(args, extraEnv) {
      return execFileSync("pulumi", [...args, "--stack", stack.name, "--non-interactive"], {
        cwd: workDir, env: { ...process.env, ...env, ...extraEnv }, encoding: "utf8", maxBuffer: 64 << 20,
      });
    },
    cleanup() {
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Every file under `dir` whose text contains `needle` (for plaintext secret scans). */
export function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        try {
          if (readFileSync(p).includes(needle)) hits.push(p);
        } catch { /* unreadable: ignore */ }
      }
    }
  };
  if (existsSync(dir)) walk(dir);
  return hits;
}
