// RerankerDeployment under pulumi.runtime.setMocks (no engine, no providers): which resources it
// registers, that every endpoint output waits for the readiness command, and which outputs are secret.
import { describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { parseDeploymentConfig } from "../../components/config.ts";
import { RerankerDeployment, createFirst } from "../../components/rerankerDeployment.ts";
import { stackConfig } from "../helpers/projectConfig.ts";

const IP = "203.0.113.7";
const PORT = 41234;
const KEY = "ab".repeat(32);
const REPORT = JSON.stringify({ ok: true, checks: [] });

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
}

/** Mocks standing in for the engine; `readiness` decides when (and with what) the probe Command finishes. */
function mocks(readiness: Promise<Record<string, unknown>>, preview = false) {
  const registered: Registered[] = [];
  const commandSeen = deferred<void>();
  const m: pulumi.runtime.Mocks = {
    call: (args) => args.inputs,
    newResource: async (args) => {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs });
      switch (args.type) {
        case "pulumi-nodejs:dynamic/vast:LabelSweeper":
          return { id: "sweeper-1a2b3c4d", state: { ...args.inputs, nonce: "1a2b3c4d", labelStem: "vast-reranker.dev.reranker.1a2b3c4d." } };
        case "random:index/randomBytes:RandomBytes":
          return { id: "bytes", state: { ...args.inputs, hex: KEY, base64: Buffer.from(KEY, "hex").toString("base64") } };
        case "pulumi-nodejs:dynamic/vast:Instance":
          return {
            id: "24310001",
            state: preview ? { ...args.inputs } : { ...args.inputs, instanceId: 24310001, publicIp: IP, port: PORT, gpuName: "RTX 4090", pricePerHour: 0.42, machineId: 777, status: "running" },
          };
        case "command:local:Command":
          commandSeen.resolve();
          return { id: "readiness", state: { ...args.inputs, ...(await readiness) } };
        default:
          return { id: `${args.name}-id`, state: args.inputs };
      }
    },
  };
  return { m, registered, commandSeen: commandSeen.promise, preview };
}

interface OutputsRequest {
  getUrn(): string;
  getOutputs(): { toJavaScript(): Record<string, unknown> } | undefined;
}

async function deploy(env = "-p 8000:8000", readiness: Promise<Record<string, unknown>> = Promise.resolve({ stdout: REPORT }), preview = false, config: Record<string, string> = {}) {
  const mk = mocks(readiness, preview);
  await pulumi.runtime.setMocks(mk.m, "vast-reranker", "dev", preview);
  // The component's registerOutputs call, as the engine would receive it. Tests await it, so that
  // no call of this test reaches the next test's mock monitor.
  const outputsRegistered = deferred<Record<string, unknown>>();
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResourceOutputs(req: OutputsRequest, cb: unknown): void };
  const original = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, cb) => {
    original(req, cb);
    if (req.getUrn().endsWith("RerankerDeployment::reranker")) outputsRegistered.resolve(req.getOutputs()?.toJavaScript() ?? {});
  };
  const reranker = new RerankerDeployment("reranker", { config: parseDeploymentConfig(stackConfig({ env, ...config })) });
  return { reranker, outputsRegistered: outputsRegistered.promise, ...mk };
}

/** A value the SDK sent to the engine as a secret (its wire form), unwrapped; throws when it was sent in plain. */
function asSecret(v: unknown): unknown {
  const wire = v as Record<string, unknown>;
  if (wire?.[pulumi.runtime.specialSigKey] !== pulumi.runtime.specialSecretSig) throw new Error(`not sent as a secret: ${JSON.stringify(v)}`);
  return wire.value;
}

/** The value of an Output, or "unknown" when the engine would not know it (preview). */
function valueOf<T>(o: pulumi.Output<T>): Promise<T | "unknown"> {
  const internal = o as unknown as { isKnown: Promise<boolean>; promise(): Promise<T> };
  return Promise.all([internal.isKnown, internal.promise()]).then(([known, v]) => (known ? v : "unknown"));
}

const PUBLIC = ["endpoint", "ip", "port", "rerankUrl", "scoreUrl", "cohereBaseUrl", "model", "instanceId", "gpuName", "pricePerHour", "probeReport"] as const;

const REPLICA_OUTPUTS = ["endpoints", "replicas", "pricePerHourTotal", "probeReports", "failedReplicas"] as const;

const out = (r: RerankerDeployment, k: (typeof PUBLIC)[number]) => r[k] as pulumi.Output<unknown>;

describe("RerankerDeployment (setMocks)", () => {
  it("registers the component, then sweeper and key, then instance, then readiness probe", async () => {
    const { reranker, registered, outputsRegistered } = await deploy();
    await valueOf(reranker.endpoint);
    await outputsRegistered;
    const types = registered.map((r) => r.type);
    const [component, sweeper, key, inst, command] = [
      "vast-reranker:index:RerankerDeployment",
      "pulumi-nodejs:dynamic/vast:LabelSweeper",
      "random:index/randomBytes:RandomBytes",
      "pulumi-nodejs:dynamic/vast:Instance",
      "command:local:Command",
    ];
    expect([...types].sort()).toEqual([component, sweeper, key, inst, command].sort());
    // The nonce (sweeper) and the key exist before the instance is rented; the probe runs last.
    // Sweeper and key are registered in the same turn: their order is the SDK's, not a contract.
    const at = (t: string) => types.indexOf(t);
    expect(at(component)).toBe(0);
    expect(Math.max(at(sweeper), at(key))).toBeLessThan(at(inst));
    expect(at(inst)).toBeLessThan(at(command));
    const instance = registered.find((r) => r.type.endsWith("vast:Instance"))!;
    expect(instance.inputs).toMatchObject({ nonce: "1a2b3c4d", stackName: "dev", resourceName: "reranker", image: "vllm/vllm-openai:v0.30.0-cu129" });
    const probe = registered.find((r) => r.type === "command:local:Command")!;
    expect(probe.inputs).toMatchObject({ create: "node components/readiness/probe.ts", triggers: [24310001] });
    // The probe's environment carries the key, so the engine gets it as a secret; so is the instance's secretEnv.
    const env = asSecret(probe.inputs.environment) as Record<string, string>;
    expect(env).toMatchObject({ RERANKER_ENDPOINT: `http://${IP}:${PORT}`, RERANKER_API_KEY: KEY, RERANKER_MODEL: "BAAI/bge-reranker-base" });
    // Set from config, also when empty: a PROBE_EXPECT_OPEN in the environment of `pulumi` cannot leak in.
    expect(env.PROBE_EXPECT_OPEN).toBe("");
    expect(asSecret(instance.inputs.secretEnv)).toEqual({ VLLM_API_KEY: KEY });
    expect(JSON.stringify(instance.inputs.env)).not.toContain(KEY);
  });

  it("resolves every endpoint output only after the readiness command finished", async () => {
    const gate = deferred<Record<string, unknown>>();
    const { reranker, commandSeen, outputsRegistered } = await deploy("-p 8000:8000", gate.promise);
    const settled = new Set<string>();
    for (const k of PUBLIC) void valueOf(out(reranker, k)).then(() => settled.add(k));
    await commandSeen; // the instance is up (the probe's inputs hold its ip:port) and the probe runs
    await new Promise((r) => setTimeout(r, 100));
    expect([...settled]).toEqual([]);
    gate.resolve({ stdout: REPORT });
    const values = Object.fromEntries(await Promise.all(PUBLIC.map(async (k) => [k, await valueOf(out(reranker, k))] as const)));
    expect(values).toEqual({
      endpoint: `http://${IP}:${PORT}`, ip: IP, port: PORT, rerankUrl: `http://${IP}:${PORT}/v1/rerank`, scoreUrl: `http://${IP}:${PORT}/v1/score`,
      cohereBaseUrl: `http://${IP}:${PORT}`, model: "BAAI/bge-reranker-base", instanceId: 24310001, gpuName: "RTX 4090", pricePerHour: 0.42, probeReport: REPORT,
    });
    await outputsRegistered;
  });

  it("passes vast-reranker:probeExpectOpen to the readiness probe", async () => {
    const { registered, outputsRegistered } = await deploy("-p 8000:8000", undefined, false, { hardened: "false", probeExpectOpen: "POST /rerank,/metrics" });
    await outputsRegistered;
    const probe = registered.find((r) => r.type === "command:local:Command")!;
    expect(asSecret(probe.inputs.environment)).toMatchObject({ PROBE_EXPECT_OPEN: "POST /rerank,/metrics", PROBE_HARDENED: "false" });
  });

  it("registers every public output as the component's outputs (what the engine and `pulumi stack` see)", async () => {
    const { outputsRegistered } = await deploy();
    const registeredOutputs = await outputsRegistered;
    expect(Object.keys(registeredOutputs).sort()).toEqual([...PUBLIC, ...REPLICA_OUTPUTS, "apiKey"].sort());
    expect(registeredOutputs).toMatchObject({
      endpoints: [`http://${IP}:${PORT}`], pricePerHourTotal: 0.42, probeReports: [REPORT], failedReplicas: [],
      replicas: [{ endpoint: `http://${IP}:${PORT}`, instanceId: 24310001, machineId: 777, gpuName: "RTX 4090", pricePerHour: 0.42 }],
    });
    expect(asSecret(registeredOutputs.apiKey)).toBe(KEY);
    expect(registeredOutputs).toMatchObject({ ip: IP, port: PORT, model: "BAAI/bge-reranker-base", probeReport: REPORT, cohereBaseUrl: `http://${IP}:${PORT}` });
  });

  it("in a preview the outputs stay unknown while the probe has not run", async () => {
    const { reranker, outputsRegistered } = await deploy("-p 8000:8000", Promise.resolve({}), true);
    for (const k of PUBLIC) expect(await valueOf(out(reranker, k)), k).toBe("unknown");
    await outputsRegistered;
  });

  it("keeps the generated key secret and nothing else", async () => {
    const { reranker, outputsRegistered } = await deploy();
    // The component marks it secret itself: it does not rely on the provider's secret outputs.
    expect(await pulumi.isSecret(reranker.apiKey)).toBe(true);
    expect(await valueOf(reranker.apiKey)).toBe(KEY);
    for (const k of PUBLIC) expect(await pulumi.isSecret(out(reranker, k)), k).toBe(false);
    await outputsRegistered;
  });

  it("a key chosen in the env string is used as is, secret, and no key is generated", async () => {
    const { reranker, registered, outputsRegistered } = await deploy("-p 8000:8000 -e VLLM_API_KEY=my-own-key-0123456789");
    await outputsRegistered;
    expect(await valueOf(reranker.apiKey)).toBe("my-own-key-0123456789");
    expect(await pulumi.isSecret(reranker.apiKey)).toBe(true);
    expect(registered.map((r) => r.type)).not.toContain("random:index/randomBytes:RandomBytes");
    const instance = registered.find((r) => r.type.endsWith("vast:Instance"))!;
    expect(JSON.stringify(instance.inputs.env)).not.toContain("my-own-key");
  });

  it("replicas = 3: replica 0 keeps the single-replica names, one key, a sweeper, instance and probe per replica, placement for each", async () => {
    const { reranker, registered, outputsRegistered } = await deploy("-p 8000:8000", undefined, false, { replicas: "3" });
    const outs = await outputsRegistered;
    const names = (t: string) => registered.filter((r) => r.type === t).map((r) => r.name).sort();
    expect(names("pulumi-nodejs:dynamic/vast:Instance")).toEqual(["reranker-1-instance", "reranker-2-instance", "reranker-instance"]);
    expect(names("pulumi-nodejs:dynamic/vast:LabelSweeper")).toEqual(["reranker-1-sweeper", "reranker-2-sweeper", "reranker-sweeper"]);
    expect(names("command:local:Command")).toEqual(["reranker-1-readiness", "reranker-2-readiness", "reranker-readiness"]);
    expect(names("random:index/randomBytes:RandomBytes")).toEqual(["reranker-api-key"]);
    const inst = registered.filter((r) => r.type.endsWith("vast:Instance"));
    for (const r of inst) expect(asSecret(r.inputs.secretEnv)).toEqual({ VLLM_API_KEY: KEY });
    expect(inst.map((r) => (r.inputs.placement as { index: number }).index).sort()).toEqual([0, 1, 2]);
    // replaceOrder auto: create-first with several replicas.
    for (const r of inst) expect(r.inputs.createBeforeDelete).toBe(true);
    expect(inst.map((r) => r.inputs.resourceName).sort()).toEqual(["reranker", "reranker-1", "reranker-2"]);
    expect(outs.endpoints).toHaveLength(3);
    expect(outs.pricePerHourTotal).toBe(1.26);
    expect(await valueOf(reranker.endpoint)).toBe(`http://${IP}:${PORT}`);
  });

  it("replicas = 1 passes no placement (the instance's inputs are those of before replicas existed)", async () => {
    const { registered, outputsRegistered } = await deploy();
    await outputsRegistered;
    const inputs = registered.find((r) => r.type.endsWith("vast:Instance"))!.inputs;
    expect(inputs).not.toHaveProperty("placement");
    expect(inputs).not.toHaveProperty("createBeforeDelete");
  });

  it("replaceOrder: auto is delete-first for 1 replica and create-first for more; explicit values win", () => {
    const c = (replicas: number, replaceOrder: "auto" | "create-first" | "delete-first") => createFirst({ replicas, replaceOrder });
    expect([c(1, "auto"), c(2, "auto"), c(1, "create-first"), c(3, "delete-first")]).toEqual([false, true, true, false]);
  });
});
