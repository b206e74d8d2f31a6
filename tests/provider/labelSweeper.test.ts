// VastLabelSweeperProvider against the emulator: it owns the nonce of the label stem, keeps it across
// prefix changes, and on delete destroys exactly the instances whose label carries its stem.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator/types.ts";
import { VastLabelSweeperProvider, type SweeperInputs, type SweeperOutputs } from "../../components/vast/sweeper/labelSweeperProvider.ts";
import { instanceLabel } from "../../components/vast/instance/instanceLogic.ts";
import { checkedCreate, configuredFor, configuredProvider, fastEmulator, inputs, live } from "./harness.ts";

let emu: RunningEmulator;
beforeAll(async () => { emu = await fastEmulator(); });
afterAll(async () => { await emu.stop(); });

const sweeper = () => configuredFor(new VastLabelSweeperProvider(), emu);

const base: SweeperInputs = { labelPrefix: "vast-reranker", stackName: "test", resourceName: "sweep" };

describe("VastLabelSweeperProvider", () => {
  it("draws an 8-hex nonce at create and derives the stem the instance labels start with", async () => {
    const p = await sweeper();
    const a = (await p.create(base)).outs as SweeperOutputs;
    const b = (await p.create(base)).outs as SweeperOutputs;
    expect(a.nonce).toMatch(/^[0-9a-f]{8}$/);
    expect(a.nonce).not.toBe(b.nonce);
    expect(a.labelStem).toBe(`vast-reranker.test.sweep.${a.nonce}.`);
    expect(instanceLabel({ ...base, nonce: a.nonce }, "0123456789abcdef").startsWith(a.labelStem)).toBe(true);
  });

  it("relabels in place on a prefix or stack-name change (same nonce) and replaces on a resource or API change", async () => {
    const p = await sweeper();
    const { id, outs } = await p.create(base);
    const olds = outs as SweeperOutputs;
    expect(await p.diff(id, olds, base)).toEqual({ changes: false, replaces: [] });
    expect(await p.diff(id, olds, { ...base, labelPrefix: "team-a" })).toEqual({ changes: true, replaces: [] });
    const updated = (await p.update(id, olds, { ...base, labelPrefix: "team-a" })).outs as SweeperOutputs;
    expect(updated.nonce).toBe(olds.nonce);
    expect(updated.labelStem).toBe(`team-a.test.sweep.${olds.nonce}.`);
    // `pulumi stack rename`: same nonce, new stem (a new nonce would replace the instance, i.e. rent a new GPU).
    expect(await p.diff(id, olds, { ...base, stackName: "prod" })).toEqual({ changes: true, replaces: [] });
    const renamed = (await p.update(id, olds, { ...base, stackName: "prod" })).outs as SweeperOutputs;
    expect(renamed).toMatchObject({ nonce: olds.nonce, labelStem: `vast-reranker.prod.sweep.${olds.nonce}.` });
    expect((await p.diff(id, olds, { ...base, resourceName: "other" })).replaces).toEqual(["resourceName"]);
    expect((await p.diff(id, olds, { ...base, apiUrl: "http://127.0.0.1:1" })).replaces).toEqual(["apiUrl"]);
  });

  it("on delete destroys the instances carrying its stem and nothing else", async () => {
    const p = await sweeper();
    const { id, outs } = await p.create({ ...base, resourceName: "mine" });
    const mine = outs as SweeperOutputs;
    const instances = await configuredProvider(emu);
    // Rented by "an interrupted run" under this stem, and a neighbour whose stem differs only in the nonce.
    const orphan = await checkedCreate(instances, inputs({ stackName: "test", resourceName: "mine", nonce: mine.nonce }));
    const neighbour = await checkedCreate(instances, inputs({ stackName: "test", resourceName: "mine", nonce: "ffffffff" }));
    await p.delete(id, mine);
    const left = live(emu).map((i) => String(i.id));
    expect(left).not.toContain(orphan.id);
    expect(left).toContain(neighbour.id);
    await instances.delete(neighbour.id, neighbour.outs as never);
  });

  it("refuses to sweep with a malformed stem instead of matching other stacks' instances", async () => {
    const p = await sweeper();
    const bad = { ...base, nonce: "", labelStem: "" } as SweeperOutputs;
    await expect(p.delete("sweeper-x", bad)).rejects.toThrow(/malformed label stem/);
    await expect(p.delete("sweeper-x", { ...bad, labelStem: "vast-reranker." })).rejects.toThrow(/malformed label stem/);
  });

  it("still sweeps state written before it owned the nonce (the stem was the id)", async () => {
    const p = await sweeper();
    const instances = await configuredProvider(emu);
    const orphan = await checkedCreate(instances, inputs({ stackName: "old", resourceName: "legacy", nonce: "0badc0de" }));
    await p.delete("vast-reranker.old.legacy.0badc0de.", { labelStem: undefined } as unknown as SweeperOutputs);
    expect(live(emu).map((i) => String(i.id))).not.toContain(orphan.id);
  });
});
