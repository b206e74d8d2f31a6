// The project's launcher for Pulumi's dynamic-provider host (Pulumi.yaml → plugins.providers): it must
// start the stock host code from this project's node_modules, announce its port the way every Pulumi
// plugin does, and leave a compile cache behind even though the engine stops it with SIGINT.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const LAUNCHER = join(ROOT, "components/dynamic/host/pulumi-resource-pulumi-nodejs");
const cacheDir = mkdtempSync(join(tmpdir(), "vr-compile-cache-"));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name);
}

describe("dynamic-provider host launcher", () => {
  it("is what Pulumi.yaml routes the pulumi-nodejs plugin to, and is executable", () => {
    const yaml = readFileSync(join(ROOT, "Pulumi.yaml"), "utf8");
    expect(yaml).toMatch(/plugins:\n\s+providers:\n(?:\s+#.*\n)*\s+- name: pulumi-nodejs\n\s+path: \.\/components\/dynamic\/host\n/);
    expect(statSync(LAUNCHER).mode & 0o111).not.toBe(0);
  });

  it("starts the stock host, prints its port, and writes the compile cache before it is interrupted", async () => {
    // Started from elsewhere on purpose: the launcher finds the project from its own path.
    const child = spawn(LAUNCHER, ["127.0.0.1:1"], { cwd: tmpdir(), env: { ...process.env, NODE_COMPILE_CACHE: cacheDir }, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    const port = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no port within 20 s; stderr: ${err}`)), 20_000);
      child.stdout.once("data", (d) => { clearTimeout(timer); resolve(String(d).trim()); });
      child.once("exit", (code) => reject(new Error(`host exited (${code}) before printing a port; stderr: ${err}`)));
    });
    expect(port).toMatch(/^\d+$/);
    const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, "utf8").split("\0");
    expect(cmdline).toContain(join(ROOT, "node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js"));
    // The flush runs right after the host's modules are loaded, i.e. before the port is printed.
    await new Promise((r) => setTimeout(r, 200));
    child.kill("SIGINT");
    await new Promise((r) => child.once("exit", r));
    expect(files(cacheDir).length).toBeGreaterThan(50);
  });
});
