// The real-vLLM runtime leaves nothing behind when the emulator process dies without stopping its
// instances (a killed test worker or CI step): the emulated host's watchdog takes the instance's whole
// process group down, as the stand-in's does. Nor when vLLM's API server dies on its own: its engine
// processes (re-parented to init, renamed VLLM::EngineCore, so no VR_TEST_RUN in their environ) go too.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../emulator/runtime.ts";
import { call, groupAlive, sleep } from "../emulator/helpers.ts";

describe("real-vLLM runtime: the emulated host's watchdog", () => {
  it("SIGKILL of the emulator: the instance's vLLM process group is gone within seconds", async () => {
    const proc = spawn(process.execPath, ["--experimental-strip-types", "--no-warnings", join(REPO_ROOT, "emulator", "main.ts"), "--runtime", "vllm", "--loading-ms", "50"], {
      env: { ...process.env, VAST_API_KEY: "watchdog-key" },
      stdio: ["ignore", "pipe", "ignore"],
      detached: true,
    });
    const exited = new Promise((r) => proc.once("exit", r));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        createInterface({ input: proc.stdout }).once("line", (l) => resolve(l.split("=")[1]));
        proc.once("exit", (c) => reject(new Error(`emulator exited ${c}`)));
      });
      const emu = { url, apiKey: "watchdog-key" };
      const { body } = await call(emu, "POST", "/api/v0/bundles/", { direct_port_count: { gte: 1 }, order: [["dph_total", "asc"]], limit: 1 });
      const r = await call(emu, "PUT", `/api/v0/asks/${body.offers[0].id}/`, {
        client_id: "me", image: "vllm/vllm-openai:v0.30.0-cu129", env: { "-p 8000:8000": "1" }, disk: 20, runtype: "args", args: ["BAAI/bge-reranker-base"],
      });
      expect(r.body.success).toBe(true);
      let pid = 0;
      for (let n = 0; n < 400 && !pid; n++) {
        pid = (await call(emu, "GET", "/_emulator/instances", undefined, { key: null })).body.instances[0]?._emulator.pid ?? 0;
        await sleep(25);
      }
      expect(groupAlive(pid)).toBe(true);
      proc.kill("SIGKILL");
      await exited;
      for (let n = 0; n < 300 && groupAlive(pid); n++) await sleep(100);
      expect(groupAlive(pid)).toBe(false);
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    }
  }, 90_000);
});

/** Pids in a process group, from /proc/<pid>/stat (field 5). */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) === pgid) out.push(Number(d));
    } catch { /* gone */ }
  }
  return out;
}

describe("real-vLLM runtime: vLLM's API server dies on its own", () => {
  it("its engine processes go with it (the container's process group is taken down)", async () => {
    const { startEmulator } = await import("../../emulator/index.ts");
    const emu = await startEmulator({ runtime: "vllm", pendingMs: 50, createdMs: 50, loadingMs: 50 });
    let pgid = 0;
    try {
      const { body } = await call(emu, "POST", "/api/v0/bundles/", { direct_port_count: { gte: 1 }, order: [["dph_total", "asc"]], limit: 1 });
      const r = await call(emu, "PUT", `/api/v0/asks/${body.offers[0].id}/`, {
        client_id: "me", image: "vllm/vllm-openai:v0.30.0-cu129", env: { "-p 8000:8000": "1" }, disk: 20, runtype: "args", args: ["BAAI/bge-reranker-base"],
      });
      expect(r.body.success).toBe(true);
      for (let n = 0; n < 400 && !pgid; n++) {
        pgid = (await call(emu, "GET", "/_emulator/instances", undefined, { key: null })).body.instances[0]?._emulator.pid ?? 0;
        await sleep(25);
      }
      // vLLM's API server (the shim's child) and its engine (renamed VLLM::EngineCore) once it started (CPU: tens of s).
      const read = (pid: number, what: string) => { try { return readFileSync(`/proc/${pid}/${what}`, "utf8"); } catch { return ""; } };
      const engine = () => groupMembers(pgid).find((p) => read(p, "comm").startsWith("VLLM::EngineCor"));
      for (let n = 0; n < 1_800 && !engine(); n++) await sleep(100);
      expect(engine()).toBeDefined();
      const apiServer = groupMembers(pgid).find((p) => p !== pgid && read(p, "cmdline").includes("serve") && read(p, "stat").split(") ")[1]?.split(" ")[1] === String(pgid)) as number;
      expect(apiServer).toBeGreaterThan(0);
      process.kill(apiServer, "SIGKILL");
      for (let n = 0; n < 300 && groupMembers(pgid).length; n++) await sleep(100);
      expect(groupMembers(pgid)).toEqual([]);
    } finally {
      if (pgid && groupAlive(pgid)) process.kill(-pgid, "SIGKILL");
      await emu.stop();
    }
  }, 240_000);
});
