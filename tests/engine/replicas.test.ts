// Replicas end to end: the real engine deploys 3 verified replicas against the emulator on a market
// whose cheapest offers share a machine; each lands on its own machine; 3 → 2 destroys only the
// last; 2 → 3 adds one without touching the others; destroy leaves nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestProject } from "../helpers/engine.ts";
import { replicaStack, type Replica } from "../helpers/replicas.ts";
import type { RunningEmulator } from "../../emulator/types.ts";
import { liveInstances as live } from "../helpers/stack.ts";

describe("replicas (vast-reranker:replicas)", () => {
  let emu: RunningEmulator;
  let p: TestProject;
  beforeAll(async () => {
    ({ emu, p } = await replicaStack("local", 3));
  }, 120_000);
  afterAll(async () => {
    p?.cleanup();
    await emu?.stop();
  });

  it("3 replicas on distinct machines, all verified; 3 → 2 destroys only the last; 2 → 3 adds one", async () => {
    const up = await p.stack.up();
    expect(up.summary.result).toBe("succeeded");
    const o = Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.value])) as Record<string, unknown>;
    const replicas = o.replicas as Replica[];
    const endpoints = o.endpoints as string[];
    expect(replicas).toHaveLength(3);
    expect(endpoints).toEqual(replicas.map((r) => r.endpoint));
    expect(new Set(endpoints).size).toBe(3);
    // Single-replica outputs are replica 0's.
    expect(o.endpoint).toBe(endpoints[0]);
    expect(o.instanceId).toBe(replicas[0].instanceId);
    expect(new Set(replicas.map((r) => r.machineId)).size).toBe(3);
    expect(o.pricePerHourTotal).toBeCloseTo(replicas.reduce((s, r) => s + r.pricePerHour, 0), 5);
    for (const k of ["endpoints", "replicas", "pricePerHourTotal", "probeReports"]) expect(up.outputs[k].secret, k).toBe(false);
    const reports = (o.probeReports as string[]).map((r) => JSON.parse(r) as { ok: boolean });
    expect(reports.map((r) => r.ok)).toEqual([true, true, true]);
    const running = live(emu);
    expect(running).toHaveLength(3);
    expect(new Set(running.map((i) => i.machine_id)).size).toBe(3);
    const labels = running.map((i) => i.label ?? "");
    for (const stem of ["reranker", "reranker-1", "reranker-2"]) expect(labels.filter((l) => l.startsWith(`vast-reranker.local.${stem}.`)), stem).toHaveLength(1);

    // Every endpoint serves with the one key.
    const key = o.apiKey as string;
    const body = JSON.stringify({ model: "BAAI/bge-reranker-base", query: "What is deep learning?", documents: ["Deep learning is a type of machine learning", "I like pizza"] });
    for (const e of endpoints) {
      const res = await fetch(`${e}/v1/rerank`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body });
      expect(res.status, e).toBe(200);
    }
    await p.stack.preview({ expectNoChanges: true });

    // 3 → 2: only the last replica goes.
    await p.stack.setConfig("vast-reranker:replicas", { value: "2" });
    const down = await p.stack.up();
    expect(down.summary.resourceChanges).toMatchObject({ delete: 3 }); // reranker-2's sweeper, instance, probe
    expect(down.summary.resourceChanges?.create ?? 0).toBe(0);
    expect(down.summary.resourceChanges?.replace ?? 0).toBe(0);
    const two = down.outputs.replicas.value as Replica[];
    expect(two.map((r) => r.instanceId)).toEqual(replicas.slice(0, 2).map((r) => r.instanceId));
    expect(live(emu).map((i) => i.id).sort()).toEqual(replicas.slice(0, 2).map((r) => r.instanceId).sort());

    // 2 → 3: one more, the others untouched, on a machine of its own.
    await p.stack.setConfig("vast-reranker:replicas", { value: "3" });
    const again = await p.stack.up();
    expect(again.summary.resourceChanges?.replace ?? 0).toBe(0);
    expect(again.summary.resourceChanges?.update ?? 0).toBe(0);
    expect(again.summary.resourceChanges).toMatchObject({ create: 3 });
    const three = again.outputs.replicas.value as Replica[];
    expect(three.slice(0, 2).map((r) => r.instanceId)).toEqual(replicas.slice(0, 2).map((r) => r.instanceId));
    expect(new Set(three.map((r) => r.machineId)).size).toBe(3);

    await p.stack.destroy();
    expect(live(emu)).toHaveLength(0);
  }, 400_000);
});
