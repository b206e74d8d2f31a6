// Zero-downtime change with replicas (replaceOrder auto = create-first when replicas > 1): a launch
// change replaces every replica, yet a client polling the endpoints it knows sees a verified replica
// answer at every moment: each new replica is rented and probed before any old one is destroyed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineEvent } from "@pulumi/pulumi/automation/index.js";
import type { TestProject } from "../helpers/engine.ts";
import { liveInstances as live } from "../helpers/stack.ts";
import { replicaStack, sharedMachineMarket, type Replica } from "../helpers/replicas.ts";
import type { RunningEmulator } from "../../emulator/types.ts";

const INSTANCE = "pulumi-nodejs:dynamic/vast:Instance";
const COMMAND = "command:local:Command";

describe("replicas: a launch change is rolled out create-first", () => {
  let emu: RunningEmulator;
  let p: TestProject;
  beforeAll(async () => {
    // Twice the machines: a create-first rollout holds old and new replicas at once.
    ({ emu, p } = await replicaStack("rollout", 2, [...sharedMachineMarket(), ...sharedMachineMarket().map((o, i) => ({ ...o, id: 9200 + i, ask_contract_id: 9200 + i, machine_id: 6001 + i, host_id: 6001 + i }))]));
  }, 120_000);
  afterAll(async () => {
    p?.cleanup();
    await emu?.stop();
  });

  it("maxModelLen 512 → 256 with 2 replicas: new replicas verified before any old one is destroyed; a poller never sees zero working endpoints", async () => {
    const first = await p.stack.up();
    const old = first.outputs.replicas.value as Replica[];
    const key = first.outputs.apiKey.value as string;
    await p.stack.setConfig("vast-reranker:maxModelLen", { value: "256" });

    const body = JSON.stringify({ model: "BAAI/bge-reranker-base", query: "q", documents: ["a", "b"] });
    const ok = (e: string) => fetch(`${e}/v1/rerank`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body }).then((r) => r.status === 200, () => false);
    // The poller knows the old endpoints, and learns each new one as soon as its probe passed.
    const known = old.map((r) => r.endpoint);
    const polls: Array<{ t: number; up: number }> = [];
    let polling = true;
    let peakLive = 0;
    const poller = (async () => {
      while (polling) {
        const t = Date.now();
        const up = (await Promise.all(known.map(ok))).filter(Boolean).length;
        polls.push({ t, up });
        peakLive = Math.max(peakLive, live(emu).length);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    let firstDelete = Infinity;
    const probed: number[] = [];
    const onEvent = (e: EngineEvent) => {
      const pre = e.resourcePreEvent?.metadata;
      if (pre?.type === INSTANCE && pre.op === "delete-replaced" && firstDelete === Infinity) firstDelete = Date.now();
      const out = e.resOutputsEvent?.metadata;
      if (out?.type === COMMAND && out.op === "create-replacement") {
        probed.push(Date.now());
        const env = out.new?.outputs?.environment as Record<string, string> | undefined;
        if (env?.RERANKER_ENDPOINT && !known.includes(env.RERANKER_ENDPOINT)) known.push(env.RERANKER_ENDPOINT);
      }
    };
    const up = await p.stack.up({ onEvent });
    polling = false;
    await poller;

    const now = up.outputs.replicas.value as Replica[];
    expect(now.map((r) => r.instanceId).filter((id) => old.some((o) => o.instanceId === id))).toEqual([]);
    expect(new Set(now.map((r) => r.machineId)).size).toBe(2);
    // Both new probes passed before the first old instance was destroyed (deletes come at the end).
    expect(probed).toHaveLength(2);
    expect(Math.max(...probed)).toBeLessThan(firstDelete);
    // Never a moment without a working endpoint.
    expect(polls.length).toBeGreaterThan(10);
    expect(polls.filter((x) => x.up === 0)).toEqual([]);
    // The cost: old and new billed together for a while.
    expect(peakLive).toBe(4);
    expect(live(emu).map((i) => i.id).sort()).toEqual(now.map((r) => r.instanceId).sort());
    for (const r of now) expect(await ok(r.endpoint), r.endpoint).toBe(true);

    await p.stack.destroy();
    expect(live(emu)).toHaveLength(0);
  }, 400_000);
});
