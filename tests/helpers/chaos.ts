// Chaos-test helpers: run the pulumi CLI in its own process group, crash it (SIGKILL of the CLI and
// every process under it) or Ctrl-C it (SIGINT to its group, as a terminal does), wait on emulator
// events, and check the emulator's instance list against what the stacks' state knows.
//
// Note: the CLI starts each plugin (language host, program, dynamic provider, random, command) in a
// process group of its own, so a signal to the CLI's group reaches the CLI only. That is what a
// terminal's Ctrl-C does; a crash is emulated by killing the whole process tree (killHard).
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { RunningEmulator } from "../../emulator/types.ts";
import { instanceIdsInState } from "../../tools/reaper/orphans.ts";
import { ROOT, type TestProject } from "./engine.ts";
import { liveInstances } from "./stack.ts";
import { waitUntil } from "./wait.ts";

export const RENT_ROUTE = "PUT /api/v0/asks/:id";

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr, interleaved as they arrived. */
  output: string;
}

export interface PulumiRun {
  child: ChildProcess;
  /** Everything printed so far (stdout + stderr). */
  output(): string;
  done: Promise<RunResult>;
  /** Sends `signal` to the CLI's process group (the plugins sit in groups of their own). */
  signalGroup(signal: NodeJS.Signals): void;
}

/** Every byte any pulumi command printed in this test process (for plaintext-secret scans). */
const engineOutput: string[] = [];
export function allEngineOutput(): string {
  return engineOutput.join("");
}

/**
 * Starts `pulumi <args> --stack <stack> --non-interactive` in the project, detached into its own
 * process group. Never throws on a failing command: the result carries the exit code and output.
 */
export function spawnPulumi(p: TestProject, args: string[], extraEnv: Record<string, string> = {}): PulumiRun {
  const child = spawn("pulumi", [...args, "--stack", p.stack.name, "--non-interactive"], {
    cwd: p.workDir,
    env: { ...process.env, ...p.env, ...extraEnv },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const onData = (b: Buffer) => {
    const s = b.toString("utf8");
    out += s;
    engineOutput.push(s);
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const done = new Promise<RunResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, output: out }));
  });
  return {
    child,
    output: () => out,
    done,
    signalGroup(signal) {
      try {
        process.kill(-(child.pid as number), signal);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
      }
    },
  };
}

/** Runs a pulumi command to completion (never throws on a non-zero exit). */
export async function runPulumi(p: TestProject, args: string[], extraEnv: Record<string, string> = {}): Promise<RunResult> {
  return spawnPulumi(p, args, extraEnv).done;
}

/** Like runPulumi, but a non-zero exit fails with the command's output. */
export async function pulumiOk(p: TestProject, args: string[], extraEnv: Record<string, string> = {}): Promise<string> {
  const r = await runPulumi(p, args, extraEnv);
  if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${r.code ?? r.signal}:\n${r.output.slice(-4000)}`);
  return r.output;
}

/** True while any process of the group still exists. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  cmdline: string;
}

function processTable(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const d of readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // state ppid pgrp ...
      if (f[0] === "Z") continue;
      out.push({ pid: Number(d), ppid: Number(f[1]), pgid: Number(f[2]), cmdline: readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0").join(" ").trim() });
    } catch { /* exited meanwhile */ }
  }
  return out;
}

/**
 * Live descendants of `pid` (Linux /proc). Plugins may start children in process groups of their
 * own (the command provider does for the probe), so the CLI's group is not the whole tree.
 */
export function descendants(pid: number): ProcInfo[] {
  const table = processTable();
  const found: ProcInfo[] = [];
  let frontier = [pid];
  while (frontier.length) {
    const kids = table.filter((p) => frontier.includes(p.ppid));
    found.push(...kids);
    frontier = kids.map((k) => k.pid);
  }
  return found;
}


export { waitUntil };

/**
 * Kills the CLI's process group with SIGKILL, and any descendant that a plugin moved to a group of its
 * own (as a machine crash would), then waits until no process of the group is left.
 */
export async function killHard(run: PulumiRun): Promise<RunResult> {
  const tree = descendants(run.child.pid as number);
  run.signalGroup("SIGKILL");
  for (const p of tree) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch { /* already gone */ }
  }
  const r = await run.done;
  await waitUntil("the killed process group to be gone", () => !groupAlive(run.child.pid as number), 10_000, 20);
  return r;
}

/**
 * Brings a stack back to empty after a failed scenario (so the next one starts clean): unlock, drop
 * pending creates, destroy, and reset the emulator (kills anything left). Never throws.
 */
export async function resetAfterFailure(p: TestProject, emu: RunningEmulator): Promise<void> {
  for (const args of [["cancel", "--yes"], ["refresh", "--clear-pending-creates", "--yes"], ["destroy", "--yes", "--skip-preview"]]) {
    await runPulumi(p, args).catch(() => undefined);
  }
  emu.clearFaults();
  await emu.reset();
}

/** How many rent calls (`PUT /api/v0/asks/:id`) the emulator has answered. */
export function rentCalls(emu: RunningEmulator): number {
  return emu.routeCounts()[RENT_ROUTE] ?? 0;
}

export interface ExportedState {
  deployment: {
    resources?: Array<{ urn: string; type: string; id?: string; outputs?: Record<string, unknown>; initErrors?: string[] }>;
    pending_operations?: Array<{ type: string; resource: { urn: string; type: string; id?: string } }>;
  };
}

/** The stack's checkpoint through the CLI (`pulumi stack export`, secrets stay encrypted). */
export function exportState(p: TestProject): ExportedState {
  return JSON.parse(p.cli(["stack", "export"])) as ExportedState;
}

/** Vast instance ids the stack's state tracks (resources and pending creates). */
export function trackedIds(p: TestProject): number[] {
  return instanceIdsInState(exportState(p));
}

/**
 * Live emulator instances that no given stack tracks: each would be a leak (a machine billing that
 * no `pulumi destroy` would remove).
 */
export function unknownInstances(emu: RunningEmulator, projects: TestProject[]): number[] {
  const known = new Set(projects.flatMap((p) => trackedIds(p)));
  return liveInstances(emu).map((i) => i.id).filter((id) => !known.has(id));
}

/** The deployment's exported outputs as plain values (through the CLI, secrets decrypted). */
export function stackOutputs(p: TestProject): Record<string, unknown> {
  return JSON.parse(p.cli(["stack", "output", "--json", "--show-secrets"])) as Record<string, unknown>;
}

export interface ScenarioResult {
  suite: string;
  scenario: string;
  leaked: number;
  secretHits?: number;
  rents?: number;
  note?: string;
}

const results: ScenarioResult[] = [];

/** Records a scenario's measured result (call it before asserting, so a failure is still counted). */
export function recordScenario(r: ScenarioResult): void {
  results.push(r);
  const dir = join(ROOT, ".cache");
  try {
    mkdirSync(dir, { recursive: true });
    appendFileSync(join(dir, "chaos-results.jsonl"), `${JSON.stringify({ ts: new Date().toISOString(), ...r })}\n`);
  } catch { /* best effort */ }
}

/** One line per suite for docs/reliability.md: scenarios, leaked instances, plaintext secret hits. */
export function summaryLine(suite: string): string {
  const mine = results.filter((r) => r.suite === suite);
  const leaked = mine.reduce((s, r) => s + r.leaked, 0);
  const hits = mine.reduce((s, r) => s + (r.secretHits ?? 0), 0);
  return `[chaos-summary] suite=${suite} scenarios=${mine.length} leaked_instances=${leaked} plaintext_secret_hits=${hits} :: ${mine.map((r) => `${r.scenario}=${r.leaked === 0 && !r.secretHits ? "ok" : "LEAK"}`).join(", ")}`;
}
