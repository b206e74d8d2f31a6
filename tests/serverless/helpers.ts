// Serverless test helpers: an emulator with short engine timings, an endpoint and worker group made
// with our wire builders, and Vast's own Python client (tests/serverless/vast_client.py) run as a user.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "vitest";
import { startEmulator, type EmulatorOptions, type RunningEmulator } from "../../emulator/index.ts";
import { containerProcess } from "../../emulator/serverless/isolation.ts";
import { buildWorkerLaunch } from "../../components/serverless/launch.ts";
import { endpointBody, launchArgs, workerGroupBody } from "../../components/serverless/wire.ts";
import type { ServerlessSettings } from "../../components/serverless/settings.ts";
import { call } from "../emulator/helpers.ts";
import { waitUntil } from "../helpers/wait.ts";

const run = promisify(execFile);
export const ROOT = join(import.meta.dirname, "../..");
export const VASTAI_PYTHON = join(ROOT, ".cache", "vastai-venv", "bin", "python");
export const VASTAI_CLI = join(ROOT, ".cache", "vastai-venv", "bin", "vastai");

export const FAST_ENGINE: EmulatorOptions = {
  pendingMs: 50, createdMs: 50, loadingMs: 100, modelLoadMs: 200,
  serverless: { tickMs: 200, scaleDownMs: 3000, loadWindowMs: 5000 },
};

export const GUIDE = {
  model: "BAAI/bge-reranker-base",
  query: "What is Deep Learning?",
  documents: [
    "Deep Learning is a subset of machine learning based on artificial neural networks.",
    "The weather today is sunny with a high of 75 degrees.",
    "Deep learning models require large amounts of data and computational power.",
    "I enjoy cooking pasta with fresh tomatoes and basil.",
  ],
};

export const SETTINGS: ServerlessSettings = {
  endpointName: "", minLoad: 0, targetUtil: 0.9, coldMult: 1, coldWorkers: 0, maxWorkers: 2, maxQueueTime: 30, targetQueueTime: 10, inactivityTimeout: 300,
};

export const SPEC = { image: "vllm/vllm-openai:v0.30.0-cu129", model: "BAAI/bge-reranker-base", servedModelName: "BAAI/bge-reranker-base", maxModelLen: 512, dtype: "half", extraArgs: [], hardened: false };

export async function startServerless(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulator({ ...FAST_ENGINE, ...opts });
}

/** An endpoint and one worker group made directly over HTTP (no Pulumi), as our provider sends them. */
export async function makeEndpoint(emu: RunningEmulator, name: string, settings: Partial<ServerlessSettings> = {}): Promise<{ id: number; key: string; wgId: number }> {
  const s = { ...SETTINGS, ...settings };
  const ep = await call(emu, "POST", "/api/v0/endptjobs/", endpointBody(name, s));
  expect(ep.body).toMatchObject({ success: true });
  const id = ep.body.result as number;
  const key = (await call(emu, "GET", `/api/v0/endptjobs/${id}/`)).body.result.api_key as string;
  const launch = buildWorkerLaunch(SPEC, { consoleUrl: emu.url, maxQueueTime: s.maxQueueTime });
  const wg = await call(emu, "POST", "/api/v0/workergroups/", workerGroupBody({
    endpointId: id, endpointName: name, settings: s, launchArgs: launchArgs(launch, { ...launch.env, VR_ENDPOINT_KEY: key }, 20),
    searchParams: "gpu_ram >= 16 num_gpus = 1 direct_port_count >= 1 verified = true rentable = true",
  }));
  expect(wg.body).toMatchObject({ success: true });
  return { id, key, wgId: wg.body.id as number };
}

export interface ClientResult {
  ok: boolean;
  status?: number;
  error?: string;
  response?: { results?: Array<{ index: number; relevance_score: number }> } & Record<string, unknown>;
  url?: string;
  auth_data?: Record<string, unknown>;
  latency?: number;
}

/** Runs Vast's own client (tests/serverless/vast_client.py); one result per request. */
export async function vastClient(args: Record<string, unknown>, timeoutMs = 240_000): Promise<ClientResult[]> {
  const { stdout } = await run(VASTAI_PYTHON, [join(import.meta.dirname, "vast_client.py"), JSON.stringify(args)], { timeout: timeoutMs, maxBuffer: 16 << 20 });
  return stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as ClientResult);
}

/** The order of the guide's documents by score, best first. */
export function order(r: ClientResult): number[] {
  return (r.response?.results ?? []).map((x) => x.index);
}

export interface Outcome {
  at: number;
  ms: number;
  status: number | string;
  worker?: string;
}

/**
 * Closed-loop load through the route with our client: `concurrency` loops, each request claiming
 * `cost` load units (Vast's client's `cost` argument), until `until()` says stop. Every outcome is kept.
 */
export async function routeLoad(client: { request(path: string, payload: unknown, cost?: number): Promise<{ status: number; worker: string }> }, opts: { concurrency: number; cost: number; until: () => boolean; sink?: Outcome[] }): Promise<Outcome[]> {
  const out: Outcome[] = opts.sink ?? [];
  await Promise.all(Array.from({ length: opts.concurrency }, async () => {
    while (!opts.until()) {
      const t0 = Date.now();
      try {
        const r = await client.request("/v1/rerank", GUIDE, opts.cost);
        out.push({ at: t0, ms: Date.now() - t0, status: r.status, worker: r.worker });
      } catch (e) {
        out.push({ at: t0, ms: Date.now() - t0, status: (e as Error).message });
      }
    }
  }));
  return out;
}

/** Polls `f` every 200 ms until it returns true, or throws after `ms`. */
export const until = (f: () => boolean | Promise<boolean>, ms: number, what: string) => waitUntil(what, f, ms, 200);

/** HTTP status of GET http://127.0.0.1:<port><path> from inside the container's network namespace ("refused" if nothing listens). */
export async function statusInside(pid: number, port: number, path = "/health"): Promise<string> {
  const py = `import urllib.request,sys\ntry:\n  print(urllib.request.urlopen("http://127.0.0.1:${port}${path}", timeout=10).status)\nexcept urllib.error.HTTPError as e:\n  print(e.code)\nexcept Exception:\n  print("refused")`;
  const { stdout } = await run("nsenter", ["-t", String(containerProcess(pid)), "-n", "--", VASTAI_PYTHON, "-c", py], { timeout: 30_000 });
  return stdout.trim();
}
