// Conformance of the Node.js language host and the command provider, through the real Pulumi CLI:
// tests/fixtures/conformance runs each behaviour the stack relies on (run, required plugins, config
// and secrets, program output and failures; command:local:Command create / update / delete /
// triggers, stdout/stderr, environment, dir, logging, failures). The expected values are what Pulumi's
// own host and pulumi-command 1.2.1 do (their sources: toolchain/README.md "Conformance"); offline
// the test runs our stand-ins, on a machine with a normal Pulumi install the same test runs Pulumi's.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation/index.js";
import { ROOT, createTestProject, filesContaining, type TestProject } from "../helpers/engine.ts";

const SECRET = `conformance-secret-${process.pid}-${Date.now()}`;
let project: TestProject;
let dir: string;

/** Runs `up` and returns its outputs plus every diagnostic event (ephemeral status lines included). */
async function up(config: Record<string, string> = {}) {
  for (const [k, v] of Object.entries(config)) await project.stack.setConfig(k, { value: v });
  const events: EngineEvent[] = [];
  const res = await project.stack.up({ onEvent: (e) => events.push(e) });
  const diags = events.flatMap((e) => (e.diagnosticEvent ? [e.diagnosticEvent] : []));
  return { outputs: res.outputs, diags, stdout: res.stdout };
}

const journal = () => readFileSync(join(dir, "journal.log"), "utf8").trim().split("\n");
const statusLines = (diags: { urn?: string; message: string; ephemeral?: boolean }[], name: string) =>
  diags.filter((d) => d.ephemeral && (d.urn ?? "").endsWith(`::${name}`)).map((d) => d.message.trim());

describe("language host and command provider conformance (real CLI)", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "vr-conformance-dir-"));
    writeFileSync(join(dir, "journal.log"), "");
    project = await createTestProject({ from: join(ROOT, "tests/fixtures/conformance"), stackName: "conf" });
    await project.stack.setConfig("plain", { value: "plain-1" });
    await project.stack.setConfig("secret", { value: SECRET, secret: true });
    await project.stack.setConfig("dir", { value: dir });
  }, 120_000);

  afterAll(async () => {
    await project?.stack.destroy().catch(() => undefined);
    project?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("preview runs the program as a dry run and leaves command outputs unknown", async () => {
    const res = await project.stack.preview();
    expect(res.stdout).toContain("program says: stack=conf project=vr-conformance dryRun=true");
    expect(readFileSync(join(dir, "journal.log"), "utf8")).toBe("");
  }, 180_000);

  it("up: plugins found offline at the npm packages' versions, config and secrets, create in dir with environment", async () => {
    const { outputs, diags, stdout } = await up();
    expect(stdout).toContain("program says: stack=conf project=vr-conformance dryRun=false");
    expect(outputs.plainValue).toEqual({ value: "plain-1", secret: false });
    expect(outputs.secretValue).toEqual({ value: SECRET, secret: true });
    expect(outputs.bytesLength.value).toBe(32);
    // Outputs of a command with a secret input are secret (pulumi-command's dependencies).
    expect(outputs.stdout).toEqual({ value: "create 1", secret: true });
    expect(outputs.stderr).toEqual({ value: "create-err", secret: true });
    expect(outputs.secretSeenByCommand.value.trim()).toBe(String(SECRET.length));
    expect(journal()).toEqual([`create ${dir} plain-1`]);
    // logging defaults to both streams, as ephemeral status lines of the resource.
    expect(statusLines(diags, "cmd")).toEqual(expect.arrayContaining(["create 1", "create-err"]));

    const state = JSON.parse(project.cli(["stack", "export"])) as { deployment: { resources: { type: string; inputs?: { version?: string } }[] } };
    const providers = Object.fromEntries(state.deployment.resources.filter((r) => r.type.startsWith("pulumi:providers:"))
      .map((r) => [r.type, r.inputs?.version]));
    expect(providers).toMatchObject({ "pulumi:providers:random": "4.21.2", "pulumi:providers:command": "1.2.1" });
    expect(filesContaining(project.backendDir, SECRET)).toEqual([]);
  }, 240_000);

  it("a changed input updates: `update` runs with the previous stdout in PULUMI_COMMAND_STDOUT", async () => {
    const before = (await project.stack.exportStack()).deployment.resources.find((r: { urn: string }) => r.urn.endsWith("::cmd")).id;
    const { outputs } = await up({ round: "2" });
    expect(outputs.stdout.value).toBe("update prev=[create 1]");
    expect(journal().at(-1)).toBe(`update ${dir}`);
    const after = (await project.stack.exportStack()).deployment.resources.find((r: { urn: string }) => r.urn.endsWith("::cmd")).id;
    expect(after).toBe(before);
  }, 240_000);

  it("logging none streams nothing, logging stdout only stdout; outputs are captured either way", async () => {
    const quiet = await up({ round: "3", logging: "none", updateCommand: "echo out-3; echo err-3 >&2" });
    expect(quiet.outputs.stdout.value).toBe("out-3");
    expect(quiet.outputs.stderr.value).toBe("err-3");
    expect(statusLines(quiet.diags, "cmd")).toEqual([]);
    const outOnly = await up({ round: "4", logging: "stdout", updateCommand: "echo out-4; echo err-4 >&2" });
    expect(outOnly.outputs.stderr.value).toBe("err-4");
    expect(statusLines(outOnly.diags, "cmd")).toEqual(["out-4"]);
  }, 300_000);

  it("a changed trigger replaces: the new create runs, then the old delete with its last stdout", async () => {
    const lines = journal().length;
    await up({ trigger: "t2" });
    expect(journal().slice(lines)).toEqual([`create ${dir} plain-1`, "delete prev=[out-4]"]);
  }, 240_000);

  it("a failing command fails up with its exit status, command line and interleaved output", async () => {
    await project.stack.setConfig("fail", { value: "command" });
    const err = await up().then(() => undefined, (e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String(err)).toMatch(/exit status 3: running "echo \\"to stdout\\"; echo \\"to stderr\\" >&2; exit 3":/);
    // Both streams, in the order the process wrote them (which of two echoes lands first is up to the OS).
    expect(String(err)).toMatch(/":\n\s*(to stdout\n\s*to stderr|to stderr\n\s*to stdout)\n/);
  }, 240_000);

  it("a program that throws fails up with its own error", async () => {
    await project.stack.setConfig("fail", { value: "program" });
    const err = await up().then(() => undefined, (e: Error) => e);
    expect(String(err)).toContain("conformance: the program failed on purpose");
    await project.stack.removeConfig("fail");
  }, 240_000);

  it("destroy runs the delete command with the last stdout", async () => {
    const lines = journal().length;
    await project.stack.destroy();
    expect(journal().slice(lines)).toEqual(["delete prev=[create 4]"]);
  }, 240_000);
});
