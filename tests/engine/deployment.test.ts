// End to end: the real engine deploys the stack against the emulator, whose vLLM stand-in
// runs the hardened launch for real; outputs, auth, no-change preview/refresh, secrets, consumer.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { ROOT, createTestProject, filesContaining, type TestProject } from "../helpers/engine.ts";
import { startEmulator } from "../../emulator/index.ts";
import type { RunningEmulator } from "../../emulator/types.ts";
import { projectProviderText } from "../../components/dynamic/projectProvider.ts";
import { PROVIDERS } from "../../components/dynamic/registry.ts";
import { FAST_BOOT, FAST_POLLS, STACK_SOURCES, liveInstances as live, localStackConfig } from "../helpers/stack.ts";

describe("deploy the reranker stack (hardened, default)", () => {
  let emu: RunningEmulator;
  let p: TestProject;
  let consumer: TestProject | undefined;
  beforeAll(async () => {
    emu = await startEmulator(FAST_BOOT);
    p = await createTestProject({ sources: STACK_SOURCES, stackName: "local", config: localStackConfig(emu), env: FAST_POLLS });
  }, 120_000);
  afterAll(async () => {
    consumer?.cleanup();
    p?.cleanup();
    await emu?.stop();
  });

  it("up → verified outputs → no-change preview and refresh → consumer → destroy leaves nothing", async () => {
    let upLog = "";
    const up = await p.stack.up({ onOutput: (s) => { upLog += s; } });
    expect(up.summary.result).toBe("succeeded");
    const o = Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.value])) as Record<string, string | number>;
    const key = o.apiKey as string;
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(up.outputs.apiKey.secret).toBe(true);
    for (const k of ["endpoint", "ip", "port", "rerankUrl", "scoreUrl", "cohereBaseUrl", "model", "instanceId", "gpuName", "pricePerHour", "probeReport"]) {
      expect(up.outputs[k].secret, `${k} should be readable without --show-secrets`).toBe(false);
    }
    expect(o.endpoint).toBe(`http://${o.ip}:${o.port}`);
    expect(o.ip).toMatch(/^127\./);
    expect(o.rerankUrl).toBe(`${o.endpoint}/v1/rerank`);
    expect(o.scoreUrl).toBe(`${o.endpoint}/v1/score`);
    expect(o.cohereBaseUrl).toBe(o.endpoint);
    expect(o.model).toBe("BAAI/bge-reranker-base");
    expect(typeof o.gpuName).toBe("string");
    expect(o.pricePerHour).toBeGreaterThan(0);
    expect(o.pricePerHour).toBeLessThanOrEqual(1);
    const report = JSON.parse(o.probeReport as string) as { ok: boolean; auth: { open: string[] }; rerank: { topIndex: number } };
    expect(report.ok).toBe(true);
    expect(report.auth.open).toEqual([]);
    expect([0, 2]).toContain(report.rerank.topIndex);

    const running = live(emu);
    expect(running).toHaveLength(1);
    expect(running[0].id).toBe(o.instanceId);
    expect(running[0].label).toMatch(/^vast-reranker\.local\.reranker\./);

    // The endpoint answers with the key and refuses strangers, on every path the guide uses.
    const body = JSON.stringify({ model: "BAAI/bge-reranker-base", query: "What is deep learning?", documents: ["Deep learning is a type of machine learning", "I like pizza"] });
    const post = (path: string, auth?: string) => fetch(`${o.endpoint}${path}`, { method: "POST", headers: { "content-type": "application/json", ...(auth ? { authorization: `Bearer ${auth}` } : {}) }, body });
    expect((await post("/rerank", key)).status).toBe(200);
    for (const path of ["/rerank", "/score", "/v1/rerank", "/invocations"]) expect((await post(path)).status, path).toBe(401);
    expect((await post("/rerank", "wrong")).status).toBe(401);

    await p.stack.preview({ expectNoChanges: true });
    await p.stack.refresh({ expectNoChanges: true });

    // Neither the generated key nor the Vast key is stored or printed in plaintext.
    const exported = p.cli(["stack", "export"]);
    const inst = (JSON.parse(exported) as { deployment: { resources: Array<{ type: string; outputs: Record<string, unknown> }> } }).deployment.resources.find((r) => r.type === "pulumi-nodejs:dynamic/vast:Instance");
    expect(JSON.stringify(inst?.outputs.secretEnvHash)).toContain("ciphertext");
    // State keeps the fixed ~1 KB loader, not provider code (components/dynamic/projectProvider.ts).
    expect(inst?.outputs.__provider).toBe(projectProviderText(PROVIDERS["vast:Instance"]));
    for (const secret of [key, emu.apiKey]) {
      expect(exported).not.toContain(secret);
      expect(upLog).not.toContain(secret);
      expect(filesContaining(p.backendDir, secret)).toEqual([]);
      expect(filesContaining(p.workDir, secret).filter((f) => !f.includes("node_modules"))).toEqual([]);
    }

    // A second stack consumes the outputs through a StackReference.
    consumer = await createTestProject({
      from: join(ROOT, "examples/consumer"), sources: ["Pulumi.yaml", "package.json", "index.ts", "rerank.ts"], stackName: "consumer",
      backendDir: p.backendDir, config: { "vast-reranker-consumer:rerankerStack": { value: "organization/vast-reranker/local" } },
    });
    const cup = await consumer.stack.up();
    expect(cup.outputs.rerankEndpoint.value).toBe(o.endpoint);
    expect(cup.outputs.topDocument.value).toMatch(/^Deep learning/);
    const scores = cup.outputs.scores.value as number[];
    expect(scores).toHaveLength(4);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(consumer.cli(["stack", "export"])).not.toContain(key);
    await consumer.stack.destroy();

    const down = await p.stack.destroy();
    expect(down.summary.result).toBe("succeeded");
    expect(live(emu)).toHaveLength(0);
  }, 300_000);
});
