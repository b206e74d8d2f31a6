// Run the vLLM stand-in directly (no emulator) for route-level tests.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { defaultPython, freePort, REPO_ROOT } from "../../emulator/runtime.ts";
import { healthy, sleep } from "./helpers.ts";

export const STANDIN = join(REPO_ROOT, "emulator", "standin", "vllm_standin.py");

export interface Standin {
  base: string;
  port: number;
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  stop: () => Promise<void>;
}

/** Spawn `vllm serve ARGS` (the stand-in); `wait` = wait for /health 200. */
export async function standin(args: string[], env: Record<string, string> = {}, wait = true): Promise<Standin> {
  const port = await freePort();
  const base = { ...process.env };
  delete base.VLLM_API_KEY;
  delete base.VLLM_STANDIN_GUARDED_PREFIXES;
  const proc = spawn(defaultPython(), [STANDIN, ...args], {
    env: { ...base, VAST_EMULATOR_PORT_MAP: `8000=${port}`, VAST_EMULATOR_MODEL_LOAD_MS: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout?.on("data", (d) => (out += d));
  proc.stderr?.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  const s: Standin = {
    base: `http://127.0.0.1:${port}`,
    port,
    proc,
    output: () => out,
    exited,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await exited;
    },
  };
  if (wait) {
    await Promise.race([
      healthy(s.base),
      exited.then(async (c) => {
        await sleep(50);
        throw new Error(`stand-in exited ${c}: ${out}`);
      }),
    ]);
  }
  return s;
}

/** POST JSON to the stand-in. */
export async function post(base: string, path: string, body: unknown, key?: string, headers: Record<string, string> = {}) {
  const h: Record<string, string> = { "Content-Type": "application/json", ...headers };
  if (key) h.Authorization = `Bearer ${key}`;
  const r = await fetch(base + path, { method: "POST", headers: h, body: typeof body === "string" ? body : JSON.stringify(body) });
  const text = await r.text();
  let json: any = undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: r.status, text, json, headers: r.headers };
}

export const GUIDE_QUERY = "What is Deep Learning?";
export const GUIDE_DOCS = [
  "Deep learning is a subset of machine learning that uses neural networks with many layers",
  "The weather is nice today",
  "Deep learning enables computers to learn from large amounts of data",
  "I like pizza",
];
