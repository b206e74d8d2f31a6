// Through the real engine: `pulumi refresh` and `pulumi preview --refresh` only report. A paused
// (outbid) interruptible instance is left exactly as it is by both; `up` keeps it while
// `replacePaused` is false (and it may resume), and replaces it (old one destroyed first) when true.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineEvent } from "@pulumi/pulumi/automation/index.js";
import { createTestProject, type TestProject } from "../helpers/engine.ts";
import { FAST_BOOT, FAST_POLLS, STACK_SOURCES, liveInstances, localStackConfig } from "../helpers/stack.ts";
import { startEmulator } from "../../emulator/index.ts";
import type { RunningEmulator } from "../../emulator/types.ts";
import { waitUntil } from "../helpers/wait.ts";

const INSTANCE = "pulumi-nodejs:dynamic/vast:Instance";
let emu: RunningEmulator;
beforeAll(async () => { emu = await startEmulator(FAST_BOOT); });
afterAll(async () => { await emu?.stop(); });

const record = (id: number) => emu.instances().find((i) => i.id === id);
/** What Vast shows of an instance (the fields an action would change). */
const shown = (id: number) => {
  const r = record(id);
  return r && { actual: r.actual_status, intended: r.intended_status, cur: r.cur_state, next: r.next_state, label: r.label, destroyed: r._emulator.destroyed };
};
/** Calls that change something at Vast (searches are POSTs that change nothing). */
const mutating = () => emu.requestLog().filter((e) => e.method !== "GET" && e.method !== "POST").map((e) => e.route);

const until = (what: string, pred: () => boolean, timeoutMs = 15_000) => waitUntil(what, pred, timeoutMs);

/** The engine's operations on the instance during one command. */
function instanceOps(): { ops: string[]; onEvent: (e: EngineEvent) => void } {
  const ops: string[] = [];
  return { ops, onEvent: (e) => { const m = e.resourcePreEvent?.metadata; if (m?.type === INSTANCE) ops.push(m.op); } };
}

describe("refresh reports, up acts: a paused (outbid) interruptible instance", () => {
  let p: TestProject;
  afterAll(() => p?.cleanup());

  it("preview --refresh and refresh leave it untouched; up keeps it (replacePaused=false) until it resumes, or replaces it (true)", async () => {
    p = await createTestProject({ sources: STACK_SOURCES, stackName: "bid", config: localStackConfig(emu, { offerType: "interruptible", replacePaused: "false" }), env: FAST_POLLS });
    const first = await p.stack.up();
    const a = first.outputs.instanceId.value as number;
    expect(record(a)?.is_bid).toBe(true);

    emu.injectFault({ kind: "outbid", instanceId: a });
    await until("the outbid pause", () => record(a)?.actual_status === "stopped");
    const paused = shown(a);
    expect(paused).toMatchObject({ actual: "stopped", intended: "stopped", destroyed: false });

    // 1. preview --refresh: reads, plans, touches nothing (replacePaused=false: nothing to plan either).
    emu.clearRequestLog();
    const pv = instanceOps();
    await p.stack.preview({ refresh: true, onEvent: pv.onEvent });
    expect(pv.ops.filter((op) => op !== "refresh" && op !== "same")).toEqual([]);
    expect(mutating()).toEqual([]);
    expect(shown(a)).toEqual(paused);

    // 2. refresh: state now says paused; the instance is untouched.
    await p.stack.refresh();
    expect(mutating()).toEqual([]);
    expect(shown(a)).toEqual(paused);
    const state = JSON.parse(p.cli(["stack", "export"])) as { deployment: { resources: Array<{ type: string; id?: string; outputs?: Record<string, unknown> }> } };
    expect(state.deployment.resources.find((r) => r.type === INSTANCE)?.outputs).toMatchObject({ status: "stopped", paused: true });

    // 3. up with replacePaused=false: keeps it.
    const kept = await p.stack.up();
    expect(kept.outputs.instanceId.value).toBe(a);
    expect(mutating()).toEqual([]);

    // 4. It wins its bid again: the next refresh sees it running; nothing is replaced, nothing rented.
    emu.injectFault({ kind: "outbid_resume", instanceId: a });
    await until("the resume", () => record(a)?.actual_status === "running");
    emu.clearRequestLog();
    const resumed = await p.stack.up({ refresh: true });
    expect(resumed.outputs.instanceId.value).toBe(a);
    expect(mutating()).toEqual([]);
    expect(liveInstances(emu).map((i) => i.id)).toEqual([a]);

    // 5. Outbid again, now with replacePaused=true: preview --refresh plans the replace and does nothing...
    emu.injectFault({ kind: "outbid", instanceId: a });
    await until("the second pause", () => record(a)?.actual_status === "stopped");
    await p.stack.setConfig("vast-reranker:replacePaused", { value: "true" });
    const again = shown(a);
    emu.clearRequestLog();
    const planned = instanceOps();
    await p.stack.preview({ refresh: true, onEvent: planned.onEvent });
    expect(planned.ops).toContain("replace");
    expect(mutating()).toEqual([]);
    expect(shown(a)).toEqual(again);

    // ...and up --refresh carries it out: the paused one destroyed first, one new rent, probe on the new one.
    const replaced = await p.stack.up({ refresh: true });
    const b = replaced.outputs.instanceId.value as number;
    expect(b).not.toBe(a);
    expect(record(a)?._emulator.destroyed).toBe(true);
    expect(mutating()).toEqual(["DELETE /api/v0/instances/:id", "PUT /api/v0/asks/:id"]);
    expect(liveInstances(emu).map((i) => i.id)).toEqual([b]);
    expect(JSON.parse(replaced.outputs.probeReport.value as string)).toMatchObject({ ok: true });

    await p.stack.destroy();
    expect(liveInstances(emu)).toHaveLength(0);
  }, 300_000);
});
