// Chaos: `pulumi up` killed (SIGKILL of the CLI and every process under it: language host,
// program, dynamic provider, plugins, probe) at three points of the create, and interrupted with
// Ctrl-C (SIGINT to the CLI's process group, as a terminal sends it). After
// each, the documented recovery must end with exactly one instance, adopted rather than rented again,
// verified by the probe, known to state; and `pulumi destroy` must leave nothing in the emulator.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { join } from "node:path";
import { ROOT, createTestProject, type TestProject } from "../helpers/engine.ts";
import { startEmulator } from "../../emulator/index.ts";
import type { RunningEmulator } from "../../emulator/types.ts";
import { FAST_BOOT, FAST_POLLS, STACK_SOURCES, liveInstances, localStackConfig } from "../helpers/stack.ts";
import {
  descendants, exportState, killHard, pulumiOk, recordScenario, rentCalls, resetAfterFailure, runPulumi,
  spawnPulumi, stackOutputs, summaryLine, trackedIds, unknownInstances, waitUntil, type PulumiRun,
} from "../helpers/chaos.ts";

const SUITE = "chaos-kill";
const INSTANCE_TYPE = "pulumi-nodejs:dynamic/vast:Instance";
const COMMAND_TYPE = "command:local:Command";

let emu: RunningEmulator;
let p: TestProject;

beforeAll(async () => {
  emu = await startEmulator(FAST_BOOT);
  p = await createTestProject({ sources: STACK_SOURCES, stackName: "kill", config: localStackConfig(emu), env: FAST_POLLS });
}, 120_000);

// A failed scenario must not leave its instance to the next one.
afterEach(async ({ task }) => {
  if (task.result?.state === "fail") await resetAfterFailure(p, emu);
}, 120_000);

afterAll(async () => {
  console.log(summaryLine(SUITE));
  p?.cleanup();
  await emu?.stop();
});

const up = () => spawnPulumi(p, ["up", "--yes", "--skip-preview"]);
const newInstance = (before: number) => liveInstances(emu).find((i) => i.id > before);
const maxId = () => Math.max(0, ...emu.instances().map((i) => i.id));

function pendingCreates(): Array<{ type: string; resourceType: string }> {
  return (exportState(p).deployment.pending_operations ?? []).map((o) => ({ type: o.type, resourceType: o.resource.type }));
}

/** The recovery docs/reliability.md prescribes after a killed `up` (file backend). */
async function recover(): Promise<string> {
  await pulumiOk(p, ["cancel", "--yes"]); // the killed CLI left the stack's lock file
  await pulumiOk(p, ["refresh", "--clear-pending-creates", "--yes"]);
  expect(pendingCreates()).toEqual([]);
  return pulumiOk(p, ["up", "--yes", "--skip-preview"]);
}

/** Exactly one instance, the one from before the kill, tracked and verified; then destroy leaves nothing. */
async function expectRecoveredThenDestroy(scenario: string, instanceId: number, rentsAfterKill: number, upLog: string): Promise<void> {
  const live = liveInstances(emu);
  const unknown = unknownInstances(emu, [p]);
  const outputs = stackOutputs(p);
  const report = JSON.parse(String(outputs.probeReport ?? "{}")) as { ok?: boolean };
  const down = await runPulumi(p, ["destroy", "--yes", "--skip-preview"]);
  const left = liveInstances(emu).length;
  recordScenario({ suite: SUITE, scenario, leaked: unknown.length + left, rents: rentCalls(emu) });

  expect(live.map((i) => i.id)).toEqual([instanceId]);
  expect(rentCalls(emu)).toBe(rentsAfterKill); // adopted or kept, never rented twice
  expect(unknown).toEqual([]);
  expect(trackedIds(p)).toEqual([]); // after destroy
  expect(outputs.instanceId).toBe(instanceId);
  expect(outputs.endpoint).toBe(`http://${live[0].public_ipaddr}:${live[0].ports?.["8000/tcp"]?.[0]?.HostPort}`);
  expect(report.ok).toBe(true);
  expect(upLog).not.toMatch(/renting offer/);
  expect(down.code, down.output.slice(-2000)).toBe(0);
  expect(left).toBe(0);
}

async function killWhen(run: PulumiRun, what: string, cond: () => boolean): Promise<void> {
  await waitUntil(what, cond, 120_000);
  const r = await killHard(run);
  expect(r.signal).toBe("SIGKILL");
}

describe("SIGKILL of pulumi up (CLI, language host, program and plugins)", () => {
  it("just after the rent call: the next up adopts the instance by its label", async () => {
    const rentsBefore = rentCalls(emu);
    const idBefore = maxId();
    const run = up();
    await killWhen(run, "the rent call", () => rentCalls(emu) > rentsBefore);
    const rentsAfterKill = rentCalls(emu);
    expect(rentsAfterKill).toBe(rentsBefore + 1);

    // The instance exists and bills, yet state does not know it: only a pending create records the attempt.
    const orphan = await waitUntil("the rented instance", () => newInstance(idBefore), 10_000);
    expect(orphan.label).toMatch(/^vast-reranker\.kill\.reranker\.[0-9a-f]{8}\.[0-9a-f]{8}$/);
    expect(trackedIds(p)).toEqual([]);
    expect(pendingCreates()).toEqual([{ type: "creating", resourceType: INSTANCE_TYPE }]);

    // Without `pulumi cancel` the file backend refuses: the killed CLI still holds the lock.
    const locked = await runPulumi(p, ["up", "--yes", "--skip-preview"]);
    expect(locked.code).not.toBe(0);
    expect(locked.output).toMatch(/locked[\s\S]*pulumi cancel/);

    const log = await recover();
    expect(log).toMatch(new RegExp(`adopting instance ${orphan.id} \\(label ${(orphan.label ?? "").replace(/\./g, "\\.")}, \\w+\\) left by an interrupted run`));
    await expectRecoveredThenDestroy("sigkill-after-rent", orphan.id, rentsAfterKill, log);
  }, 300_000);

  it("while waiting for the instance to run: the next up adopts it and resumes waiting", async () => {
    emu.configure({ loadingMs: 5000 });
    try {
      const idBefore = maxId();
      const run = up();
      await killWhen(run, "the instance to be loading", () => newInstance(idBefore)?.actual_status === "loading");
      const orphan = newInstance(idBefore);
      expect(orphan?.actual_status).toBe("loading");
      expect(trackedIds(p)).toEqual([]);
      expect(pendingCreates()).toEqual([{ type: "creating", resourceType: INSTANCE_TYPE }]);
      const rentsAfterKill = rentCalls(emu);

      const log = await recover();
      expect(log).toContain(`adopting instance ${orphan?.id}`);
      expect(log).toMatch(/\[resume\] instance \d+ running at/);
      await expectRecoveredThenDestroy("sigkill-while-booting", orphan?.id as number, rentsAfterKill, log);
    } finally {
      emu.configure({ loadingMs: FAST_BOOT.loadingMs });
    }
  }, 300_000);

  it("while the readiness probe runs: the instance is in state, the next up only re-runs the probe", async () => {
    emu.configure({ modelLoadMs: 8000 });
    try {
      const idBefore = maxId();
      const run = up();
      // The probe's own process (node components/readiness/probe.ts) is running under the CLI.
      await killWhen(run, "the readiness probe to run", () => descendants(run.child.pid as number).some((d) => d.cmdline.includes("readiness/probe.ts")));
      const inst = newInstance(idBefore);
      expect(inst?.actual_status).toBe("running");
      expect(trackedIds(p)).toEqual([inst?.id]);
      expect(pendingCreates()).toEqual([{ type: "creating", resourceType: COMMAND_TYPE }]);
      const rentsAfterKill = rentCalls(emu);

      const log = await recover();
      expect(log).not.toContain("adopting");
      expect(log).toMatch(/reranker-readiness created/);
      await expectRecoveredThenDestroy("sigkill-during-readiness", inst?.id as number, rentsAfterKill, log);
    } finally {
      emu.configure({ modelLoadMs: FAST_BOOT.modelLoadMs });
    }
  }, 300_000);
});

describe("SIGKILL just after the rent, then `pulumi destroy` instead of the recovery", () => {
  it("destroy's label sweeper removes the instance state never saw; the reaper then finds nothing", async () => {
    const rentsBefore = rentCalls(emu);
    const idBefore = maxId();
    const run = up();
    await killWhen(run, "the rent call", () => rentCalls(emu) > rentsBefore);
    const orphan = await waitUntil("the rented instance", () => newInstance(idBefore), 10_000);
    expect(unknownInstances(emu, [p])).toEqual([orphan.id]);
    await pulumiOk(p, ["cancel", "--yes"]);
    const down = await runPulumi(p, ["destroy", "--yes", "--skip-preview"]);
    expect(down.code, down.output.slice(-2000)).toBe(0);
    expect(down.output).toContain(`destroying instance ${orphan.id}`);
    const left = liveInstances(emu).length;

    // Asynchronously: the emulator answers from this process's event loop.
    const reaper = async (...args: string[]) => (await promisify(execFile)("node", [join(ROOT, "tools/reaper/reaper.ts"), ...args], {
      cwd: p.workDir, env: { ...process.env, ...p.env, VAST_API_KEY: emu.apiKey, VAST_API_URL: emu.url }, encoding: "utf8",
    })).stdout;
    const listed = await reaper();
    recordScenario({ suite: SUITE, scenario: "sigkill-then-destroy", leaked: left, note: "destroy's label sweeper removes the unseen instance" });
    expect(left).toBe(0);
    expect(listed).toContain("no orphaned instances");
    await pulumiOk(p, ["refresh", "--clear-pending-creates", "--yes"]); // leave the stack clean for the next scenario
  }, 300_000);
});

describe("SIGKILL of the CLI process alone (`kill -9 <pid>`, an OOM kill)", () => {
  it("its plugins linger and the provider finishes the create unseen; the next up adopts that instance", async () => {
    emu.configure({ loadingMs: 2000 });
    const idBefore = maxId();
    const run = up();
    let lingering: ReturnType<typeof descendants> = [];
    try {
      await waitUntil("the instance to be loading", () => newInstance(idBefore)?.actual_status === "loading", 120_000);
      lingering = descendants(run.child.pid as number);
      process.kill(run.child.pid as number, "SIGKILL");
      await run.done;
      // Pulumi starts each plugin in a process group of its own: they survive the CLI. The dynamic
      // provider keeps polling until the instance runs, then has nobody to report to.
      const inst = await waitUntil("the orphaned provider to see the instance running", () => {
        const i = newInstance(idBefore);
        return i?.actual_status === "running" ? i : undefined;
      }, 60_000);
      expect(lingering.some((d) => d.cmdline.includes("dynamic-provider"))).toBe(true);
      expect(lingering.filter((d) => processAlive(d.pid)).length).toBeGreaterThan(0);
      expect(trackedIds(p)).toEqual([]);
      const rentsAfterKill = rentCalls(emu);

      const log = await recover();
      expect(log).toContain(`adopting instance ${inst.id}`);
      await expectRecoveredThenDestroy("sigkill-cli-only", inst.id, rentsAfterKill, log);
    } finally {
      for (const d of lingering) if (processAlive(d.pid)) process.kill(d.pid, "SIGKILL");
      emu.configure({ loadingMs: FAST_BOOT.loadingMs });
    }
  }, 300_000);
});

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("Ctrl-C (SIGINT to the CLI's process group) during the create", () => {
  it("cancels cleanly: the in-flight create finishes into state, and destroy leaves nothing", async () => {
    emu.configure({ loadingMs: 3000 });
    try {
      const idBefore = maxId();
      const run = up();
      await waitUntil("the instance to be loading", () => newInstance(idBefore)?.actual_status === "loading", 120_000);
      run.signalGroup("SIGINT");
      const r = await run.done;
      const inst = newInstance(idBefore);
      expect(r.code).not.toBe(0);
      expect(r.output).toMatch(/\^C received; cancelling/);
      expect(r.output).toMatch(/update canceled/);
      // The engine let the provider finish: the instance is in state, no pending operation, no lock.
      expect(pendingCreates()).toEqual([]);
      const unknownAfterInt = unknownInstances(emu, [p]);
      expect(unknownAfterInt).toEqual([]);
      expect(trackedIds(p)).toEqual([inst?.id]);

      const down = await runPulumi(p, ["destroy", "--yes", "--skip-preview"]);
      const left = liveInstances(emu).length;
      recordScenario({ suite: SUITE, scenario: "sigint-then-destroy", leaked: unknownAfterInt.length + left, rents: rentCalls(emu) });
      expect(down.code, down.output.slice(-2000)).toBe(0);
      expect(left).toBe(0);
      expect(emu.instances().find((i) => i.id === inst?.id)?._emulator.destroyed).toBe(true);
    } finally {
      emu.configure({ loadingMs: FAST_BOOT.loadingMs });
    }
  }, 300_000);
});
