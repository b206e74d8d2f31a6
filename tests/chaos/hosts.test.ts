// Chaos: concurrency and hosts — two stacks deploying at once on one Vast account (labels
// never collide, each destroys only its own), a host going offline after the deploy (refresh + up
// replaces it), and a model that never loads (the deploy fails clearly, the instance stays tracked,
// destroy removes it). Each scenario ends with an assertion on the emulator's instance list.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestProject, type TestProject } from "../helpers/engine.ts";
import { startEmulator } from "../../emulator/index.ts";
import type { RunningEmulator } from "../../emulator/types.ts";
import { FAST_BOOT, FAST_POLLS, STACK_SOURCES, liveInstances, localStackConfig } from "../helpers/stack.ts";
import {
  exportState, pulumiOk, recordScenario, rentCalls, resetAfterFailure, runPulumi, spawnPulumi, stackOutputs,
  summaryLine, trackedIds, unknownInstances, waitUntil,
} from "../helpers/chaos.ts";

const SUITE = "chaos-hosts";
const INSTANCE_TYPE = "pulumi-nodejs:dynamic/vast:Instance";

let emu: RunningEmulator;
let p: TestProject;
let q: TestProject | undefined;

beforeAll(async () => {
  emu = await startEmulator(FAST_BOOT);
  p = await createTestProject({ sources: STACK_SOURCES, stackName: "dev", config: localStackConfig(emu), env: FAST_POLLS });
}, 120_000);

afterEach(async ({ task }) => {
  if (task.result?.state === "fail") {
    if (q) await resetAfterFailure(q, emu);
    await resetAfterFailure(p, emu);
  }
  emu.clearFaults();
}, 180_000);

afterAll(async () => {
  console.log(summaryLine(SUITE));
  q?.cleanup();
  p?.cleanup();
  await emu?.stop();
});

function instanceOutputs(t: TestProject): Record<string, unknown> | undefined {
  return exportState(t).deployment.resources?.find((r) => r.type === INSTANCE_TYPE)?.outputs;
}

function probeOk(t: TestProject): boolean {
  return (JSON.parse(String(stackOutputs(t).probeReport ?? "{}")) as { ok?: boolean }).ok === true;
}

describe("two stacks, hosts that fail", () => {
  it("two stacks named alike (two backends, one Vast account) deploy at once: distinct labels, each destroys only its own", async () => {
    // The hardest case for labels: same prefix, same stack name, same resource name; only the
    // RandomId nonce in each state tells them apart.
    q = await createTestProject({ sources: STACK_SOURCES, stackName: "dev", config: localStackConfig(emu), env: FAST_POLLS });
    const rents0 = rentCalls(emu);
    const [a, b] = await Promise.all([spawnPulumi(p, ["up", "--yes", "--skip-preview"]).done, spawnPulumi(q, ["up", "--yes", "--skip-preview"]).done]);
    expect(a.code, a.output.slice(-2000)).toBe(0);
    expect(b.code, b.output.slice(-2000)).toBe(0);
    expect(a.output).not.toContain("adopting");
    expect(b.output).not.toContain("adopting");

    const live = liveInstances(emu);
    expect(live).toHaveLength(2);
    expect(rentCalls(emu) - rents0).toBe(2);
    const [pIds, qIds] = [trackedIds(p), trackedIds(q)];
    expect(pIds).toHaveLength(1);
    expect(qIds).toHaveLength(1);
    expect(pIds[0]).not.toBe(qIds[0]);
    expect(new Set(live.map((i) => i.id))).toEqual(new Set([pIds[0], qIds[0]]));
    const labels = live.map((i) => i.label as string);
    expect(new Set(labels).size).toBe(2);
    for (const l of labels) expect(l).toMatch(/^vast-reranker\.dev\.reranker\.[0-9a-f]{8}\.[0-9a-f]{8}$/);
    // Each state's label is the one on its own instance.
    expect(instanceOutputs(p)?.label).toBe(live.find((i) => i.id === pIds[0])?.label);
    expect(instanceOutputs(q)?.label).toBe(live.find((i) => i.id === qIds[0])?.label);
    expect(stackOutputs(p).endpoint).not.toBe(stackOutputs(q).endpoint);
    const unknown = unknownInstances(emu, [p, q]);

    await pulumiOk(p, ["destroy", "--yes", "--skip-preview"]);
    const afterFirst = liveInstances(emu).map((i) => i.id);
    expect(afterFirst).toEqual([qIds[0]]); // the other stack's instance is untouched
    expect(probeOk(q)).toBe(true);
    await pulumiOk(q, ["destroy", "--yes", "--skip-preview"]);
    const left = liveInstances(emu).length;
    recordScenario({ suite: SUITE, scenario: "two-stacks-at-once", leaked: unknown.length + left, rents: rentCalls(emu) - rents0 });
    expect(unknown).toEqual([]);
    expect(left).toBe(0);
  }, 300_000);

  it("host goes offline after the deploy: refresh records it, up replaces the instance (old one destroyed first)", async () => {
    await pulumiOk(p, ["up", "--yes", "--skip-preview"]);
    const [old] = liveInstances(emu);
    const rents0 = rentCalls(emu);
    emu.injectFault({ kind: "offline_after_running", instanceId: old.id, delayMs: 0 });
    await waitUntil("the host to go offline", () => emu.instances().find((i) => i.id === old.id)?.actual_status === "offline", 10_000);

    // The provider confirms an `offline` reading over a minute before recording it: 3 s here.
    const refreshed = await pulumiOk(p, ["refresh", "--yes"], { VAST_TEST_WAIT_SCALE: "0.05" });
    expect(refreshed).toMatch(/stayed offline for 60 s \(\d+ readings\): recorded/);
    expect(instanceOutputs(p)?.status).toBe("offline");
    const preview = await pulumiOk(p, ["preview", "--diff"]);
    expect(preview).toMatch(/reranker-instance/);
    expect(preview).toMatch(/replace/);

    const up = await pulumiOk(p, ["up", "--yes", "--skip-preview"]);
    expect(up).toContain(`destroying instance ${old.id}`);
    const live = liveInstances(emu);
    expect(live).toHaveLength(1);
    expect(live[0].id).not.toBe(old.id);
    expect(emu.instances().find((i) => i.id === old.id)?._emulator.destroyed).toBe(true);
    expect(rentCalls(emu)).toBe(rents0 + 1);
    expect(stackOutputs(p).instanceId).toBe(live[0].id);
    expect(probeOk(p)).toBe(true);
    const unknown = unknownInstances(emu, [p]);

    const down = await runPulumi(p, ["destroy", "--yes", "--skip-preview"]);
    const left = liveInstances(emu).length;
    recordScenario({ suite: SUITE, scenario: "host-offline-refresh-up", leaked: unknown.length + left });
    expect(unknown).toEqual([]);
    expect(down.code, down.output.slice(-2000)).toBe(0);
    expect(left).toBe(0);
  }, 300_000);

  it("model never loads on any host: the provider sees each container exit before /health answers, destroys it, and up fails with nothing left", async () => {
    await p.stack.setConfig("vast-reranker:probeTimeoutSeconds", { value: "10" });
    try {
      const ids0 = emu.instances().length;
      // The provider checks /health itself, so a model that never loads is a failed boot
      // (the stand-in exits: `exited`), failed over like any other, on every host here.
      emu.injectFault({ kind: "model_load_fail", count: -1 });
      const up = await runPulumi(p, ["up", "--yes", "--skip-preview"]);
      expect(up.code).not.toBe(0);
      expect(up.output).toMatch(/no Vast instance became ready/);
      expect(up.output).toMatch(/instance is exited/);
      const created = emu.instances().slice(ids0);
      expect(created).toHaveLength(3);
      expect(emu.instanceLogs(created[0].id)).toMatch(/error/i); // the stand-in's engine error
      // Every rented instance was destroyed and confirmed: nothing in state, the outputs never resolved.
      expect(trackedIds(p)).toEqual([]);
      const outputs = stackOutputs(p);
      expect(outputs.endpoint).toBeUndefined();
      const unknown = unknownInstances(emu, [p]);

      const down = await runPulumi(p, ["destroy", "--yes", "--skip-preview"]);
      const left = liveInstances(emu).length;
      recordScenario({ suite: SUITE, scenario: "readiness-fails-then-destroy", leaked: unknown.length + left });
      expect(unknown).toEqual([]);
      expect(down.code, down.output.slice(-2000)).toBe(0);
      expect(left).toBe(0);
    } finally {
      await p.stack.setConfig("vast-reranker:probeTimeoutSeconds", { value: "60" });
    }
  }, 300_000);
});
