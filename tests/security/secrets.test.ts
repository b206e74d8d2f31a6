// Secret scan: after up, refresh and destroy, neither the generated API key nor the Vast key
// appears in plaintext in `pulumi stack export`, in anything the engine printed (stdout + stderr of
// every command), in the probe's output (the probeReport output, the Command's stdout/stderr in
// state), or in any file under the project dir, the backend dir and the Pulumi home.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { ROOT, createTestProject, filesContaining, type TestProject } from "../helpers/engine.ts";
import { startEmulator } from "../../emulator/index.ts";
import type { RunningEmulator } from "../../emulator/types.ts";
import { FAST_BOOT, FAST_POLLS, STACK_SOURCES, liveInstances, localStackConfig } from "../helpers/stack.ts";
import { type ExportedState, allEngineOutput, pulumiOk, recordScenario, summaryLine } from "../helpers/chaos.ts";

const SUITE = "security-secrets";
const COMMAND_TYPE = "command:local:Command";

let emu: RunningEmulator;
let p: TestProject;

beforeAll(async () => {
  emu = await startEmulator(FAST_BOOT);
  p = await createTestProject({ sources: STACK_SOURCES, stackName: "sec", config: localStackConfig(emu), env: FAST_POLLS });
}, 120_000);

afterAll(async () => {
  console.log(summaryLine(SUITE));
  p?.cleanup();
  await emu?.stop();
});

/** Where the CLI keeps its plugins, credentials and logs for these tests. */
function pulumiHome(): string {
  return process.env.PULUMI_HOME ?? join(process.env.HOME ?? "/root", ".pulumi");
}

/** A value from `stack export --show-secrets`: secrets come as {<sig>: …, plaintext: "<json>"}. */
function revealed(v: unknown): string {
  if (v && typeof v === "object" && "plaintext" in v) return String(JSON.parse(String((v as { plaintext: string }).plaintext)));
  return String(v ?? "");
}

describe("no plaintext secret anywhere, across up, refresh and destroy", () => {
  it("scans exports, engine output, probe output and files at every step", async () => {
    // Reading a secret on purpose goes through p.cli, whose output is not part of the scanned engine output.
    const exportsSeen: Array<[string, string]> = [];
    const snapshot = (step: string) => exportsSeen.push([step, p.cli(["stack", "export"])]);

    await pulumiOk(p, ["up", "--yes"]);
    const apiKey = p.cli(["stack", "output", "apiKey", "--show-secrets"]).trim();
    const vastKey = emu.apiKey;
    expect(apiKey).toMatch(/^[0-9a-f]{64}$/);
    expect(vastKey).toMatch(/^[0-9a-f]{64}$/);
    snapshot("after up");

    // The key is really in use: the probe authenticated with it and strangers were refused.
    const report = JSON.parse(p.cli(["stack", "output", "probeReport"])) as { ok: boolean; auth: { open: string[]; requests: number } };
    expect(report.ok).toBe(true);
    expect(report.auth.open).toEqual([]);
    expect(report.auth.requests).toBeGreaterThan(10);
    const [inst] = liveInstances(emu);
    expect(inst.extra_env).toContainEqual(["VLLM_API_KEY", apiKey]); // only Vast (the host) receives it

    // The probe's own output, decrypted: stdout (the report) and stderr of the readiness Command.
    const decrypted = JSON.parse(p.cli(["stack", "export", "--show-secrets"])) as ExportedState;
    // Positive control: the state does hold both keys (encrypted), so a plaintext copy would be found.
    expect(JSON.stringify(decrypted)).toContain(apiKey);
    expect(JSON.stringify(decrypted)).toContain(vastKey);
    const probe = decrypted.deployment.resources?.find((r) => r.type === COMMAND_TYPE)?.outputs ?? {};
    const probeOutput = `${revealed(probe.stdout)}\n${revealed(probe.stderr)}`;
    expect(revealed(probe.stdout)).toContain('"ok":true');

    await pulumiOk(p, ["preview", "--expect-no-changes"]);
    await pulumiOk(p, ["refresh", "--yes"]);
    snapshot("after refresh");
    await pulumiOk(p, ["stack", "output"]); // what a user prints; secrets shown as [secret]
    await pulumiOk(p, ["destroy", "--yes"]);
    snapshot("after destroy");
    expect(liveInstances(emu)).toHaveLength(0);

    const engineOut = allEngineOutput();
    expect(engineOut).toMatch(/\[vast vast-reranker\.sec\./); // the provider's progress is in there
    expect(engineOut).toContain("[secret]");
    const files = (dir: string, secret: string) => filesContaining(dir, secret).filter((f) => !f.includes("node_modules"));
    const places: Record<string, (secret: string) => number> = {
      "stack export (up, refresh, destroy)": (s) => exportsSeen.filter(([, text]) => text.includes(s)).length,
      "engine output (every command)": (s) => (engineOut.includes(s) ? 1 : 0),
      "probe output (probeReport, Command stdout/stderr)": (s) => (probeOutput.includes(s) ? 1 : 0) + (JSON.stringify(report).includes(s) ? 1 : 0),
      "files under the project dir": (s) => files(p.workDir, s).length,
      "files under the backend dir": (s) => files(p.backendDir, s).length,
      "files under the Pulumi home": (s) => files(pulumiHome(), s).length,
      "files under .cache/pulumi/logs": (s) => files(join(ROOT, ".cache/pulumi/logs"), s).length,
    };
    const hits: Record<string, number> = {};
    for (const [place, count] of Object.entries(places)) {
      for (const [name, secret] of [["apiKey", apiKey], ["vastKey", vastKey]]) {
        hits[`${place} / ${name}`] = count(secret);
      }
      recordScenario({ suite: SUITE, scenario: place, leaked: 0, secretHits: count(apiKey) + count(vastKey) });
    }
    // The scans see the encrypted form, so they would see a plaintext one.
    for (const [, text] of exportsSeen.slice(0, 2)) expect(text).toContain("ciphertext");
    expect(Object.values(hits).reduce((a, b) => a + b, 0), JSON.stringify(hits, null, 1)).toBe(0);
  }, 300_000);
});
