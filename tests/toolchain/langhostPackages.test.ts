// Our language host's GetRequiredPackages over gRPC, as the engine and Pulumi's conformance suite
// call it: every installed package.json with {"pulumi": {"resource": true}} names a package, with the
// parameterization of a parameterized SDK (`parameterization` / `extensionParameterization`, value
// base64 in JSON) as Pulumi's own Node.js host reports it. Pulumi's conformance suite found our host
// dropping those (l2-*parameterized*, toolchain/conformance/README.md). The host is built from this
// tree's toolchain/langhost, as scripts/toolchain.sh builds it; only with the offline toolchain,
// whose host this is.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
    writePackage(join(nm, "@pulumi/plain"), { name: "@pulumi/plain", version: "1.0.0", pulumi: { resource: true, name: "plain", version: "1.0.0" } });
    writePackage(join(nm, "@pulumi/goodbye"), { name: "@pulumi/goodbye", version: "2.0.0",
      pulumi: { resource: true, name: "parameterized", version: "1.2.3", parameterization: { name: "goodbye", version: "2.0.0", value: b64("Goodbye") } } });
    writePackage(join(nm, "@pulumi/hello"), { name: "@pulumi/hello", version: "3.0.0",
      pulumi: { resource: true, name: "parameterized", version: "1.2.3", parameterization: { name: "hello", version: "3.0.0", value: b64("Hello") } } });
    writePackage(join(nm, "@pulumi/myext"), { name: "@pulumi/myext", version: "2.0.0",
      pulumi: { resource: true, name: "extbase", version: "45.0.0", extensionParameterization: { name: "myext", version: "2.0.0", value: b64("Ext") } } });
    writePackage(join(nm, "left-pad"), { name: "left-pad", version: "1.3.0" });

    const { GetRequiredPackagesRequest, ProgramInfo } = sdkRequire("@pulumi/pulumi/proto/language_pb.js") as Record<string, new () => Record<string, (v: unknown) => void>>;
    const info = new ProgramInfo();
    info.setRootDirectory(program);
    info.setProgramDirectory(program);
    info.setEntryPoint(".");
    const req = new GetRequiredPackagesRequest();
    req.setInfo(info);
    const packages = await new Promise<PackageDependency[]>((ok, fail) =>
      client.getRequiredPackages(req, (err, res) => (err ? fail(err) : ok(res.toObject().packagesList))));

    const seen = packages.map((p) => ({
      name: p.name, kind: p.kind, version: p.version,
      parameterization: p.parameterization && { ...p.parameterization, value: Buffer.from(p.parameterization.value, "base64").toString() },
      extension: p.extension && { ...p.extension, value: Buffer.from(p.extension.value, "base64").toString() },
    })).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(seen).toEqual([
      { name: "extbase", kind: "resource", version: "v45.0.0", parameterization: undefined, extension: { name: "myext", version: "2.0.0", value: "Ext" } },
      { name: "parameterized", kind: "resource", version: "v1.2.3", parameterization: { name: "goodbye", version: "2.0.0", value: "Goodbye" }, extension: undefined },
      { name: "parameterized", kind: "resource", version: "v1.2.3", parameterization: { name: "hello", version: "3.0.0", value: "Hello" }, extension: undefined },
      { name: "plain", kind: "resource", version: "v1.0.0", parameterization: undefined, extension: undefined },
    ]);
  });
});
