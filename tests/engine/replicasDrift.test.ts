// Replicas and drift through the real engine: of three replicas, one host goes offline and one
// instance vanishes. `pulumi refresh` reports both and changes nothing at Vast; the next `up`
// replaces exactly those two while replica 0 keeps its instance and keeps serving throughout.
import type { LocalWorkspace } from "@pulumi/pulumi/automation/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestProject } from "../helpers/engine.ts";
import { liveInstances as live } from "../helpers/stack.ts";
import type { RunningEmulator } from "../../emulator/types.ts";
import { replicaStack, type Replica } from "../helpers/replicas.ts";
import { waitUntil } from "../helpers/wait.ts";

const INSTANCE = "pulumi-nodejs:dynamic/vast:Instance";

const until = (what: string, pred: () => boolean, timeoutMs = 15_000) => waitUntil(what, pred, timeoutMs);

describe("replicas: refresh reports a dead and a vanished replica, up replaces only those", () => {
  let emu: RunningEmulator;
  let p: TestProject;
  beforeAll(async () => {
    ({ emu, p } = await replicaStack("drift", 3));
  }, 120_000);
  afterAll(async () => {
    p?.cleanup();
    await emu?.stop();
  });

  it("offline_after_running on replica 1, vanish on replica 2: refresh reports, up replaces them, replica 0 serves all along", async () => {
    const first = await p.stack.up();
    const before = first.outputs.replicas.value as Replica[];
    const key = first.outputs.apiKey.value as string;
    const [r0, r1, r2] = before;
    emu.injectFault({ kind: "offline_after_running", instanceId: r1.instanceId });
    emu.injectFault({ kind: "vanish", instanceId: r2.instanceId });
    const rec = (id: number) => emu.instances().find((i) => i.id === id);
    await until("replica 1 offline", () => rec(r1.instanceId)?.actual_status === "offline");
    await until("replica 2 vanished", () => rec(r2.instanceId)?._emulator.vanished === true);

    // Replica 0 is polled during refresh and up: it must answer every time.
    const body = JSON.stringify({ model: "BAAI/bge-reranker-base", query: "q", documents: ["a", "b"] });
    let polling = true;
    const statuses: number[] = [];
    const poller = (async () => {
      while (polling) {
        const s = await fetch(`${r0.endpoint}/v1/rerank`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body })
          .then((r) => r.status, () => 0);
        statuses.push(s);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    // refresh: reports (replica 1's status, replica 2 gone from state), destroys and rents nothing.
    emu.clearRequestLog();
    // The provider confirms an `offline` reading over a minute before recording it: 3 s here.
    const { envVars } = p.stack.workspace as LocalWorkspace;
    envVars.VAST_TEST_WAIT_SCALE = "0.05";
    await p.stack.refresh().finally(() => delete envVars.VAST_TEST_WAIT_SCALE);
    expect(emu.requestLog().filter((e) => e.method === "PUT" || e.method === "DELETE")).toEqual([]);
    const state = JSON.parse(p.cli(["stack", "export"])) as { deployment: { resources: Array<{ type: string; urn: string; id?: string; outputs?: Record<string, unknown> }> } };
    const insts = state.deployment.resources.filter((r) => r.type === INSTANCE);
    expect(insts.find((r) => r.urn.endsWith("::reranker-1-instance"))?.outputs).toMatchObject({ status: "offline" });
    expect(insts.find((r) => r.urn.endsWith("::reranker-2-instance"))).toBeUndefined();
    expect(insts.find((r) => r.urn.endsWith("::reranker-instance"))?.outputs).toMatchObject({ status: "running", instanceId: r0.instanceId });

    // up: the two are replaced, replica 0 is untouched.
    const up = await p.stack.up();
    polling = false;
    await poller;
    const after = up.outputs.replicas.value as Replica[];
    expect(after[0].instanceId).toBe(r0.instanceId);
    expect(after[1].instanceId).not.toBe(r1.instanceId);
    expect(after[2].instanceId).not.toBe(r2.instanceId);
    expect(new Set(after.map((r) => r.machineId)).size).toBe(3);
    expect(rec(r1.instanceId)?._emulator.destroyed).toBe(true);
    expect(live(emu).map((i) => i.id).sort()).toEqual(after.map((r) => r.instanceId).sort());
    expect(statuses.length).toBeGreaterThan(5);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);

    await p.stack.destroy();
    expect(live(emu)).toHaveLength(0);
  }, 400_000);
});
