// Smoke test: the real Pulumi engine (offline toolchain) runs random, command and a dynamic provider.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { ROOT, createTestProject, filesContaining, type TestProject } from "../helpers/engine.ts";

describe("engine smoke test", () => {
  let p: TestProject;
  beforeAll(async () => {
    p = await createTestProject({ from: join(ROOT, "tests/fixtures/smoke"), sources: ["Pulumi.yaml", "package.json", "index.ts"], stackName: "smoke" });
  }, 120_000);
  afterAll(() => p?.cleanup());

  it("up → preview (no changes) → refresh (no changes) → destroy", async () => {
    const up = await p.stack.up();
    expect(up.summary.result).toBe("succeeded");
    expect(up.outputs.echoed.value).toBe("smoke-ok");
    expect(up.outputs.message.value).toBe("hello engine");
    const hex = up.outputs.secretHex.value as string;
    expect(hex).toMatch(/^[0-9a-f]{32}$/);
    expect(up.outputs.secretHex.secret).toBe(true);

    // The random secret is stored only encrypted.
    // `pulumi stack export` (the Automation API's exportStack decrypts: it passes --show-secrets).
    const exported = p.cli(["stack", "export"]);
    expect(exported).not.toContain(hex);
    expect(exported).toContain("ciphertext");
    expect(filesContaining(p.backendDir, hex)).toEqual([]);

    const preview = await p.stack.preview({ expectNoChanges: true });
    expect(preview.changeSummary.create ?? 0).toBe(0);
    await p.stack.refresh({ expectNoChanges: true });

    const down = await p.stack.destroy();
    expect(down.summary.result).toBe("succeeded");
    const after = JSON.parse(p.cli(["stack", "export"])) as { deployment: { resources?: unknown[] } };
    expect(after.deployment.resources ?? []).toHaveLength(0);
  }, 300_000);
});
