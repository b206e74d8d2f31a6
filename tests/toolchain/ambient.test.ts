// With a Pulumi CLI already installed (a user with internet), scripts/toolchain.sh builds nothing and
// leaves Pulumi's own language host, plugins and PULUMI_HOME alone: the project-local home that holds
// our stand-ins is used only with the offline toolchain. Run on a copy of the scripts (the checkout's
// .cache/pulumi/env.sh is not touched), with a stand-in `pulumi` on PATH.
import { afterAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
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

  it("its own earlier build reached through a symlinked .cache is not mistaken for a system pulumi", () => {
    // The checkout's .cache is a symlink (a git worktree sharing one cache): the built CLI on PATH
    // resolves outside the unresolved .cache path, yet it is ours, so the script goes on to build.
    const linked = mkdtempSync(join(tmpdir(), "vr-ambient-linked-"));
    try {
      mkdirSync(join(linked, "scripts"));
      cpSync(join(ROOT, "scripts/toolchain.sh"), join(linked, "scripts/toolchain.sh"));
      cpSync(join(ROOT, "toolchain"), join(linked, "toolchain"), { recursive: true });
      const realCache = join(linked, "real-cache");
      mkdirSync(join(realCache, "pulumi/bin"), { recursive: true });
      writeFileSync(join(realCache, "pulumi/bin/pulumi"), "#!/bin/sh\necho v3.259.0\n");
      chmodSync(join(realCache, "pulumi/bin/pulumi"), 0o755);
      symlinkSync(realCache, join(linked, ".cache"));
      const noGo = join(linked, "no-go");
      mkdirSync(noGo);
      for (const tool of ["bash", "sh", "readlink", "dirname", "cat", "sed", "grep", "head", "sort", "mkdir", "printf"]) {
        const at = execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim();
        symlinkSync(at, join(noGo, tool));
      }
      const res = spawnSync(join(noGo, "bash"), [join(linked, "scripts/toolchain.sh")], {
        encoding: "utf8", env: { PATH: `${join(linked, ".cache/pulumi/bin")}:${noGo}`, HOME: linked },
      });
      expect(res.stderr).not.toContain("using the Pulumi CLI on PATH");
      expect(res.stderr).toContain("Go >= ");
      expect(res.status).toBe(1);
    } finally {
      rmSync(linked, { recursive: true, force: true });
    }
  });

  it("sourcing it keeps the user's PULUMI_HOME and drops one left by an offline build", () => {
    const homeAfter = (home: string) => execFileSync("bash", ["-c", `export PULUMI_HOME="$1"; . "$2"; echo "home=\${PULUMI_HOME:-unset}"`, "_", home, join(copy, ".cache/pulumi/env.sh")], { encoding: "utf8" }).trim();
    expect(homeAfter("/home/user/.pulumi")).toBe("home=/home/user/.pulumi");
    expect(homeAfter(localHome)).toBe("home=unset");
  });
});
