// The offline toolchain (scripts/toolchain.sh, toolchain/README.md): what each built binary is
// (Go build info, `go version -m`), versions in step, and the served-modules-only rule. The build
// checks skip only when a pre-installed Pulumi CLI is used; the version checks never skip.
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
const SDK = "github.com/pulumi/pulumi/sdk/v3";

const built = existsSync(join(OUT, "env.sh")) && /VAST_RERANKER_PULUMI_MODE=built/.test(readFileSync(join(OUT, "env.sh"), "utf8"));
const pkgJson = (p: string) => JSON.parse(readFileSync(join(ROOT, p), "utf8")) as {
  version: string; dependencies: Record<string, string>; pulumi?: { name: string; version: string };
};

/** `go version -m`: main package, its module and version, and the sdk/v3 it was built with. */
function buildInfo(bin: string): { path: string; mod: string; sdk: string } {
  const out = execFileSync("go", ["version", "-m", bin], { encoding: "utf8", env: { ...process.env, GOTOOLCHAIN: "local" } });
  const rows = out.split("\n").map((l) => l.trim().split("\t"));
  const field = (key: string) => rows.find((f) => f[0] === key) ?? [];
  return { path: field("path")[1] ?? "", mod: `${field("mod")[1]} ${field("mod")[2]}`, sdk: rows.find((f) => f[0] === "dep" && f[1] === SDK)?.[2] ?? "" };
}

describe.skipIf(!built)("offline toolchain binaries", () => {
  it("pulumi is upstream's github.com/pulumi/pulumi/pkg/v3/cmd/pulumi at PULUMI_VERSION", () => {
    const info = buildInfo(join(OUT, "bin/pulumi"));
    expect(info).toEqual({ path: "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi", mod: `github.com/pulumi/pulumi/pkg/v3 v${versions.PULUMI_VERSION}`, sdk: `v${versions.PULUMI_VERSION}` });
    expect(execFileSync(join(OUT, "bin/pulumi"), ["version"], { encoding: "utf8" }).trim()).toBe(`v${versions.PULUMI_VERSION}`);
  });

  it.each([
    ["bin/pulumi-language-nodejs", "vast-reranker/toolchain/langhost"],
    [`home/plugins/resource-command-v${versions.COMMAND_PLUGIN_VERSION}/pulumi-resource-command`, "vast-reranker/toolchain/command"],
  ])("%s is our own code (%s) on sdk/v3 of the CLI's release", (bin, pkg) => {
    expect(buildInfo(join(OUT, bin))).toEqual({ path: pkg, mod: `${pkg} (devel)`, sdk: `v${versions.PULUMI_VERSION}` });
  });

  it("the provider plugins are in the project-local PULUMI_HOME at the versions the engine asks for", () => {
    const listing = execFileSync(join(OUT, "bin/pulumi"), ["plugin", "ls", "--json"], { encoding: "utf8", env: { ...process.env, PULUMI_HOME: join(OUT, "home") } });
    const plugins = (JSON.parse(listing) as { name: string; kind: string; version: string }[]).map((p) => `${p.kind}:${p.name}@${p.version}`);
    expect(plugins).toEqual(expect.arrayContaining([`resource:random@${versions.RANDOM_PLUGIN_VERSION}`, `resource:command@${versions.COMMAND_PLUGIN_VERSION}`]));
  });
});

describe("toolchain versions (never skipped)", () => {
  it("npm @pulumi/pulumi is the CLI's release, pinned and installed", () => {
    expect(pkgJson("package.json").dependencies["@pulumi/pulumi"]).toBe(versions.PULUMI_VERSION);
    expect(pkgJson("node_modules/@pulumi/pulumi/package.json").version).toBe(versions.PULUMI_VERSION);
  });

  it.each([["random", "RANDOM_PLUGIN_VERSION"], ["command", "COMMAND_PLUGIN_VERSION"]])(
    "the %s plugin built is the version the npm package declares", (name, key) => {
      expect(pkgJson(`node_modules/@pulumi/${name}/package.json`).pulumi).toEqual({ resource: true, name, version: versions[key] });
    });

  it.each(["langhost", "command"])("toolchain/%s requires sdk/v3 at PULUMI_VERSION", (dir) => {
    expect(readFileSync(join(ROOT, "toolchain", dir, "go.mod"), "utf8")).toMatch(new RegExp(`^\\s*${SDK.replaceAll(".", "\\.")} v${versions.PULUMI_VERSION.replaceAll(".", "\\.")}$`, "m"));
  });
});

describe("served modules only", () => {
  const tracked = execFileSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean);

  it("no go.mod needs a module the proxy refuses (Pulumi's untagged language host and pulumi-command modules)", () => {
    for (const f of tracked.filter((p) => p.endsWith("go.mod"))) {
      expect(readFileSync(join(ROOT, f), "utf8"), f).not.toMatch(/pulumi-language-nodejs|pulumi-command\/provider/);
    }
  });

  it("nothing in the repository refers to a module proxy folder beside it", () => {
    const hits = tracked.filter((f) => existsSync(join(ROOT, f)) && !f.endsWith("builds.test.ts")
      && readFileSync(join(ROOT, f), "utf8").includes(["shared", "goproxy"].join("/")));
    expect(hits).toEqual([]);
  });

  it("toolchain/cli holds only go.mod/go.sum; our own code is in langhost/ and command/", () => {
    expect(readdirSync(join(ROOT, "toolchain/cli")).sort()).toEqual(["go.mod", "go.sum"]);
    expect(readdirSync(join(ROOT, "toolchain/langhost")).filter((f) => f.endsWith(".go")).length).toBeGreaterThan(0);
    expect(readdirSync(join(ROOT, "toolchain/command")).filter((f) => f.endsWith(".go")).length).toBeGreaterThan(0);
  });
});
