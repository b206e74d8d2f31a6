// The provider registry as a stable interface (components/dynamic/registry.ts): the loader texts that
// stacks already hold in their state (tests/fixtures/state/loader-*.json, copied from `pulumi stack
// export`) must still load the provider code from this tree, and their delete must still destroy
// what they created. Pulumi runs the outputs' copy of `__provider` for refresh and destroy, so a
// rename that breaks this leaves paid instances that `pulumi destroy` cannot remove.
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator/types.ts";
import { PROVIDER_METHODS, projectProviderText } from "../../components/dynamic/projectProvider.ts";
import { PROVIDERS, RECORDED_IN_STATE } from "../../components/dynamic/registry.ts";
import { checkedCreate, configuredProvider, fastEmulator, inputs, live } from "../provider/harness.ts";

const ROOT = join(import.meta.dirname, "../..");
const FIXTURES = join(ROOT, "tests/fixtures/state");
// The dynamic-provider host loads a `__provider` text with require-from-string, a dependency of @pulumi/pulumi.
const requireFromString = createRequire(createRequire(import.meta.url).resolve("@pulumi/pulumi"))("require-from-string") as (code: string) => { handler(): Provider };

type Provider = Record<string, (...a: unknown[]) => Promise<unknown>>;

/** Every loader text any version wrote into state, by fixture file and resource type. */
const recorded: Array<{ file: string; type: string; text: string }> = readdirSync(FIXTURES)
  .filter((f) => /^loader-v\d+\.json$/.test(f))
  .flatMap((file) => Object.entries((JSON.parse(readFileSync(join(FIXTURES, file), "utf8")) as { texts: Record<string, string> }).texts)
    .map(([type, text]) => ({ file, type, text })));

const textOf = (type: string) => recorded.filter((r) => r.type === type).at(-1)!.text;

/** A provider from a recorded text, loaded and configured the way the host does it, in a "new host process". */
async function hostLoad(text: string, emu: RunningEmulator): Promise<Provider> {
  const provider = requireFromString(text).handler();
  const values: Record<string, string> = { "vast:apiKey": emu.apiKey, "vast:apiUrl": emu.url };
  await provider.configure({ config: { get: (k: string) => values[k], require: (k: string) => values[k] } });
  return provider;
}

describe("provider registry", () => {
  it("names each dynamic resource type's provider class, with exactly its methods", async () => {
    for (const [name, ref] of Object.entries(PROVIDERS)) {
      const mod = (await import(pathToFileURL(join(ROOT, ref.module)).href)) as Record<string, { prototype: Record<string, unknown> }>;
      const cls = mod[ref.exportName];
      expect(cls, name).toBeTypeOf("function");
      const implemented = PROVIDER_METHODS.filter((m) => typeof cls.prototype[m] === "function");
      expect([...ref.methods].sort(), name).toEqual(implemented.sort());
    }
  });

  it("keeps every module and export name any stack's state names", async () => {
    for (const ref of Object.values(PROVIDERS)) expect(RECORDED_IN_STATE).toContainEqual({ module: ref.module, exportName: ref.exportName });
    for (const { module, exportName } of RECORDED_IN_STATE) {
      const mod = (await import(pathToFileURL(join(ROOT, module)).href)) as Record<string, unknown>;
      expect(mod[exportName], `${module} ${exportName}`).toBeTypeOf("function");
    }
  });

  it("writes today only loader texts that are recorded as fixtures (so each one stays tested)", () => {
    expect(recorded.length).toBeGreaterThanOrEqual(2);
    for (const [name, ref] of Object.entries(PROVIDERS)) {
      expect(recorded.filter((r) => r.type === `pulumi-nodejs:dynamic/${name}`).map((r) => r.text)).toContain(projectProviderText(ref));
    }
  });
});

describe("loader texts already in stack state", () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    // The loader resolves its module against the working directory, the project root (as the host's).
    expect(process.cwd()).toBe(ROOT);
    emu = await fastEmulator();
  });
  afterAll(async () => { await emu?.stop(); });

  it.each(recorded.map((r) => [`${r.file} ${r.type.split("/").pop()}`, r.type, r.text] as const))("%s: loads and lists its methods", (_label, type, text) => {
    const provider = requireFromString(text).handler();
    const ref = PROVIDERS[type.replace("pulumi-nodejs:dynamic/", "") as keyof typeof PROVIDERS];
    expect(ref, type).toBeDefined();
    expect(Object.keys(provider).sort()).toEqual([...ref.methods].sort());
  });

  it("vast:Instance: the recorded text's delete destroys an instance its create rented", async () => {
    const created = await hostLoad(textOf("pulumi-nodejs:dynamic/vast:Instance"), emu);
    const checked = (await created.check({}, inputs())) as { inputs: Record<string, unknown>; failures?: unknown[] };
    expect(checked.failures ?? []).toEqual([]);
    const { id, outs } = (await created.create(checked.inputs)) as { id: string; outs: Record<string, unknown> };
    expect(live(emu).map((i) => String(i.id))).toContain(id);
    // `pulumi destroy` later, in a fresh host process, from the outputs' copy of the text.
    const destroyer = await hostLoad(textOf("pulumi-nodejs:dynamic/vast:Instance"), emu);
    await destroyer.delete(id, outs);
    expect(live(emu).map((i) => String(i.id))).not.toContain(id);
  });

  it("vast:LabelSweeper: the recorded text's delete sweeps an instance rented under its stem", async () => {
    const sweeper = await hostLoad(textOf("pulumi-nodejs:dynamic/vast:LabelSweeper"), emu);
    const base = { labelPrefix: "vast-reranker", stackName: "old-state", resourceName: "reranker" };
    const { id, outs } = (await sweeper.create(base)) as { id: string; outs: { nonce: string; labelStem: string } };
    // An instance an interrupted run rented unseen under this stem (rented with today's provider code).
    const orphan = await checkedCreate(await configuredProvider(emu), inputs({ ...base, nonce: outs.nonce }));
    expect(live(emu).map((i) => String(i.id))).toContain(orphan.id);
    const destroyer = await hostLoad(textOf("pulumi-nodejs:dynamic/vast:LabelSweeper"), emu);
    await destroyer.delete(id, outs);
    expect(live(emu).map((i) => String(i.id))).not.toContain(orphan.id);
  });

  it("vast:ServerlessEndpoint and vast:ServerlessWorkerGroup: the recorded texts' deletes remove the group, the endpoint and every worker instance", async () => {
    const { makeEndpoint, vastClient, GUIDE } = await import("../serverless/helpers.ts");
    const ep = await makeEndpoint(emu, "registry-ep", { coldWorkers: 0, maxWorkers: 1 });
    const [served] = await vastClient({ emulator: emu.url, endpoint_key: ep.key, endpoint_name: "registry-ep", endpoint_id: ep.id, payload: GUIDE });
    expect(served.ok).toBe(true);
    expect(live(emu)).toHaveLength(1);
    const wg = await hostLoad(textOf("pulumi-nodejs:dynamic/vast:ServerlessWorkerGroup"), emu);
    await wg.delete(String(ep.wgId), { endpointId: ep.id });
    expect(live(emu)).toEqual([]);
    const endpoint = await hostLoad(textOf("pulumi-nodejs:dynamic/vast:ServerlessEndpoint"), emu);
    await endpoint.delete(String(ep.id), { endpointName: "registry-ep" });
    expect(emu.serverless.state.endpoints.has(ep.id)).toBe(false);
  }, 300_000);
});
