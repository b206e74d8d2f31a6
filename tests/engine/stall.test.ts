// Stall-aware failover through the engine: a `pulumi up` whose first host never
// leaves `loading` abandons it on the stall verdict (far behind what its inet_down predicts) long
// before the flat bootTimeoutSeconds, destroys and confirms it, serves from the next host, and
// `pulumi destroy` leaves nothing. VAST_TEST_WAIT_SCALE (test-only) shrinks the stall thresholds
// 20x so the early verdict comes in seconds; the flat 60 s deadline is not scaled. Last,
// vast-reranker:race 2 from stack config to the kept instance: two rents, the loser destroyed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestProject, type TestProject } from "../helpers/engine.ts";
import { startEmulator } from "../../emulator/index.ts";
import type { RunningEmulator } from "../../emulator/types.ts";
import { FAST_BOOT, FAST_POLLS, STACK_SOURCES, liveInstances, localStackConfig } from "../helpers/stack.ts";
import { rentCalls, resetAfterFailure, runPulumi, trackedIds, unknownInstances, waitUntil } from "../helpers/chaos.ts";

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

  it("a host stuck in loading is abandoned early, destroyed and confirmed; the next serves; destroy leaves nothing", async () => {
    // The next rent never leaves `loading`.
    await failsOverOnce("stuck_loading", [/\[attempt 1\/3\].*/, /destroying instance \d+: stalled \(failing over early\): image pull too slow/]);
  }, 240_000);

  it("a host 5-10x slower than its advertised inet_down is abandoned on the stall verdict; the next serves", async () => {
    try {
      const rents0 = rentCalls(emu);
      // Tailed market model for the next rent only: every host slow (5-10x), in 1/20 of real time.
      emu.setTail({ seed: 3, timeScale: 0.05, stallLoading: 0, neverServe: 0, slow: 1 });
      const up = runPulumi(p, ["up", "--yes", "--skip-preview"]);
      await waitUntil("the first rent", () => rentCalls(emu) > rents0, 60_000, 20);
      emu.setTail(null);
      const done = await up;
      expect(done.code, done.output.slice(-3000)).toBe(0);
      expect(done.output).toMatch(/stalled \(failing over early\): image pull too slow/);
      expect(rentCalls(emu) - rents0).toBe(2);
      const slow = emu.instances().find((i) => i._emulator.tail?.fate === "slow");
      expect(slow?._emulator.destroyed).toBe(true);
      await servesOneThenDestroyLeavesNothing();
    } catch (e) {
      emu.setTail(null);
      await resetAfterFailure(p, emu);
      throw e;
    }
  }, 240_000);

  it("a host that runs but never serves (/health refused) is failed over by the provider, not left to the probe", async () => {
    await failsOverOnce("never_serve", [/waiting for \/health/, /destroying instance \d+: stalled \(failing over early\): running but not serving: \/health never answered 200/]);
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
