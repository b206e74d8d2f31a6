// vast-reranker:minReadyReplicas through the real engine: with 2 of 3 required, a replica whose every
// boot attempt fails is recorded as failed (its instance destroyed), `up` succeeds with the other two,
// and the next `up` rents it again. With two failing, `up` fails naming both and why, and the one
// ready replica stays tracked in state. No instance is ever left untracked.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestProject } from "../helpers/engine.ts";
import { liveInstances as live } from "../helpers/stack.ts";
import type { RunningEmulator } from "../../emulator/types.ts";
import { replicaStack, type Replica } from "../helpers/replicas.ts";

const INSTANCE = "pulumi-nodejs:dynamic/vast:Instance";
type StateResource = { type: string; urn: string; id?: string; outputs?: Record<string, unknown> };

describe("replicas: minReadyReplicas", () => {
  let emu: RunningEmulator;
  let p: TestProject;
  const stateInstances = () => (JSON.parse(p.cli(["stack", "export"])) as { deployment: { resources: StateResource[] } })
    .deployment.resources.filter((r) => r.type === INSTANCE);
  beforeAll(async () => {
    // One attempt per replica, so a fault on a replica's machine fails its boot outright. Placement
    // gives replica k the k-th machine of the ranking: 5001, 5002, 5003 (sharedMachineMarket).
    ({ emu, p } = await replicaStack("quorum", 3, undefined, { minReadyReplicas: "2", maxAttempts: "1" }));
  }, 120_000);
  afterAll(async () => {
    p?.cleanup();
    await emu?.stop();
  });

  it("2 of 3 ready is enough: the failed replica is reported and tried again by the next up", async () => {
    emu.injectFault({ kind: "boot_exited", machineId: 5003, count: -1 });
    const up = await p.stack.up();
    expect(up.summary.result).toBe("succeeded");
    const replicas = up.outputs.replicas.value as Replica[];
    expect(replicas).toHaveLength(2);
    expect(up.outputs.endpoints.value).toEqual(replicas.map((r) => r.endpoint));
    expect(up.outputs.endpoint.value).toBe(replicas[0].endpoint);
    const failed = up.outputs.failedReplicas.value as Array<{ replica: string; reason: string }>;
    expect(failed.map((f) => f.replica)).toEqual(["reranker-2"]);
    expect(failed[0].reason).toMatch(/no Vast instance became ready .*exited/);
    const reports = (up.outputs.probeReports.value as string[]).map((r) => JSON.parse(r) as { ok: boolean; skipped?: boolean });
    expect(reports.map((r) => r.ok)).toEqual([true, true, false]);
    expect(reports[2].skipped).toBe(true);
    // Only the two ready instances bill; the failed boot's instance was destroyed; state tracks exactly those.
    expect(live(emu).map((i) => i.id).sort()).toEqual(replicas.map((r) => r.instanceId).sort());
    expect(emu.instances().filter((i) => i.machine_id === 5003).every((i) => i._emulator.destroyed)).toBe(true);
    const rec = stateInstances().find((r) => r.urn.endsWith("::reranker-2-instance"));
    expect(rec?.outputs).toMatchObject({ status: "failed", instanceId: 0 });

    // The host is fixed: the next up replaces only the failed record; the two others keep their instances.
    emu.clearFaults();
    const again = await p.stack.up();
    const three = again.outputs.replicas.value as Replica[];
    expect(three).toHaveLength(3);
    expect(three.slice(0, 2).map((r) => r.instanceId)).toEqual(replicas.map((r) => r.instanceId));
    expect(new Set(three.map((r) => r.machineId)).size).toBe(3);
    expect(again.outputs.failedReplicas.value).toEqual([]);
    expect(again.summary.resourceChanges).toMatchObject({ replace: 2 }); // reranker-2's record and its probe
    await p.stack.destroy();
    expect(live(emu)).toHaveLength(0);
  }, 400_000);

  it("1 of 3 ready is too few: up fails naming both failed replicas and why; the ready one stays tracked", async () => {
    emu.injectFault({ kind: "boot_exited", machineId: 5002, count: -1 });
    emu.injectFault({ kind: "boot_exited", machineId: 5003, count: -1 });
    let message = "";
    try {
      await p.stack.up();
    } catch (e) {
      message = String((e as Error).message);
    }
    expect(message).toMatch(/only 1 of 3 replicas became ready; vast-reranker:minReadyReplicas is 2/);
    expect(message).toMatch(/reranker-1: no Vast instance became ready/);
    expect(message).toMatch(/reranker-2: no Vast instance became ready/);
    // Printed as the message alone, not as an unhandled exception with a stack.
    expect(message).not.toMatch(/at .*replicaQuorum\.ts/);
    const liveIds = live(emu).map((i) => i.id);
    expect(liveIds).toHaveLength(1);
    const tracked = stateInstances().map((r) => Number(r.outputs?.instanceId ?? 0)).filter((id) => id > 0);
    expect(tracked).toEqual(liveIds);
    emu.clearFaults();
    await p.stack.destroy();
    expect(live(emu)).toHaveLength(0);
  }, 400_000);
});
