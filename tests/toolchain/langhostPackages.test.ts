// Our language host's GetRequiredPackages over gRPC, as the engine and Pulumi's conformance suite
// call it, compared with what Pulumi's own Node.js host reports: every package.json with
// {"pulumi": {"resource": true}} in the program directory's node_modules (symlinks followed, nothing
// from a parent directory's node_modules) names a package, with the parameterization of a
// parameterized SDK (`parameterization` / `extensionParameterization`, value base64 in JSON).
// Pulumi's conformance suite found our host dropping the parameterizations (l2-*parameterized*) and
// reporting packages from parent directories (toolchain/conformance/README.md). The host is built
// from this tree's toolchain/langhost, as scripts/toolchain.sh builds it; only with the offline
// toolchain, whose host this is.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");
const envFile = join(ROOT, ".cache/pulumi/env.sh");
const built = existsSync(envFile) && /VAST_RERANKER_PULUMI_MODE=built/.test(readFileSync(envFile, "utf8"));
// The SDK's generated gRPC stubs, and the grpc-js they are built on.
const sdkRequire = createRequire(join(ROOT, "node_modules/@pulumi/pulumi/package.json"));

interface PackageDependency { name: string; kind: string; version: string; parameterization?: Param; extension?: Param }
interface Param { name: string; version: string; value: string }
interface Client { getRequiredPackages(req: unknown, cb: (err: Error | null, res: { toObject(): { packagesList: PackageDependency[] } }) => void): void; close(): void }

const tmp = mkdtempSync(join(tmpdir(), "vr-langhost-packages-"));
let host: ChildProcess | undefined;
let client: Client;

function writePackage(dir: string, packageJson: object) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify(packageJson));
}
const b64 = (s: string) => Buffer.from(s).toString("base64");
const resource = (name: string, version: string) => ({ name: `@pulumi/${name}`, version, pulumi: { resource: true, name, version } });

/** GetRequiredPackages for a program directory, parameterization values decoded, sorted. */
async function requiredPackages(program: string) {
  const { GetRequiredPackagesRequest, ProgramInfo } = sdkRequire("@pulumi/pulumi/proto/language_pb.js") as Record<string, new () => Record<string, (v: unknown) => void>>;
  const info = new ProgramInfo();
  info.setRootDirectory(program);
  info.setProgramDirectory(program);
  info.setEntryPoint(".");
  const req = new GetRequiredPackagesRequest();
  req.setInfo(info);
  const packages = await new Promise<PackageDependency[]>((ok, fail) =>
    client.getRequiredPackages(req, (err, res) => (err ? fail(err) : ok(res.toObject().packagesList))));
  const decode = (p?: Param) => p && { ...p, value: Buffer.from(p.value, "base64").toString() };
  return packages.map((p) => ({ name: p.name, kind: p.kind, version: p.version, parameterization: decode(p.parameterization), extension: decode(p.extension) }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

describe.skipIf(!built)("our language host: GetRequiredPackages over gRPC", () => {
  beforeAll(async () => {
    const bin = join(tmp, "pulumi-language-nodejs");
    execFileSync("go", ["build", "-trimpath", "-o", bin, "."], {
      cwd: join(ROOT, "toolchain/langhost"), env: { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "-mod=readonly" }, stdio: "pipe",
    });
    host = spawn(bin, ["127.0.0.1:1"], { stdio: ["ignore", "pipe", "inherit"] });
    const port = await new Promise<string>((ok, fail) => {
      host!.stdout!.once("data", (b: Buffer) => ok(b.toString().split("\n")[0].trim()));
      host!.once("exit", (code) => fail(new Error(`language host exited (${code}) before printing its port`)));
    });
    const grpc = sdkRequire("@grpc/grpc-js") as { credentials: { createInsecure(): unknown } };
    const { LanguageRuntimeClient } = sdkRequire("@pulumi/pulumi/proto/language_grpc_pb.js") as { LanguageRuntimeClient: new (addr: string, creds: unknown) => Client };
    client = new LanguageRuntimeClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  }, 180_000);

  afterAll(() => {
    client?.close();
    if (host?.pid) host.kill("SIGKILL");
    rmSync(tmp, { recursive: true, force: true });
  });

  it("reports plain, parameterized (two on one base plugin) and extension-parameterized packages", async () => {
    const program = join(tmp, "program");
    writePackage(program, { name: "program", dependencies: {} });
    const nm = join(program, "node_modules");
    writePackage(join(nm, "@pulumi/plain"), resource("plain", "1.0.0"));
    writePackage(join(nm, "@pulumi/goodbye"), { name: "@pulumi/goodbye", version: "2.0.0",
      pulumi: { resource: true, name: "parameterized", version: "1.2.3", parameterization: { name: "goodbye", version: "2.0.0", value: b64("Goodbye") } } });
    writePackage(join(nm, "@pulumi/hello"), { name: "@pulumi/hello", version: "3.0.0",
      pulumi: { resource: true, name: "parameterized", version: "1.2.3", parameterization: { name: "hello", version: "3.0.0", value: b64("Hello") } } });
    writePackage(join(nm, "@pulumi/myext"), { name: "@pulumi/myext", version: "2.0.0",
      pulumi: { resource: true, name: "extbase", version: "45.0.0", extensionParameterization: { name: "myext", version: "2.0.0", value: b64("Ext") } } });
    writePackage(join(nm, "left-pad"), { name: "left-pad", version: "1.3.0" });

    expect(await requiredPackages(program)).toEqual([
      { name: "extbase", kind: "resource", version: "v45.0.0", parameterization: undefined, extension: { name: "myext", version: "2.0.0", value: "Ext" } },
      { name: "parameterized", kind: "resource", version: "v1.2.3", parameterization: { name: "goodbye", version: "2.0.0", value: "Goodbye" }, extension: undefined },
      { name: "parameterized", kind: "resource", version: "v1.2.3", parameterization: { name: "hello", version: "3.0.0", value: "Hello" }, extension: undefined },
      { name: "plain", kind: "resource", version: "v1.0.0", parameterization: undefined, extension: undefined },
    ]);
  });

  it("looks only in the program's own node_modules (a symlinked one too), not in a parent directory's", async () => {
    const parent = join(tmp, "monorepo");
    writePackage(join(parent, "node_modules/@pulumi/parentonly"), resource("parentonly", "9.0.0"));
    const shared = join(tmp, "shared-modules");
    writePackage(join(shared, "@pulumi/linked"), resource("linked", "2.0.0"));
    writePackage(join(shared, "@pulumi/linked/node_modules/@pulumi/nested"), resource("nested", "3.0.0"));
    const program = join(parent, "infra");
    writePackage(program, { name: "infra" });
    symlinkSync(shared, join(program, "node_modules"));

    expect((await requiredPackages(program)).map((p) => `${p.name}@${p.version}`)).toEqual(["linked@v2.0.0", "nested@v3.0.0"]);
    // A program without node_modules of its own requires nothing, whatever its parents hold.
    const bare = join(parent, "bare");
    writePackage(bare, { name: "bare" });
    expect(await requiredPackages(bare)).toEqual([]);
  });
});
