// The provider on the host behaviours recorded from real Vast (reference vast-real-answers.md §3-§4),
// reproduced by emulator faults: a pending bid's contract is destroyed, a boot Vast gave up fails at
// once, stale error text on a running instance does not cost a healthy host, an env over Vast's limit
// is refused before any rent.
import { beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator/types.ts";
import type { VastInstanceOutputs } from "../../components/vast/instance/instanceLogic.ts";
import { checkedCreate, configuredProvider, inputs, live, providerSuite, rents } from "./harness.ts";

const suite = providerSuite();
let emu: RunningEmulator;
beforeAll(() => { emu = suite.emu(); });

const text = suite.text;
const onMachine = suite.onMachine;

/** After the DELETE of `id`, a GET of it answered that it is gone. */
function confirmedGone(id: number): boolean {
  const calls = emu.requestLog().filter((e) => e.path.split("?")[0].replace(/\/$/, "").endsWith(`/instances/${id}`));
  const del = calls.findIndex((e) => e.method === "DELETE" && e.status === 200);
  return del >= 0 && calls.slice(del + 1).some((e) => e.method === "GET");
}

describe("recorded host behaviours through the provider", () => {
  it("a pending bid (success false with a contract) is destroyed and confirmed, and the next offer is rented", async () => {
    emu.injectFault({ kind: "bid_pending", offerId: 9000 });
    const p = await configuredProvider(emu);
    const sel = { ...inputs().selection, offerType: "interruptible" as const };
    const { outs } = await checkedCreate(p, inputs({ selection: sel }));
    expect((outs as VastInstanceOutputs).offerId).toBe(9001);
    const [pending] = onMachine(700);
    expect(pending._emulator.destroyed).toBe(true);
    expect(confirmedGone(pending.id)).toBe(true);
    expect(text()).toMatch(new RegExp(`destroying instance ${pending.id}: rent offer 9000: success false with contract ${pending.id}`));
    expect(text()).not.toMatch(/instance_api_key/);
    expect(live(emu).map((i) => i.machine_id)).toEqual([701]);
  });

  it("a boot Vast gave up fails at once (not at the boot timeout) and is destroyed; the next host serves", async () => {
    emu.injectFault({ kind: "abandoned_boot", machineId: 700, delayMs: 100, message: "Error response from daemon: manifest for x:1 not found" });
    emu.injectFault({ kind: "abandoned_boot", machineId: 701, delayMs: 100 }); // no error text at all
    const p = await configuredProvider(emu);
    const { outs } = await checkedCreate(p, inputs({ bootTimeoutSeconds: 600 }));
    expect((outs as VastInstanceOutputs).machineId).toBe(702);
    expect(rents(emu)).toBe(3);
    for (const m of [700, 701]) expect(confirmedGone(onMachine(m)[0].id)).toBe(true);
    // The first fails on its fatal text already; the second only once Vast flips its states.
    expect(text()).toMatch(/destroying instance \d+: boot error \(manifest … not found\): Error response from daemon: manifest for x:1 not found/);
    expect(text()).toMatch(/destroying instance \d+: Vast gave the boot up \(intended_status stopped, cur_state stopped while actual_status is loading\)/);
    expect(text()).not.toMatch(/not running after 600 s/);
  }, 60_000);

  it("a running instance with stale error text is kept, not destroyed", async () => {
    emu.injectFault({ kind: "stale_status_msg", machineId: 700 });
    const p = await configuredProvider(emu);
    const { id, outs } = await checkedCreate(p, inputs());
    expect((outs as VastInstanceOutputs).machineId).toBe(700);
    expect(rents(emu)).toBe(1);
    expect(live(emu).map((i) => String(i.id))).toEqual([id]);
    expect(live(emu)[0].status_msg).toBe("Error response from daemon: stale build status");
  });

  it("an env over Vast's 32 KB is refused by check, naming vast-reranker:env, before any rent", async () => {
    const p = await configuredProvider(emu);
    const env = Object.fromEntries(Array.from({ length: 140 }, (_, i) => [`VAR_${i}`, "x".repeat(250)]));
    const checked = await p.check({} as never, inputs({ env: { "-p 8000:8000": "1", ...env } }));
    expect(checked.failures).toEqual([{ property: "env", reason: expect.stringMatching(/^vast-reranker:env makes an env of \d+ characters; Vast refuses more than 32 KB \("invalid env arguments, total length > 32KB"\): shorten vast-reranker:env$/) }]);
    expect(rents(emu)).toBe(0);
  });
});
