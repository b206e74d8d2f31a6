// VastInstanceProvider against the emulator: create, read, update, delete, adoption, validation.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator/types.ts";
import type { VastInstanceInputs, VastInstanceOutputs } from "../../components/vast/instance/instanceLogic.ts";
import { checkedCreate, configuredProvider, fastEmulator, inputs, live, rents, smallMarket } from "./harness.ts";

/** What the dynamic-provider host passes for a value not known in a preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

let emu: RunningEmulator;
beforeAll(async () => { emu = await fastEmulator(); });
afterAll(async () => { await emu?.stop(); });
beforeEach(async () => { await emu.reset(); emu.replaceMarket(smallMarket()); });

describe("create / read / update / delete", () => {
  it("rents the cheapest acceptable offer and reports the endpoint", async () => {
    const p = await configuredProvider(emu);
    const i = inputs();
    const { id, outs } = await checkedCreate(p, i);
    const o = outs as VastInstanceOutputs;
    expect(o.offerId).toBe(9000);
    expect(o.machineId).toBe(700);
    expect(o.instanceId).toBe(Number(id));
    expect(o.status).toBe("running");
    expect(o.publicIp).toMatch(/^127\./);
    expect(o.port).toBeGreaterThan(0);
    expect(o.pricePerHour).toBeLessThanOrEqual(1);
    expect(o.label).toMatch(/^vast-reranker\.test\./);
    expect(JSON.stringify(o)).not.toContain("k".repeat(64)); // only a hash of the secret env
    expect(o.secretEnvHash).toMatch(/^[0-9a-f]{64}$/);
    const [rec] = live(emu);
    expect(rec.label).toBe(o.label);
    expect(rec.extra_env).toContainEqual(["VLLM_API_KEY", "k".repeat(64)]);
    expect(rec.image_uuid).toBe(i.image);
    expect(rents(emu)).toBe(1);

    const read = await p.read(id, o);
    expect(read.id).toBe(id);
    expect((read.props as VastInstanceOutputs).port).toBe(o.port);

    await p.delete(id, o);
    expect(live(emu)).toHaveLength(0);
    await p.delete(id, o); // already gone: still success
  });

  it("diffs: container changes replace, metadata updates in place", async () => {
    const p = await configuredProvider(emu);
    const i = inputs();
    const { id, outs } = await checkedCreate(p, i);
    const olds = outs as VastInstanceOutputs;
    const same = await p.diff(id, olds, { ...i, label: olds.label });
    expect(same.changes).toBe(false);
    for (const change of [{ image: "vllm/vllm-openai:v0.31.0" }, { args: ["--model", "x"] }, { secretEnv: { VLLM_API_KEY: "other" } }, { selection: { ...i.selection, diskGb: 50 } }]) {
      const d = await p.diff(id, olds, { ...i, ...change, label: olds.label } as VastInstanceInputs);
      expect(d.changes).toBe(true);
      expect(d.replaces?.length).toBeGreaterThan(0);
    }
    const checked = (await p.check(i, { ...i, labelPrefix: "team-a" })).inputs as VastInstanceInputs;
    const d = await p.diff(id, olds, checked);
    expect(d).toMatchObject({ changes: true, replaces: [] });
    const up = await p.update(id, olds, checked);
    const outs2 = up.outs as VastInstanceOutputs;
    expect(outs2.label).toMatch(/^team-a\./);
    expect(outs2.instanceId).toBe(olds.instanceId); // outputs stay complete after update
    expect(outs2.port).toBe(olds.port);
    expect(live(emu)[0].label).toBe(outs2.label);
  });

  it("a stack rename relabels the instance in place: no new rent", async () => {
    const p = await configuredProvider(emu);
    const i = inputs({ stackName: "dev" });
    const { id, outs } = await checkedCreate(p, i);
    const olds = outs as VastInstanceOutputs;
    expect(olds.label).toMatch(/^vast-reranker\.dev\./);
    const renamed = (await p.check(i, { ...i, stackName: "prod" })).inputs as VastInstanceInputs;
    expect(await p.diff(id, olds, renamed)).toMatchObject({ changes: true, replaces: [] });
    const outs2 = (await p.update(id, olds, renamed)).outs as VastInstanceOutputs;
    expect(outs2).toMatchObject({ instanceId: olds.instanceId, port: olds.port, stackName: "prod" });
    expect(outs2.label).toBe(olds.label.replace(".dev.", ".prod."));
    expect(live(emu).map((x) => [x.id, x.label])).toEqual([[Number(id), outs2.label]]);
    expect(rents(emu)).toBe(1);
    // The sweeper's nonce is unknown in a preview of that update (it is being updated too): still no replace.
    const previewed = (await p.check(i, { ...i, stackName: "prod", nonce: UNKNOWN })).inputs as VastInstanceInputs;
    expect(await p.diff(id, outs2, previewed)).toMatchObject({ replaces: [] });
  });

  it("refresh drops a vanished instance from state", async () => {
    // (The engine's refresh: read returns no resource. That changes state, not infrastructure.)
    const p = await configuredProvider(emu);
    const { id, outs } = await checkedCreate(p, inputs());
    emu.injectFault({ kind: "vanish", instanceId: Number(id) });
    await new Promise((r) => setTimeout(r, 100));
    const read = await p.read(id, outs as VastInstanceOutputs);
    expect(read.id).toBeUndefined();
  });

  it("adopts an instance already carrying its label instead of renting a second one", async () => {
    const p = await configuredProvider(emu);
    const i = inputs();
    const first = await checkedCreate(p, i);
    // Same inputs again, as after a `pulumi up` killed before state was saved.
    const second = await checkedCreate(p, i);
    expect(second.id).toBe(first.id);
    expect(rents(emu)).toBe(1);
    expect(live(emu)).toHaveLength(1);
  });
});

describe("read (refresh, preview --refresh) never changes infrastructure", () => {
  const interruptible = () => inputs({ selection: { ...inputs().selection, offerType: "interruptible" } });
  const deletes = () => emu.requestLog().filter((e) => e.method === "DELETE");
  const statusOf = (id: string) => emu.instances().find((x) => x.id === Number(id));
  async function waitFor(id: string, pred: (s: ReturnType<typeof statusOf>) => boolean): Promise<void> {
    for (let t = 0; !pred(statusOf(id)); t += 20) {
      if (t > 5_000) throw new Error(`instance ${id}: ${JSON.stringify(statusOf(id))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it("reports a paused (outbid) interruptible instance and leaves it alone; diff replaces it only if replacePaused", async () => {
    const p = await configuredProvider(emu);
    const i = interruptible();
    const { id, outs } = await checkedCreate(p, i);
    const olds = outs as VastInstanceOutputs;
    expect(olds.paused).toBe(false);
    emu.injectFault({ kind: "outbid", instanceId: Number(id) });
    await waitFor(id, (s) => s?.actual_status === "stopped");
    const read = await p.read(id, olds);
    const props = read.props as VastInstanceOutputs;
    expect(read.id).toBe(id);
    expect(props).toMatchObject({ status: "stopped", paused: true, instanceId: olds.instanceId, publicIp: olds.publicIp, port: olds.port });
    expect(deletes()).toEqual([]);
    expect(statusOf(id)).toMatchObject({ actual_status: "stopped", _emulator: { destroyed: false } });

    const news = { ...i, label: olds.label };
    expect(await p.diff(id, props, { ...news, replacePaused: false })).toMatchObject({ changes: false, replaces: [] });
    expect(await p.diff(id, props, { ...news, replacePaused: true })).toMatchObject({ changes: true, replaces: ["paused"], deleteBeforeReplace: true });
    expect((await p.diff(id, props, news)).replaces).toEqual(["paused"]); // stacks deployed before the setting: replace

    // It regains priority: the next refresh sees it running again (new host port), nothing to replace.
    emu.injectFault({ kind: "outbid_resume", instanceId: Number(id) });
    await waitFor(id, (s) => s?.actual_status === "running");
    const again = (await p.read(id, props)).props as VastInstanceOutputs;
    expect(again).toMatchObject({ status: "running", paused: false });
    expect(again.port).toBeGreaterThan(0);
    expect(await p.diff(id, again, { ...news, replacePaused: true })).toMatchObject({ changes: false, replaces: [] });
    expect(deletes()).toEqual([]);
    expect(rents(emu)).toBe(1);
  });

  it("reports a dead instance (host offline for the whole confirmation) without touching it; diff replaces it", async () => {
    const p = await configuredProvider(emu);
    const i = inputs();
    const { id, outs } = await checkedCreate(p, i);
    emu.injectFault({ kind: "offline_after_running", instanceId: Number(id) });
    await waitFor(id, (s) => s?.actual_status === "offline");
    process.env.VAST_TEST_WAIT_SCALE = "0.05"; // the 60 s offline confirmation in 3 s
    const props = await p.read(id, outs as VastInstanceOutputs).finally(() => delete process.env.VAST_TEST_WAIT_SCALE).then((r) => r.props as VastInstanceOutputs);
    expect(props).toMatchObject({ status: "offline", paused: false });
    expect(deletes()).toEqual([]);
    expect(statusOf(id)?._emulator.destroyed).toBe(false);
    expect(await p.diff(id, props, { ...i, label: props.label, replacePaused: false })).toMatchObject({ changes: true, replaces: ["status"], deleteBeforeReplace: true });
  });
});

describe("validation before any paid call", () => {
  it.each<[string, Partial<VastInstanceInputs>, RegExp]>([
    ["malformed filter", { selection: { filter: "gpu_ram >> 16", diskGb: 40 } }, /filter/],
    ["disk below 8", { selection: { diskGb: 4 } }, /diskGb must be at least 8/],
    ["zero price cap", { selection: { diskGb: 40, maxPricePerHour: 0 } }, /maxPricePerHour must be > 0/],
    ["empty image", { image: "" }, /image is empty/],
    [":latest image", { image: "vllm/vllm-openai:latest" }, /:latest/],
    ["unknown offer type", { selection: { diskGb: 40, offerType: "spot" as never } }, /offerType must be/],
    ["bad API URL", { apiUrl: "console.vast.ai" }, /not an http\(s\) URL/],
  ])("%s", async (_name, over, message) => {
    const p = await configuredProvider(emu);
    const res = await p.check({} as VastInstanceInputs, inputs(over));
    expect(res.failures?.map((f) => f.reason).join("\n")).toMatch(message);
    expect(rents(emu)).toBe(0);
  });

  it("reports a missing Vast key by its config name", async () => {
    const saved = process.env.VAST_API_KEY;
    delete process.env.VAST_API_KEY;
    try {
      const p = await configuredProvider(emu, "");
      const res = await p.check({} as VastInstanceInputs, inputs());
      expect(res.failures?.[0]).toMatchObject({ property: "vast:apiKey" });
      expect(res.failures?.[0].reason).toContain("pulumi config set --secret vast:apiKey");
    } finally {
      if (saved !== undefined) process.env.VAST_API_KEY = saved;
    }
  });

  it("a wrong Vast key fails the create with the API's message and rents nothing", async () => {
    const p = await configuredProvider(emu, "not-a-valid-key");
    await expect(checkedCreate(p, inputs())).rejects.toThrow(/401|Invalid user key/);
    expect(live(emu)).toHaveLength(0);
  });
});
