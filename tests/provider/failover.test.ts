// Failure branches of the provider: every rented instance either ends up serving or destroyed.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator/types.ts";
import type { VastInstanceOutputs } from "../../components/vast/instance/instanceLogic.ts";
import { checkedCreate, configuredProvider, fastEmulator, inputs, live, rents, smallMarket } from "./harness.ts";

let emu: RunningEmulator;
beforeAll(async () => { emu = await fastEmulator(); });
afterAll(async () => { await emu?.stop(); });
beforeEach(async () => { await emu.reset(); emu.replaceMarket(smallMarket()); });

const destroyed = (e: RunningEmulator) => e.instances().filter((i) => i._emulator.destroyed).length;

describe("failover", () => {
  it("moves on when the offer is taken between search and create", async () => {
    emu.injectFault({ kind: "offer_taken", offerId: 9000 });
    const p = await configuredProvider(emu);
    const { outs } = await checkedCreate(p, inputs());
    expect((outs as VastInstanceOutputs).offerId).toBe(9001);
    expect(live(emu)).toHaveLength(1);
  });

  it("survives two bad boots: destroys them, excludes their machines, serves from the third", async () => {
    emu.injectFault({ kind: "boot_exited", machineId: 700 });
    emu.injectFault({ kind: "boot_oci_created", machineId: 701 });
    const p = await configuredProvider(emu);
    const { outs } = await checkedCreate(p, inputs());
    expect((outs as VastInstanceOutputs).machineId).toBe(702);
    expect(rents(emu)).toBe(3);
    expect(destroyed(emu)).toBe(2);
    expect(live(emu)).toHaveLength(1);
  });

  it("gives up after maxAttempts with nothing left running", async () => {
    for (const m of [700, 701, 702, 703]) emu.injectFault({ kind: "stuck_loading", machineId: m });
    const p = await configuredProvider(emu);
    await expect(checkedCreate(p, inputs({ maxAttempts: 2, bootTimeoutSeconds: 10 }))).rejects.toThrow(/no Vast instance became ready.*not running after 10 s/s);
    expect(rents(emu)).toBe(2);
    expect(live(emu)).toHaveLength(0);
  }, 60_000);

  it("rides out a 429 storm on every route", async () => {
    emu.injectFault({ kind: "http_429", count: 4 });
    emu.injectFault({ kind: "http_429", route: "GET /api/v0/instances/:id", count: 3 });
    const p = await configuredProvider(emu);
    const { id, outs } = await checkedCreate(p, inputs());
    expect(live(emu)).toHaveLength(1);
    emu.injectFault({ kind: "http_429", route: "DELETE /api/v0/instances/:id", count: 2 });
    await p.delete(id, outs as VastInstanceOutputs);
    expect(live(emu)).toHaveLength(0);
    expect(emu.requestLog().filter((e) => e.status === 429).length).toBeGreaterThanOrEqual(9);
  });

  it("retries 5xx bursts on reads and never repeats an unclear rent blindly", async () => {
    emu.injectFault({ kind: "http_5xx", route: "PUT /api/v0/asks/:id", count: 1 });
    emu.injectFault({ kind: "http_5xx", route: "GET /api/v0/instances/:id", count: 2 });
    const p = await configuredProvider(emu);
    await checkedCreate(p, inputs());
    expect(live(emu)).toHaveLength(1);
    // After the unclear answer the provider looked its label up before renting again.
    const log = emu.requestLog().map((e) => `${e.route} ${e.status}`);
    const unclear = log.indexOf("PUT /api/v0/asks/:id 503");
    const after = log.slice(unclear + 1);
    expect(unclear).toBeGreaterThanOrEqual(0);
    expect(after.indexOf("GET /api/v1/instances 200")).toBeGreaterThanOrEqual(0);
    expect(after.indexOf("GET /api/v1/instances 200")).toBeLessThan(after.indexOf("PUT /api/v0/asks/:id 200"));
    expect(log.filter((l) => l === "PUT /api/v0/asks/:id 200")).toHaveLength(1);
  });

  it("keeps a paid instance in state when its destroy cannot be confirmed", async () => {
    emu.injectFault({ kind: "boot_exited", machineId: 700 });
    emu.injectFault({ kind: "http_5xx", route: "DELETE /api/v0/instances/:id", count: -1 });
    const p = await configuredProvider(emu);
    const err = await checkedCreate(p, inputs()).then(() => undefined, (e: Error & { id?: string; properties?: Record<string, unknown> }) => e);
    expect(err?.id).toBeDefined();
    expect(err?.message).toMatch(/kept in state/);
    expect(err?.properties?.__provider).toBeUndefined(); // not in these test inputs; the engine adds it
    expect(err?.properties?.status).toBe("initializing");
    expect(JSON.stringify(err?.properties)).not.toContain("k".repeat(64));
    expect(live(emu).map((i) => String(i.id))).toContain(err?.id);
    emu.clearFaults();
  });

  it("resumes an instance recorded as initializing on the next update", async () => {
    const p = await configuredProvider(emu);
    const i = (await p.check({} as never, inputs())).inputs as ReturnType<typeof inputs>;
    const rented = await fetch(`${emu.url}/api/v0/asks/9002/`, { method: "PUT", headers: { authorization: `Bearer ${emu.apiKey}`, "content-type": "application/json" }, body: JSON.stringify({ client_id: "me", image: i.image, env: i.env, disk: 40, label: i.label, runtype: "args", args: i.args, onstart: null, price: null }) }).then((r) => r.json() as Promise<{ new_contract: number }>);
    const olds = { ...i, secretEnv: undefined, instanceId: rented.new_contract, status: "initializing" } as unknown as VastInstanceOutputs;
    const up = await p.update(String(rented.new_contract), olds, i);
    expect((up.outs as VastInstanceOutputs).status).toBe("running");
    expect((up.outs as VastInstanceOutputs).port).toBeGreaterThan(0);
    expect(rents(emu)).toBe(1);
  });

  it("destroys an instance whose live price is above the cap and rents the next", async () => {
    const market = smallMarket();
    market[0].dph_total = 0.15; // searched as the cheapest, under the $1 cap...
    emu.replaceMarket(market);
    emu.injectFault({ kind: "price_change", offerId: 9000, factor: 10 }); // ...but billed at $1.5/h
    const p = await configuredProvider(emu);
    const { outs } = await checkedCreate(p, inputs());
    expect((outs as VastInstanceOutputs).offerId).toBe(9001);
    expect(destroyed(emu)).toBe(1);
    expect(live(emu)).toHaveLength(1);
  });
});

describe("resume", () => {
  it("a resumed instance that fails is destroyed and not silently swapped for another id", async () => {
    await emu.reset();
    emu.replaceMarket(smallMarket());
    emu.injectFault({ kind: "boot_exited", machineId: 700 });
    const p = await configuredProvider(emu);
    const i = (await p.check({} as never, inputs())).inputs as ReturnType<typeof inputs>;
    const rented = await fetch(`${emu.url}/api/v0/asks/9000/`, { method: "PUT", headers: { authorization: `Bearer ${emu.apiKey}`, "content-type": "application/json" }, body: JSON.stringify({ client_id: "me", image: i.image, env: i.env, disk: 40, label: i.label, runtype: "args", args: i.args, onstart: null, price: null }) }).then((r) => r.json() as Promise<{ new_contract: number }>);
    const olds = { ...i, secretEnv: undefined, instanceId: rented.new_contract, status: "initializing" } as unknown as VastInstanceOutputs;
    await expect(p.update(String(rented.new_contract), olds, i)).rejects.toThrow(/pulumi up --refresh/);
    expect(live(emu)).toHaveLength(0);
    expect(rents(emu)).toBe(1);
  });
});
