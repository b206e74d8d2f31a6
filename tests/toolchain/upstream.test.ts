// The offline toolchain (scripts/toolchain.sh, toolchain/README.md): the built CLI, Node.js language
// host and command provider are Pulumi's own main packages at the versions in toolchain/versions.env
// (Go build info, `go version -m`), the wrapper modules carry no code of ours, and the CLI, language
// host and npm @pulumi/pulumi SDK are one release. Skipped when a pre-installed Pulumi CLI is used.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");
const OUT = join(ROOT, ".cache/pulumi");
const versions = Object.fromEntries(
  readFileSync(join(ROOT, "toolchain/versions.env"), "utf8")
    .split("\n")
    .map((l) => /^([A-Z0-9_]+)=(.*)$/.exec(l.trim()))
    .filter((m) => m !== null)
    .map((m) => [m[1], m[2]]),
) as Record<string, string>;

function hasGo(): boolean {
  try {
    execFileSync("go", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const built = existsSync(join(OUT, "env.sh")) && /VAST_RERANKER_PULUMI_MODE=built/.test(readFileSync(join(OUT, "env.sh"), "utf8"));

/** `go version -m`: the main package and its module and version (-trimpath builds record no -ldflags). */
function buildInfo(bin: string): { path: string; mod: string } {
  const out = execFileSync("go", ["version", "-m", bin], { encoding: "utf8", env: { ...process.env, GOTOOLCHAIN: "local" } });
  const field = (key: string) => out.split("\n").map((l) => l.trim().split("\t")).find((f) => f[0] === key) ?? [];
  return { path: field("path")[1] ?? "", mod: `${field("mod")[1]} ${field("mod")[2]}` };
}

describe.skipIf(!built || !hasGo())("offline toolchain binaries are upstream Pulumi", () => {
  it("pulumi is github.com/pulumi/pulumi/pkg/v3/cmd/pulumi at PULUMI_VERSION", () => {
    const info = buildInfo(join(OUT, "bin/pulumi"));
    expect(info.path).toBe("github.com/pulumi/pulumi/pkg/v3/cmd/pulumi");
    expect(info.mod).toBe(`github.com/pulumi/pulumi/pkg/v3 v${versions.PULUMI_VERSION}`);
    expect(execFileSync(join(OUT, "bin/pulumi"), ["version"], { encoding: "utf8" }).trim()).toBe(`v${versions.PULUMI_VERSION}`);
  });

  it("pulumi-language-nodejs is upstream's language host of the same release", () => {
    const info = buildInfo(join(OUT, "bin/pulumi-language-nodejs"));
    expect(info.path).toBe("github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3");
    expect(info.mod).toBe(`github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 ${versions.LANGHOST_MODULE_VERSION}`);
  });

  it("pulumi-resource-command is pulumi-command's provider at COMMAND_PLUGIN_VERSION", () => {
    const info = buildInfo(join(OUT, "home/plugins", `resource-command-v${versions.COMMAND_PLUGIN_VERSION}`, "pulumi-resource-command"));
    expect(info.path).toBe("github.com/pulumi/pulumi-command/provider/cmd/pulumi-resource-command");
    expect(info.mod).toBe(`github.com/pulumi/pulumi-command/provider ${versions.COMMAND_PROVIDER_MODULE_VERSION}`);
  });

  it("the npm @pulumi/pulumi SDK is the CLI's release", () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(manifest.dependencies["@pulumi/pulumi"]).toBe(versions.PULUMI_VERSION);
    const pkg = JSON.parse(readFileSync(join(ROOT, "node_modules/@pulumi/pulumi/package.json"), "utf8")) as { version: string };
    expect(pkg.version).toBe(versions.PULUMI_VERSION);
  });
});

describe("toolchain wrapper modules", () => {
  it.each(["cli", "langhost", "command"])("toolchain/%s holds only go.mod/go.sum (no code of ours)", (dir) => {
    expect(readdirSync(join(ROOT, "toolchain", dir)).sort()).toEqual(["go.mod", "go.sum"]);
  });
});
