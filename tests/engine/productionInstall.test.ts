// A production install (`npm ci --omit=dev`) runs the whole stack: every module `pulumi up` loads —
// the program, the dynamic providers and the readiness probe with its Cohere client — must be a
// runtime dependency. The sources are copied, not symlinked: Node resolves modules from a file's real
// path, so a symlink into this checkout would find its full node_modules and hide a missing package.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { ROOT, createTestProject, type TestProject } from "../helpers/engine.ts";
import { FAST_BOOT, FAST_POLLS, STACK_SOURCES, liveInstances, localStackConfig } from "../helpers/stack.ts";
import { startEmulator } from "../../emulator/index.ts";
import type { RunningEmulator } from "../../emulator/types.ts";

describe("production install (npm ci --omit=dev)", () => {
  let app = "";
  let emu: RunningEmulator;
  let p: TestProject;
  beforeAll(async () => {
    app = mkdtempSync(join(tmpdir(), "vr-prod-"));
    for (const f of [...STACK_SOURCES, "package-lock.json"]) cpSync(join(ROOT, f), join(app, f), { recursive: true });
    execFileSync("npm", ["ci", "--omit=dev", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: app, stdio: "pipe", timeout: 300_000 });
    emu = await startEmulator(FAST_BOOT);
    p = await createTestProject({ from: app, sources: [...STACK_SOURCES, "node_modules"], stackName: "prod", config: localStackConfig(emu), env: FAST_POLLS });
  }, 360_000);
  afterAll(async () => {
    p?.cleanup();
    await emu?.stop();
    if (app) rmSync(app, { recursive: true, force: true });
  });

  it("has no dev dependency, and up (readiness probe with its Cohere client included) → destroy works", async () => {
    for (const dev of ["vitest", "eslint", "typescript-eslint"]) expect(existsSync(join(app, "node_modules", dev)), dev).toBe(false);
    expect(existsSync(join(app, "node_modules", "cohere-ai"))).toBe(true);
    const up = await p.stack.up();
    expect(up.summary.result).toBe("succeeded");
    const report = JSON.parse(up.outputs.probeReport.value as string) as { ok: boolean; cohere: { results: number } };
    expect(report.ok).toBe(true);
    expect(report.cohere.results).toBe(4);
    expect(liveInstances(emu)).toHaveLength(1);
    await p.stack.destroy();
    expect(liveInstances(emu)).toHaveLength(0);
  }, 240_000);
});
