// `node emulator/main.ts`: the stdout protocol, flags, admin API over HTTP, and a clean exit on SIGTERM.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../emulator/runtime.ts";
import { alive, call, groupAlive, healthy, hostPort, sleep } from "./helpers.ts";

function launch(args: string[], env: Record<string, string> = {}, viaNpm = false) {
  const [cmd, argv] = viaNpm
    ? ["npm", ["run", "--silent", "emulator", "--", ...args]]
    : [process.execPath, ["--experimental-strip-types", "--no-warnings", join(REPO_ROOT, "emulator", "main.ts"), ...args]];
  const proc = spawn(cmd, argv, { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const rl = createInterface({ input: proc.stdout });
  let stderr = "";
  proc.stderr.on("data", (d) => (stderr += d));
  const firstTwo = new Promise<string[]>((resolve, reject) => {
    rl.on("line", (l) => {
      lines.push(l);
      if (lines.length === 2) resolve(lines.slice());
    });
    proc.once("exit", (c) => reject(new Error(`exited ${c}: ${stderr}`)));
  });
  firstTwo.catch(() => undefined); // only some tests await it
  const exited = new Promise<number | null>((r) => proc.once("exit", (c) => r(c)));
  return { proc, firstTwo, exited, stderr: () => stderr };
}

describe("standalone emulator", () => {
  it("prints VAST_API_URL then VAST_API_KEY, serves, and leaves nothing behind on SIGTERM", async () => {
    const e = launch(["--port", "0", "--pending-ms", "20", "--created-ms", "20", "--loading-ms", "50"], {
      VAST_API_KEY: "standalone-key",
      VAST_EMULATOR_MODEL_LOAD_MS: "100",
    });
    const [l1, l2] = await e.firstTwo;
    expect(l1).toMatch(/^VAST_API_URL=http:\/\/127\.0\.0\.1:\d+$/);
    expect(l2).toBe("VAST_API_KEY=standalone-key");
    const emu = { url: l1.split("=")[1], apiKey: "standalone-key" };

    const cfg = await call(emu, "GET", "/_emulator/config", undefined, { key: null });
    expect(cfg.body).toMatchObject({ pendingMs: 20, createdMs: 20, loadingMs: 50, modelLoadMs: 100 });
    const { body } = await call(emu, "POST", "/api/v0/bundles/", { direct_port_count: { gte: 1 }, order: [["dph_total", "asc"]], limit: 1 });
    const r = await call(emu, "PUT", `/api/v0/asks/${body.offers[0].id}/`, {
      client_id: "me", image: "vllm/vllm-openai:v0.30.0-cu129", env: { "-p 8000:8000": "1" }, price: null, disk: 20, label: "standalone",
      onstart: "/bin/sh", runtype: "args", args: ["-c", "exec vllm serve --model BAAI/bge-reranker-base"],
    });
    expect(r.body.success).toBe(true);
    let inst;
    for (let n = 0; n < 200; n++) {
      inst = (await call(emu, "GET", `/api/v0/instances/${r.body.new_contract}/`)).body.instances;
      if (inst?.actual_status === "running") break;
      await sleep(25);
    }
    await healthy(`http://127.0.0.1:${hostPort(inst)}`);
    const admin = await call(emu, "GET", "/_emulator/instances", undefined, { key: null });
    const pid = admin.body.instances[0]._emulator.pid as number;
    expect(alive(pid)).toBe(true);

    e.proc.kill("SIGTERM");
    expect(await e.exited).toBe(0);
    expect(alive(pid)).toBe(false);
    expect(groupAlive(pid)).toBe(false);
    await expect(fetch(`${emu.url}/_emulator/health`)).rejects.toThrow();
  });

  it("npm run emulator: SIGTERM to npm stops the emulator and every instance server", async () => {
    const e = launch(["--port", "0", "--pending-ms", "20", "--created-ms", "20", "--loading-ms", "50"], { VAST_API_KEY: "npm-key", VAST_EMULATOR_MODEL_LOAD_MS: "100" }, true);
    const [l1] = await e.firstTwo;
    const emu = { url: l1.split("=")[1], apiKey: "npm-key" };
    const { body } = await call(emu, "POST", "/api/v0/bundles/", { direct_port_count: { gte: 1 }, order: [["dph_total", "asc"]], limit: 1 });
    const r = await call(emu, "PUT", `/api/v0/asks/${body.offers[0].id}/`, {
      client_id: "me", image: "vllm/vllm-openai:v0.30.0-cu129", env: { "-p 8000:8000": "1" }, disk: 20, runtype: "args", args: ["BAAI/bge-reranker-base"],
    });
    let pid = 0;
    for (let n = 0; n < 400 && !pid; n++) {
      pid = (await call(emu, "GET", "/_emulator/instances", undefined, { key: null })).body.instances[0]?._emulator.pid ?? 0;
      await sleep(25);
    }
    expect(r.body.success && alive(pid)).toBe(true);
    e.proc.kill("SIGTERM"); // npm itself, as a terminal or CI runner would signal it
    await e.exited;
    for (let n = 0; n < 200 && (groupAlive(pid) || (await fetch(`${emu.url}/_emulator/health`).then(() => true, () => false))); n++) await sleep(50);
    expect(groupAlive(pid)).toBe(false);
    await expect(fetch(`${emu.url}/_emulator/health`)).rejects.toThrow();
  }, 60_000);

  it("rejects bad flags with exit 2 and a usage text", async () => {
    const e = launch(["--loading-ms", "soon"]);
    expect(await e.exited).toBe(2);
    expect(e.stderr()).toContain("--loading-ms must be a number");
    expect(e.stderr()).toContain("usage: node emulator/main.ts");
  });

  it("VAST_EMULATOR_RUNTIME chooses the instance runtime like --runtime, and the flag wins", async () => {
    const bad = launch(["--port", "0"], { VAST_EMULATOR_RUNTIME: "gpu" });
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toContain('--runtime must be "standin" or "vllm", got gpu');
    const flagged = launch(["--port", "0", "--runtime", "standin"], { VAST_EMULATOR_RUNTIME: "gpu" });
    expect((await flagged.firstTwo)[0]).toMatch(/^VAST_API_URL=/);
    flagged.proc.kill("SIGTERM");
    expect(await flagged.exited).toBe(0);
  });
});
