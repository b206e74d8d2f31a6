// vast-reranker:race 2 through the provider's create against the emulator: two offers rented on
// distinct machines, the first verified kept, the other destroyed and confirmed gone, its cost
// logged; no instance left untracked when a contender stalls, fails or cannot be destroyed.
// The lanes' rents are spaced by Vast's 4.5 s rent threshold (RENT_FLOOR_MS), so each test waits
// for the second rent; the first contender is kept booting (a fault) so that both really run.
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { RunningEmulator } from "../../emulator/types.ts";
import type { VastInstanceInputs, VastInstanceOutputs } from "../../components/vast/instance/instanceLogic.ts";
import { checkedCreate, configuredProvider, inputs, live, providerSuite, rents } from "./harness.ts";

const suite = providerSuite();
let emu: RunningEmulator;
beforeAll(() => { emu = suite.emu(); });

const race = (over: Partial<VastInstanceInputs> = {}) => inputs({ race: 2, ...over });
const onMachine = suite.onMachine;
const text = suite.text;
type Failure = Error & { id?: string };

/** The client confirmed the destroy: after the DELETE of `id`, a GET of it answered that it is gone. */
function confirmedGone(id: number): boolean {
  const calls = emu.requestLog().filter((e) => e.path.split("?")[0].replace(/\/$/, "").endsWith(`/instances/${id}`));
  const del = calls.findIndex((e) => e.method === "DELETE" && e.status === 200);
  return del >= 0 && calls.slice(del + 1).some((e) => e.method === "GET");
}

describe("race 2", () => {
  it("rents two offers on distinct machines, keeps the first verified, destroys the other and confirms it, logs the cost", async () => {
    emu.injectFault({ kind: "stuck_loading", machineId: 700 }); // lane 1's contender is still pulling when lane 2's serves
    const p = await configuredProvider(emu);
    const { id, outs } = await checkedCreate(p, race());
    const o = outs as VastInstanceOutputs;
    expect(rents(emu)).toBe(2);
    expect(o.machineId).toBe(701);
    const [loser] = onMachine(700);
    expect(loser._emulator.destroyed).toBe(true);
    expect(confirmedGone(loser.id)).toBe(true);
    expect(live(emu).map((i) => String(i.id))).toEqual([id]);
    expect(text()).toMatch(/racing 2 offers on distinct machines/);
    expect(text()).toMatch(new RegExp(`\\[lane 2\\]\\[attempt 2/3\\] instance ${id} verified first: keeping it`));
    expect(text()).toMatch(new RegExp(`destroying instance ${loser.id}: \\[lane 1\\]\\[attempt 1/3\\] instance ${id} was verified first \\(this one was still booting\\)`));
    expect(text()).toMatch(new RegExp(`race cost: instance ${loser.id} ran [\\d.]+ s at \\$${loser.dph_total.toFixed(3)}/h until confirmed gone, ≤ \\$0\\.\\d{4}`));
    expect(text()).toMatch(new RegExp(`race: kept instance ${id}; destroyed and confirmed gone: instance ${loser.id} \\(.*\\); race cost \\$0\\.\\d{4}`));
  }, 60_000);

  it("a contender that fails is destroyed; the race goes on and the other serves; nothing else is rented", async () => {
    emu.injectFault({ kind: "boot_exited", machineId: 700 });
    const p = await configuredProvider(emu);
    const { id, outs } = await checkedCreate(p, race());
    expect((outs as VastInstanceOutputs).machineId).toBe(701);
    expect(onMachine(700)[0]._emulator.destroyed).toBe(true);
    expect(text()).toMatch(/destroying instance \d+: instance is exited/);
    // Lane 1's next rent would have waited for the rent slot after lane 2's; lane 2 won first.
    expect(rents(emu)).toBe(2);
    expect(live(emu).map((i) => String(i.id))).toEqual([id]);
  }, 60_000);

  it("when every contender fails, both lanes fail over within maxAttempts and nothing is left", async () => {
    for (const m of [700, 701, 702, 703]) emu.injectFault({ kind: "boot_exited", machineId: m });
    const p = await configuredProvider(emu);
    await expect(checkedCreate(p, race())).rejects.toThrow(/no Vast instance became ready.*every instance rented on the way was destroyed/s);
    expect(rents(emu)).toBe(3); // maxAttempts counts every lane's rents
    expect(new Set(emu.instances().map((i) => i.machine_id)).size).toBe(3);
    expect(live(emu)).toHaveLength(0);
  }, 60_000);

  it("a loser whose destroy cannot be confirmed is the one kept in state; the verified winner is destroyed", async () => {
    emu.injectFault({ kind: "stuck_loading", machineId: 700 });
    emu.injectFault({ kind: "http_5xx", route: "DELETE /api/v0/instances/:id", machineId: 700, count: -1 });
    const p = await configuredProvider(emu);
    const err = await checkedCreate(p, race()).then(() => undefined, (e: Failure) => e);
    const [loser] = onMachine(700);
    const [winner] = onMachine(701);
    expect(err?.id).toBe(String(loser.id));
    expect(err?.message).toMatch(/kept in state/);
    expect(winner._emulator.destroyed).toBe(true);
    expect(confirmedGone(winner.id)).toBe(true);
    expect(live(emu).map((i) => i.id)).toEqual([loser.id]);
  }, 60_000);

  it("if neither can be destroyed, one is tracked and the error names the other and its label", async () => {
    emu.injectFault({ kind: "stuck_loading", machineId: 700 });
    emu.injectFault({ kind: "http_5xx", route: "DELETE /api/v0/instances/:id", count: -1 });
    const p = await configuredProvider(emu);
    const err = await checkedCreate(p, race()).then(() => undefined, (e: Failure) => e);
    const [loser] = onMachine(700);
    const [winner] = onMachine(701);
    expect(err?.id).toBe(String(loser.id));
    expect(err?.message).toMatch(new RegExp(`not confirmed gone either: instance ${winner.id} \\(label vast-reranker\\.test\\.`));
    expect(live(emu).map((i) => i.id).sort()).toEqual([loser.id, winner.id].sort());
  }, 60_000);

  it("after an unclear rent a lane adopts only an instance no lane rented: the other lane's contender is left alone", async () => {
    emu.injectFault({ kind: "boot_exited", machineId: 700 }); // lane 1 fails at once and rents again...
    emu.injectFault({ kind: "stuck_loading", machineId: 701 }); // ...while lane 2's contender (same label) still boots
    emu.injectFault({ kind: "http_5xx", route: "PUT /api/v0/asks/:id", offerId: 9002, count: 1 }); // lane 1's second rent: unclear
    const p = await configuredProvider(emu);
    await expect(checkedCreate(p, race({ bootTimeoutSeconds: 12 }))).rejects.toThrow(/offer 9002: .*503/s);
    expect(text()).toMatch(/rent answer unclear/);
    expect(text()).not.toMatch(/duplicate instance with the same label|adopting instance/);
    expect(text()).toMatch(new RegExp(`destroying instance ${onMachine(701)[0].id}: not running after 12 s`));
    expect(live(emu)).toHaveLength(0);
  }, 60_000);
});

describe("adoption after an interrupted race", () => {
  it("two instances with our label: keeps the one further along (not merely the newest), destroys the other, rents nothing", async () => {
    const p = await configuredProvider(emu);
    const i = (await p.check({} as VastInstanceInputs, race())).inputs as VastInstanceInputs;
    const rent = (offer: number) => fetch(`${emu.url}/api/v0/asks/${offer}/`, {
      method: "PUT", headers: { authorization: `Bearer ${emu.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ client_id: "me", image: i.image, env: i.env, disk: 40, label: i.label, runtype: "args", args: i.args, onstart: null, price: null }),
    }).then((r) => r.json() as Promise<{ new_contract: number }>);
    const older = (await rent(9001)).new_contract;
    emu.injectFault({ kind: "stuck_loading", machineId: 700 });
    const newer = (await rent(9000)).new_contract; // newer, but stuck pulling
    await vi.waitUntil(() => emu.instances().find((x) => x.id === older)?.actual_status === "running", { timeout: 10_000, interval: 20 });
    const { id } = await p.create(i);
    expect(id).toBe(String(older));
    expect(rents(emu)).toBe(2); // the two above: nothing new rented
    expect(onMachine(700)[0]._emulator.destroyed).toBe(true);
    expect(text()).toMatch(new RegExp(`destroying instance ${newer}: duplicate instance with the same label \\(keeping ${older}`));
    expect(live(emu).map((x) => x.id)).toEqual([older]);
  }, 60_000);
});
