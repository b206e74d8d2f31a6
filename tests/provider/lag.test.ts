// No instance lost to lag (issue 19): the emulator's lag faults (emulator/lagFaults.ts) against the
// provider. A rent that rents but answers 5xx, found by the label lookup although the list lags;
// a rent that really failed, looked for over the whole window before the next rent; a refresh that
// gets {"instances": null} for a listed instance; an `offline` that flaps, during a boot and in a
// refresh, versus one that stays.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator/types.ts";
import type { VastInstanceOutputs } from "../../components/vast/instance/instanceLogic.ts";
import { UNCLEAR_RENT_LOOKUP_MS } from "../../components/vast/instance/adopt.ts";
import { OFFLINE_CONFIRM_MS } from "../../components/vast/instance/watchBoot.ts";
import { checkedCreate, configuredProvider, fastEmulator, inputs, live, rents, smallMarket } from "./harness.ts";

const RENT = "PUT /api/v0/asks/:id";
const LIST = "GET /api/v1/instances";
let emu: RunningEmulator;
let logged: string[] = [];
const realLog = console.log;

beforeAll(async () => { emu = await fastEmulator(); });
afterAll(async () => { await emu?.stop(); });
beforeEach(async () => {
  await emu.reset();
  emu.replaceMarket(smallMarket());
  logged = [];
  console.log = (...a: unknown[]) => { logged.push(a.join(" ")); };
});
afterEach(() => {
  console.log = realLog;
  delete process.env.VAST_TEST_WAIT_SCALE;
});

const at = (route: string, status?: number) => emu.requestLog().filter((e) => e.route === route && (status === undefined || e.status === status));

describe("an unclear rent", () => {
  it("rented, answered 502, and the list lags 3 s: the lookup keeps looking, finds it, rents nothing more", async () => {
    emu.injectFault({ kind: "http_5xx_after_success", route: RENT, status: 502 });
    emu.injectFault({ kind: "list_lag", delayMs: 3_000 });
    const p = await configuredProvider(emu);
    const { outs } = await checkedCreate(p, inputs());
    expect(rents(emu)).toBe(1);
    expect(at(RENT, 502)).toHaveLength(1);
    expect(live(emu).map((i) => i.id)).toEqual([(outs as VastInstanceOutputs).instanceId]);
    // More than one lookup: the first came while the list still lagged.
    const rentAt = at(RENT)[0].ts;
    const lookups = at(LIST).filter((e) => e.ts > rentAt);
    expect(lookups.length).toBeGreaterThan(1);
    expect(lookups.at(-1)!.ts - rentAt).toBeGreaterThanOrEqual(3_000);
    expect(logged.join("\n")).toMatch(/not listed yet; Vast's list can lag a create: looking again for up to 45 s/);
    expect(logged.join("\n")).toMatch(/adopting instance \d+ .* rented by the unclear answer/);
  }, 60_000);

  it("a rent that failed before any work (503): no other rent until the whole lookup window passed", async () => {
    expect(UNCLEAR_RENT_LOOKUP_MS).toBeGreaterThanOrEqual(30_000);
    process.env.VAST_TEST_WAIT_SCALE = "0.05"; // the window in 2.25 s
    emu.injectFault({ kind: "http_5xx", route: RENT, status: 503 });
    const p = await configuredProvider(emu);
    await checkedCreate(p, inputs());
    const [first, second] = at(RENT);
    expect(first.status).toBe(503);
    expect(second.status).toBe(200);
    expect(second.ts - first.ts).toBeGreaterThanOrEqual(UNCLEAR_RENT_LOOKUP_MS * 0.05);
    expect(at(LIST).filter((e) => e.ts > first.ts && e.ts < second.ts).length).toBeGreaterThan(1);
    expect(live(emu)).toHaveLength(1);
    expect(logged.join("\n")).toMatch(/no instance labelled .* after \d+ lookups over 45 s: the rent did not happen/);
  }, 60_000);
});

describe("refresh", () => {
  it('GET answers {"instances": null} for an instance the list shows: kept; really gone: dropped', async () => {
    const p = await configuredProvider(emu);
    const { id, outs } = await checkedCreate(p, inputs());
    emu.configure({ readLagMs: 3_600_000 }); // every GET by id answers null, the list still shows it
    const kept = await p.read(id, outs as VastInstanceOutputs);
    expect(kept.id).toBe(id);
    expect((kept.props as VastInstanceOutputs).status).toBe("running");
    expect(logged.join("\n")).toMatch(/answered \{"instances": null\} but the list shows it with label .*: kept in state/);
    emu.configure({ readLagMs: 0 });
    await p.delete(id, outs as VastInstanceOutputs);
    expect(await p.read(id, outs as VastInstanceOutputs)).toStrictEqual({});
  });

  it("an offline reading that flaps back within the confirmation is not recorded: nothing to replace", async () => {
    process.env.VAST_TEST_WAIT_SCALE = "0.05"; // 60 s confirmation in 3 s, readings 1 s apart
    const p = await configuredProvider(emu);
    const i = inputs();
    const { id, outs } = await checkedCreate(p, i);
    emu.injectFault({ kind: "offline_flap", instanceId: Number(id), resumeAfterMs: 1_500 });
    await new Promise((r) => setTimeout(r, 100));
    expect(emu.instances().find((x) => String(x.id) === id)?.actual_status).toBe("offline");
    const props = (await p.read(id, outs as VastInstanceOutputs)).props as VastInstanceOutputs;
    expect(props.status).toBe("running");
    expect(logged.join("\n")).toMatch(/read offline, then running: a flap, nothing to replace/);
    expect(await p.diff(id, props, { ...i, label: props.label })).toMatchObject({ changes: false, replaces: [] });
  });
});

describe("an offline flap during a boot", () => {
  it("is waited out (not failed over) when the host comes back within the confirmation", async () => {
    emu.injectFault({ kind: "offline_flap", delayMs: 0, resumeAfterMs: 1_000 });
    const p = await configuredProvider(emu);
    await checkedCreate(p, inputs());
    expect(rents(emu)).toBe(1);
    expect(logged.join("\n")).toMatch(/offline: failed over only if still offline 60 s after the first such reading/);
    expect(OFFLINE_CONFIRM_MS).toBe(60_000);
  }, 60_000);
});
