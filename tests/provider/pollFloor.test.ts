// Vast throttles GET /api/v0/instances/{id} under 2 s per caller (docs/vast-api.md §6). With the
// emulator's documented rate limits and the production poll schedule, destroying an instance whose
// removal takes a few seconds to show (emulator fault `slow_destroy`) must not draw a single 429:
// neither the instance provider's delete nor the label sweeper's.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator/index.ts";
import { VAST_RATE_LIMITS } from "../../emulator/faults.ts";
import type { RunningEmulator } from "../../emulator/types.ts";
import { INSTANCE_POLL_FLOOR_MS } from "../../components/vast/api/client.ts";
import { VastLabelSweeperProvider, type SweeperOutputs } from "../../components/vast/sweeper/labelSweeperProvider.ts";
import type { VastInstanceOutputs } from "../../components/vast/instance/instanceLogic.ts";
import { checkedCreate, configuredFor, configuredProvider, inputs, live, smallMarket } from "./harness.ts";

const SHOW = "GET /api/v0/instances/:id";
let emu: RunningEmulator;
const saved = { first: process.env.VAST_TEST_POLL_FLOOR_MS, cap: process.env.VAST_TEST_POLL_CAP_MS };

beforeAll(async () => {
  // The production schedule (the harness shortens it for the other provider tests).
  delete process.env.VAST_TEST_POLL_FLOOR_MS;
  delete process.env.VAST_TEST_POLL_CAP_MS;
  emu = await startEmulator({ pendingMs: 30, createdMs: 30, loadingMs: 80, modelLoadMs: 50, rateLimits: VAST_RATE_LIMITS });
  emu.replaceMarket(smallMarket());
});
afterAll(async () => {
  if (saved.first !== undefined) process.env.VAST_TEST_POLL_FLOOR_MS = saved.first;
  if (saved.cap !== undefined) process.env.VAST_TEST_POLL_CAP_MS = saved.cap;
  await emu?.stop();
});

/** GET /instances/{id} calls in the log: none answered 429, each at least the floor after the previous one. */
function expectSpacedShows(): void {
  const log = emu.requestLog();
  expect(log.filter((e) => e.status === 429).map((e) => `${e.route} ${e.status}`)).toEqual([]);
  const shows = log.filter((e) => e.route === SHOW).map((e) => e.ts);
  for (let i = 1; i < shows.length; i++) expect(shows[i] - shows[i - 1]).toBeGreaterThanOrEqual(2_000);
}

describe("destroy confirmation keeps Vast's 2 s floor for GET /instances/{id}", () => {
  it("shares the floor with boot polling: 2.1 s", () => {
    expect(INSTANCE_POLL_FLOOR_MS).toBe(2_100);
  });

  it("instance provider: delete right after create, removal visible after 3 s: 0 × 429", async () => {
    const p = await configuredProvider(emu);
    const { id, outs } = await checkedCreate(p, inputs());
    emu.injectFault({ kind: "slow_destroy", instanceId: Number(id), delayMs: 3_000 });
    emu.clearRequestLog(); // the log only: the rate limiter still remembers the create's last GET
    await p.delete(id, outs as VastInstanceOutputs);
    expect(live(emu)).toHaveLength(0);
    expect(emu.requestLog().filter((e) => e.route === SHOW).length).toBeGreaterThanOrEqual(2); // it had to poll
    expectSpacedShows();
  }, 30_000);

  it("label sweeper: destroys a leftover with the same floor: 0 × 429", async () => {
    const sweeper = await configuredFor(new VastLabelSweeperProvider(), emu);
    const created = await sweeper.create({ labelPrefix: "vast-reranker", stackName: "test", resourceName: "floor" });
    const stem = created.outs as SweeperOutputs;
    const p = await configuredProvider(emu);
    const orphan = await checkedCreate(p, inputs({ resourceName: "floor", nonce: stem.nonce }));
    emu.injectFault({ kind: "slow_destroy", instanceId: Number(orphan.id), delayMs: 3_000 });
    emu.clearRequestLog();
    await sweeper.delete(created.id, stem);
    expect(live(emu)).toHaveLength(0);
    expectSpacedShows();
  }, 30_000);
});
