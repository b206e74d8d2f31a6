// With a Pulumi CLI already installed (a user with internet), scripts/toolchain.sh builds nothing and
// leaves Pulumi's own language host, plugins and PULUMI_HOME alone: the project-local home that holds
// our stand-ins is used only with the offline toolchain. Run on a copy of the scripts (the checkout's
// .cache/pulumi/env.sh is not touched), with a stand-in `pulumi` on PATH.
import { afterAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");
const copy = mkdtempSync(join(tmpdir(), "vr-ambient-"));
afterAll(() => rmSync(copy, { recursive: true, force: true }));

function runToolchain(env: Record<string, string>): string {
  return execFileSync("bash", [join(copy, "scripts/toolchain.sh")], { encoding: "utf8", env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
}

describe("toolchain.sh with a system pulumi", () => {
  mkdirSync(join(copy, "scripts"), { recursive: true });
  cpSync(join(ROOT, "scripts/toolchain.sh"), join(copy, "scripts/toolchain.sh"));
  cpSync(join(ROOT, "toolchain"), join(copy, "toolchain"), { recursive: true });
  const sysBin = join(copy, "system-bin");
  mkdirSync(sysBin);
  writeFileSync(join(sysBin, "pulumi"), "#!/bin/sh\necho v3.300.0\n");
  chmodSync(join(sysBin, "pulumi"), 0o755);
  const path = `${sysBin}:${process.env.PATH}`;
  const localHome = join(copy, ".cache/pulumi/home");

  it("uses it as is: no PATH change, no project-local PULUMI_HOME, plugins acquired by the CLI", () => {
    const printed = runToolchain({ PATH: path, VAST_RERANKER_BUILD_PULUMI: "0" });
    const envFile = readFileSync(join(copy, ".cache/pulumi/env.sh"), "utf8");
    expect(envFile).toContain("VAST_RERANKER_PULUMI_MODE=ambient");
    expect(envFile).not.toMatch(/^export PATH=/m);
    expect(envFile).not.toMatch(/^export PULUMI_HOME=/m);
    expect(envFile).not.toMatch(/^export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION/m);
    expect(printed).not.toContain(".cache/pulumi/bin");
  });

  it("sourcing it keeps the user's PULUMI_HOME and drops one left by an offline build", () => {
    const homeAfter = (home: string) => execFileSync("bash", ["-c", `export PULUMI_HOME="$1"; . "$2"; echo "home=\${PULUMI_HOME:-unset}"`, "_", home, join(copy, ".cache/pulumi/env.sh")], { encoding: "utf8" }).trim();
    expect(homeAfter("/home/user/.pulumi")).toBe("home=/home/user/.pulumi");
    expect(homeAfter(localHome)).toBe("home=unset");
  });
});
