// Leaves nothing running after a test run. Every process a test starts (emulators, instance servers,
// real vLLM, pulumi CLIs, language hosts, plugins, probes) inherits VR_TEST_RUN from the run; plugins
// run in process groups of their own and outlive a CLI that exits or is killed first (a race seen in
// about one of 60 failing previews), so the run ends by killing, by PID, whatever still carries it.
// Used as vitest's globalSetup, and by scripts/test.sh after vitest (also on SIGTERM/SIGINT):
//   node tests/setup/processSweep.ts <run id>
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";

/** PIDs (other than this process) whose environment holds VR_TEST_RUN=<run>. */
export function runProcesses(run: string): Array<{ pid: number; cmd: string }> {
  const needle = Buffer.from(`\0VR_TEST_RUN=${run}\0`);
  const found: Array<{ pid: number; cmd: string }> = [];
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid || pid === process.ppid) continue;
    try {
      const env = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${pid}/environ`)]);
      if (!env.includes(needle)) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      if (/vitest/.test(cmd)) continue; // vitest's own workers and watchdog: it stops them itself
      found.push({ pid, cmd: cmd.slice(0, 160) });
    } catch {
      /* gone, or not ours to read */
    }
  }
  return found;
}

/** SIGKILLs every process of the run; returns what was left (for the log). */
export function sweep(run: string): Array<{ pid: number; cmd: string }> {
  const left = runProcesses(run);
  for (const p of left) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
  return left;
}

function report(left: Array<{ pid: number; cmd: string }>): void {
  if (left.length === 0) return;
  process.stderr.write(`process sweep: killed ${left.length} leftover process(es) of this test run:\n${left.map((p) => `  ${p.pid} ${p.cmd}`).join("\n")}\n`);
}

// vitest globalSetup: one run id for the main process and (by inheritance) every worker and child.
export default function setup(): () => void {
  const run = (process.env.VR_TEST_RUN ||= randomBytes(8).toString("hex"));
  return () => report(sweep(run));
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const run = process.argv[2];
  if (!run) {
    process.stderr.write("usage: node tests/setup/processSweep.ts <run id>\n");
    process.exit(2);
  }
  report(sweep(run));
}
