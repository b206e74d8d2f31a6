// Shared helpers of the emulator tests: real HTTP against a started emulator.
import { expect } from "vitest";
import type { Instance } from "../../components/vast/api/types.ts";
import { startEmulator, type EmulatorOptions, type RunningEmulator } from "../../emulator/index.ts";

/** Boot timings short enough for a fast suite. */
export const FAST: EmulatorOptions = { pendingMs: 50, createdMs: 50, loadingMs: 100, modelLoadMs: 200 };

export async function start(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulator({ ...FAST, ...opts });
}

/* eslint-disable @typescript-eslint/no-explicit-any -- tests poke at JSON freely */
export interface Res {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

export async function call(
  emu: { url: string; apiKey?: string },
  method: string,
  path: string,
  body?: unknown,
  opts: { key?: string | null; headers?: Record<string, string> } = {},
): Promise<Res> {
  const key = opts.key === undefined ? emu.apiKey : opts.key;
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers["Content-Type"] ??= "application/json";
  const r = await fetch(emu.url + path, { method, headers, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
  const text = await r.text();
  let parsed: unknown = undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: r.status, headers: r.headers, text, body: parsed };
}

/** The create body the official CLI sends for the guide's deployment. */
export function createBody(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_id: "me",
    image: "vllm/vllm-openai:v0.30.0-cu129",
    env: { "-p 8000:8000": "1", VLLM_API_KEY: "vllm-secret" },
    price: null,
    disk: 40,
    label: "test",
    extra: null,
    onstart: null,
    image_login: null,
    python_utf8: false,
    lang_utf8: false,
    use_jupyter_lab: false,
    jupyter_dir: null,
    force: false,
    cancel_unavail: null,
    template_hash_id: null,
    user: null,
    runtype: "args",
    args: ["--model", "BAAI/bge-reranker-base"],
    ...over,
  };
}

export async function offers(emu: RunningEmulator, q: Record<string, unknown> = {}): Promise<Array<Record<string, any>>> {
  const r = await call(emu, "POST", "/api/v0/bundles/", q, { key: null });
  expect(r.status).toBe(200);
  return r.body.offers;
}

/** Rent the cheapest matching offer; returns the new instance id. */
export async function rent(emu: RunningEmulator, over: Record<string, unknown> = {}, q: Record<string, unknown> = {}): Promise<number> {
  const [o] = await offers(emu, { direct_port_count: { gte: 1 }, order: [["dph_total", "asc"]], ...q });
  const r = await call(emu, "PUT", `/api/v0/asks/${o.id}/`, createBody(over));
  expect(r.status, r.text).toBe(200);
  expect(r.body.success).toBe(true);
  return r.body.new_contract as number;
}

export async function show(emu: RunningEmulator, id: number): Promise<Instance | null> {
  const r = await call(emu, "GET", `/api/v0/instances/${id}/`);
  expect(r.status).toBe(200);
  return r.body.instances;
}

import { sleep } from "../helpers/wait.ts";
export { sleep };

/** Poll until pred(instance) holds; returns the instance. */
export async function until(emu: RunningEmulator, id: number, pred: (i: Instance | null) => boolean, timeoutMs = 10_000): Promise<Instance | null> {
  const t0 = Date.now();
  for (;;) {
    const i = await show(emu, id);
    if (pred(i)) return i;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timeout; last: ${JSON.stringify(i)?.slice(0, 400)}`);
    await sleep(25);
  }
}

export function hostPort(i: Instance | null, key = "8000/tcp"): number {
  return Number(i?.ports?.[key]?.[0]?.HostPort);
}

/** Poll an instance server's /health until 200 (connection refused while the model "loads"). */
export async function healthy(base: string, timeoutMs = 15_000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    try {
      const r = await fetch(`${base}/health`);
      if (r.status === 200) return;
    } catch {
      /* refused: still loading */
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`${base} never became healthy`);
    await sleep(50);
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
