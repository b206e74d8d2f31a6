// Processes of the benchmark (tools/bench/bench.ts): spawning with exit timestamps, pulumi in a
// throwaway project with the benchmark's backend, CPU time of the whole process tree.
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { childCpuSeconds } from "./report.ts";

export const ROOT = resolve(import.meta.dirname, "../..");

/** The environment every pulumi command of the benchmark runs in (bench.ts fills it in). */
export const pulumiEnv: NodeJS.ProcessEnv = {};

export interface Ran {
  code: number | null;
  ms: number;
  /** performance.now() when the process exited (not when its pipes closed). */
  exitedAt: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolveRun, reject) => {
    const t0 = performance.now();
    let exitedAt = 0;
    let code: number | null = null;
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => { stdout += d; });
    child.stderr.on("data", (d: Buffer) => { stderr += d; });
    child.on("error", reject);
    child.on("exit", (c) => { exitedAt = performance.now(); code = c; });
    child.on("close", () => resolveRun({ code, ms: exitedAt - t0, exitedAt, stdout, stderr }));
  });
}

/** `pulumi <args>` with stdout and stderr as one text (for error messages) and its time. */
export async function pulumiCli(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; ms: number; out: string; stdout: string }> {
  const r = await run("pulumi", args, cwd, env);
  return { code: r.code, ms: r.ms, out: r.stdout + r.stderr, stdout: r.stdout };
}

export interface Project {
  name: string;
  dir: string;
  stack: string;
}

const CPU_MARK = "@@bench-times@@";

/**
 * Runs pulumi; with `cpu`, under `sh` whose `times` then reports the CPU time of the whole process tree
 * (CLI, language host, program, plugins, dynamic provider: each is waited for by its parent).
 */
export async function pulumi(p: Project, args: string[], allowFail = false, cpu = false): Promise<Ran & { cpuS?: number }> {
  const argv = [...args, "--stack", p.stack, "--non-interactive"];
  const r: Ran & { cpuS?: number } = cpu
    ? await run("/bin/sh", ["-c", `pulumi "$@"; rc=$?; printf '\\n${CPU_MARK}' >&2; times >&2; exit $rc`, "sh", ...argv], p.dir, pulumiEnv)
    : await run("pulumi", argv, p.dir, pulumiEnv);
  if (cpu) {
    const at = r.stderr.lastIndexOf(CPU_MARK);
    r.cpuS = at < 0 ? undefined : childCpuSeconds(r.stderr.slice(at + CPU_MARK.length));
  }
  if (r.code !== 0 && !allowFail) {
    throw new Error(`pulumi ${args.join(" ")} (${p.name}) exited ${r.code}:\n${(r.stdout + r.stderr).split("\n").slice(-40).join("\n")}`);
  }
  return r;
}

/** A throwaway copy of a program: Pulumi.yaml and package.json copied, sources symlinked (as tests/helpers/engine.ts). */
export function layout(base: string, name: string, from: string, sources: string[], stack: string): Project {
  const dir = join(base, name);
  mkdirSync(dir);
  for (const s of sources) {
    if (s === "Pulumi.yaml" || s === "package.json") copyFileSync(join(from, s), join(dir, s));
    else symlinkSync(join(from, s), join(dir, s));
  }
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return { name, dir, stack };
}

