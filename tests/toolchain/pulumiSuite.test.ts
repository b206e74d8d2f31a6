// Pulumi's own language-host conformance suite (pulumi-test-language from the served pkg/v3) against
// our Node.js language host, through toolchain/conformance/run.sh: a subset that covers what the
// host does for the product (run with config and secrets, a `main:` subdirectory, the program's
// working directory, required packages and dependencies of a generated provider SDK). The whole
// suite and its results: toolchain/conformance/README.md. Only with the offline toolchain, whose
// host this is; with a system Pulumi CLI, Pulumi's own host runs and Pulumi tests it.
import { afterAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");
const envFile = join(ROOT, ".cache/pulumi/env.sh");
const built = existsSync(envFile) && /VAST_RERANKER_PULUMI_MODE=built/.test(readFileSync(envFile, "utf8"));
const SUBSET = ["l1-main", "l1-builtin-cwd", "l1-config-secret", "l2-resource-simple"];
const work = mkdtempSync(join(tmpdir(), "vr-pulumi-suite-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function runSuite(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn("bash", [join(ROOT, "toolchain/conformance/run.sh"), ...args], {
      env: { ...process.env, VR_CONFORMANCE_WORK: join(work, "run") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

describe.skipIf(!built)("Pulumi's language-host conformance suite against our host (subset)", () => {
  it(`${SUBSET.join(", ")} pass, with Run, InstallDependencies and the dependency queries served by our host`, async () => {
    const res = await runSuite(["--run", `^(${SUBSET.join("|")})$`, "-j", "2"]);
    expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
    for (const name of SUBSET) expect(res.stdout).toMatch(new RegExp(`^PASS ${name} `, "m"));
    expect(res.stdout).toMatch(new RegExp(`^conformance: ${SUBSET.length} run, ${SUBSET.length} passed, 0 failed`, "m"));
    const served = /^conformance: calls served: (.*)$/m.exec(res.stdout)?.[1] ?? "";
    for (const call of ["Run", "InstallDependencies", "GetRequiredPackages", "GetProgramDependencies"]) {
      expect(served).toMatch(new RegExp(`host ${call} x\\d+`));
    }
    // Only code generation and packing are not ours (toolchain/conformance/adapter.go).
    expect(served.split(", ").filter((c) => c.startsWith("codegen ")).map((c) => c.split(" ")[1]).sort())
      .toEqual(["GeneratePackage", "GenerateProject", "Pack"]);
  }, 900_000);
});
