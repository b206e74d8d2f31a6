// The stall verdict on real progress, through the engine. A host whose daemon log stops advancing
// (stuck_loading: the pull's lines stop) is abandoned when nothing has moved for the quiet limit,
// long before the flat bootTimeoutSeconds, destroyed and confirmed; the next offer serves. A host
// whose pull advances for 3× the time its inet_down predicts is kept, and `pulumi up` shows its
// layers and vLLM's start-up as they come. A host that runs but never serves is failed over by the
// provider. VAST_TEST_WAIT_SCALE (test-only, loopback only) shrinks the judgement windows 20x; the
// flat 60 s deadline is not scaled. Last, vast-reranker:race 2 from stack config to the kept
// instance: two rents, the loser destroyed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestProject, type TestProject } from "../helpers/engine.ts";
import { startEmulator } from "../../emulator/index.ts";
import type { RunningEmulator } from "../../emulator/types.ts";
import { FAST_BOOT, FAST_POLLS, STACK_SOURCES, liveInstances, localStackConfig } from "../helpers/stack.ts";
import { rentCalls, resetAfterFailure, runPulumi, trackedIds, unknownInstances, waitUntil } from "../helpers/chaos.ts";
import { expectedBoot } from "../../components/vast/instance/bootExpectation.ts";

let emu: RunningEmulator;
let p: TestProject;

beforeAll(async () => {
  emu = await startEmulator(FAST_BOOT);
  p = await createTestProject({ sources: STACK_SOURCES, stackName: "dev", config: localStackConfig(emu), env: { ...FAST_POLLS, VAST_TEST_WAIT_SCALE: "0.05" } });
}, 120_000);

afterAll(async () => {
  p?.cleanup();
  await emu?.stop();
});

/** The up left exactly one (tracked, known) instance serving; `pulumi destroy` removes it. */
async function servesOneThenDestroyLeavesNothing(): Promise<void> {
  const live = liveInstances(emu);
  expect(live).toHaveLength(1);
  expect(trackedIds(p)).toEqual([live[0].id]);
  expect(unknownInstances(emu, [p])).toEqual([]);
  const down = await runPulumi(p, ["destroy", "--yes", "--skip-preview"]);
  expect(down.code, down.output.slice(-2000)).toBe(0);
  expect(liveInstances(emu)).toHaveLength(0);
}

describe("stall-aware failover (engine)", () => {
  /** The next rent gets `fault`; `up` must succeed after exactly one failover whose log matches `patterns`. */
  async function failsOverOnce(fault: "stuck_loading" | "never_serve", patterns: RegExp[]): Promise<void> {
    try {
      const rents0 = rentCalls(emu);
      emu.injectFault({ kind: fault });
      const up = await runPulumi(p, ["up", "--yes", "--skip-preview"]);
      expect(up.code, up.output.slice(-3000)).toBe(0);
      for (const re of patterns) expect(up.output).toMatch(re);
      expect(rentCalls(emu) - rents0).toBe(2);
      await servesOneThenDestroyLeavesNothing();
    } catch (e) {
      await resetAfterFailure(p, emu);
      throw e;
    }
  }

  it("a host whose daemon log stops advancing is abandoned on the quiet limit, destroyed and confirmed; the next serves; destroy leaves nothing", async () => {
    // The next rent's pull stops writing lines a third of the way and never leaves `loading`.
    await failsOverOnce("stuck_loading", [
      /\[attempt 1\/3\] instance \d+: pulling image: \d+\/14 layers pulled/,
      /destroying instance \d+: stalled \(failing over early\): no progress in the image pull: no new daemon-log line and no status change for \d+ s/,
    ]);
  }, 240_000);

  it("a host whose pull advances for 3x its expected time is kept; pulumi up shows the layers and vLLM's start-up", async () => {
    try {
      const rents0 = rentCalls(emu);
      // Tailed market model for the next rent only: a host exactly 3x slower than its inet_down says, in 1/20 of real time.
      emu.setTail({ seed: 3, timeScale: 0.05, stallLoading: 0, neverServe: 0, slow: 1, slowFactor: [3, 3], jitter: 0 });
      const up = runPulumi(p, ["up", "--yes", "--skip-preview"]);
      await waitUntil("the first rent", () => rentCalls(emu) > rents0, 60_000, 20);
      emu.setTail(null);
      const done = await up;
      expect(done.code, done.output.slice(-3000)).toBe(0);
      expect(rentCalls(emu) - rents0).toBe(1);
      const kept = emu.instances().find((i) => i._emulator.tail?.fate === "slow" && !i._emulator.destroyed);
      expect(kept?._emulator.tail?.factor).toBe(3);
      // It reached `running` only after 3x the image download its inet_down predicts (in the emulator's 1/20 time).
      const netMs = expectedBoot({ inet_down: kept?.inet_down as number }, { imageGb: 10, largestLayerShare: 0.6, modelGb: 0 }).largestLayerMs / 0.6;
      const runningAfterS = Number(/instance \d+: running at [\d.:]+, waiting for \/health .*\(([\d.]+) s\)/.exec(done.output)?.[1]);
      expect(runningAfterS * 1000).toBeGreaterThanOrEqual(3 * netMs * 0.05);
      expect(done.output).not.toMatch(/stalled/);
      // Progress as it came: several layer counts, then vLLM's own start-up lines.
      // (pulumi prints the lines as they come, then again under Diagnostics: first appearances only.)
      const pulls = [...new Set([...done.output.matchAll(/instance \d+: pulling image: (\d+)\/14 layers pulled/g)].map((m) => Number(m[1])))];
      expect(pulls.length, done.output.slice(-3000)).toBeGreaterThanOrEqual(2);
      expect(pulls).toEqual([...pulls].sort((a, b) => a - b));
      expect(done.output).toMatch(/instance \d+: (vLLM starting: .*(Starting to load model|checkpoint shards|Loading weights)|vLLM: Application startup complete)/);
      await servesOneThenDestroyLeavesNothing();
    } catch (e) {
      emu.setTail(null);
      await resetAfterFailure(p, emu);
      throw e;
    }
  }, 240_000);

  it("a host that runs but never serves (/health refused) is failed over by the provider, not left to the probe", async () => {
    await failsOverOnce("never_serve", [/waiting for \/health/, /destroying instance \d+: stalled \(failing over early\): running but not serving: \/health not 200 and no new container-log line for \d+ s/]);
  }, 240_000);

  it("race 2 (stack config): two offers rented, the first verified kept, the other destroyed and confirmed; destroy leaves nothing", async () => {
    try {
      await p.stack.setConfig("vast-reranker:race", { value: "2" });
      const rents0 = rentCalls(emu);
      emu.injectFault({ kind: "stuck_loading" }); // lane 1's contender is still pulling when lane 2's serves
      // Unscaled stall limits: the stuck contender must lose the race, not be failed over first.
      const up = await runPulumi(p, ["up", "--yes", "--skip-preview"], { VAST_TEST_WAIT_SCALE: "1" });
      expect(up.code, up.output.slice(-3000)).toBe(0);
      expect(up.output).toMatch(/racing 2 offers on distinct machines/);
      const kept = /race: kept instance (\d+); destroyed and confirmed gone: instance (\d+)/.exec(up.output);
      expect(kept).not.toBeNull();
      expect(up.output).toMatch(new RegExp(`\\[lane 2\\]\\[attempt 2/3\\] instance ${kept?.[1]} verified first`));
      expect(up.output).toMatch(new RegExp(`race cost: instance ${kept?.[2]} ran [\\d.]+ s at \\$[\\d.]+/h until confirmed gone`));
      expect(rentCalls(emu) - rents0).toBe(2);
      const loser = emu.instances().find((i) => String(i.id) === kept?.[2]);
      const winner = emu.instances().find((i) => String(i.id) === kept?.[1]);
      expect(loser?._emulator.destroyed).toBe(true);
      expect(loser?.machine_id).not.toBe(winner?.machine_id);
      await servesOneThenDestroyLeavesNothing();
    } catch (e) {
      await resetAfterFailure(p, emu);
      throw e;
    } finally {
      await p.stack.removeConfig("vast-reranker:race");
    }
  }, 240_000);
});
