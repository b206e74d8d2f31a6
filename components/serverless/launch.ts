// How a serverless worker instance starts (the worker group's launch): vLLM on loopback only, and in
// front of it Vast's own worker (PyPI vastai, pinned) configured by our worker.py. Pure, no I/O
// except reading worker.py once. The endpoint key travels only in the env dict (never in the args).
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { shQuote, vllmServeArgs, type VllmLaunchSpec } from "../vllm/launch.ts";

/** Vast's package, the version our worker script is written against (tests/vastai/requirements.lock). */
const VASTAI_PIN = "vastai==1.9.1";
/** The one port a worker publishes: Vast's worker (TLS). vLLM's own port is never mapped. */
export const WORKER_PORT = 3000;
/** vLLM inside the instance, on 127.0.0.1 only (Vast's OpenAI worker uses the same port). */
const VLLM_LOOPBACK_PORT = 18000;

/** worker.py without its comment lines (they cost launch size; Vast allows 4096 characters). */
export function workerSource(): string {
  const text = readFileSync(new URL("./worker.py", import.meta.url), "utf8");
  return text.split("\n").filter((l) => !/^\s*#/.test(l) && l.trim() !== "").join("\n") + "\n";
}

/** gzip + base64 of worker.py; gzip's header holds no time, so the launch is stable across runs. */
function workerPayload(): string {
  return gzipSync(Buffer.from(workerSource()), { level: 9 }).toString("base64");
}

export interface WorkerLaunch {
  image: string;
  runtype: "args";
  /** Vast's --entrypoint (args runtype): the image's entrypoint is replaced by /bin/sh. */
  onstart: string;
  args: string[];
  /** Plain env: the worker's settings and the one published port. */
  env: Record<string, string>;
}

/** The /bin/sh script: install Vast's worker, start vLLM on loopback, exec our worker script. */
function workerScript(spec: VllmLaunchSpec): string {
  const serve = [...vllmServeArgs({ ...spec, hardened: false }), "--host", "127.0.0.1", "--port", String(VLLM_LOOPBACK_PORT)];
  return [
    "set -eu",
    'if [ -z "${VR_ENDPOINT_KEY:-}" ]; then echo "vast-reranker: VR_ENDPOINT_KEY is empty; refusing to start" >&2; exit 78; fi',
    // Vast's own start script's default: the engine the worker reports to (the platform may set it).
    'export REPORT_ADDR="${REPORT_ADDR:-https://run.vast.ai}"',
    'd="${TMPDIR:-/tmp}/vast-reranker"',
    'mkdir -p "$d"',
    'cd "$d"',
    `python3 -m pip install -q --disable-pip-version-check ${VASTAI_PIN}`,
    `echo ${workerPayload()} | base64 -d | gzip -dc > worker.py`,
    // vLLM's log goes to the file Vast's worker tails for "loaded"/"failed", and to the container log.
    `(env -u VR_ENDPOINT_KEY vllm serve ${serve.map(shQuote).join(" ")} 2>&1 | tee -a vllm.log) &`,
    "exec python3 worker.py",
  ].join("\n");
}

/**
 * The worker instance's launch. `consoleUrl` is the Vast console the worker asks to sign its TLS
 * certificate (as Vast's start script does); `maxQueueTime` is the endpoint's, per handler.
 */
export function buildWorkerLaunch(spec: VllmLaunchSpec, opts: { consoleUrl: string; maxQueueTime: number; extraEnv?: Record<string, string> }): WorkerLaunch {
  const env: Record<string, string> = {
    ...(opts.extraEnv ?? {}),
    [`-p ${WORKER_PORT}:${WORKER_PORT}`]: "1",
    WORKER_PORT: String(WORKER_PORT),
    USE_SSL: "true",
    VR_CONSOLE_URL: opts.consoleUrl,
    VR_SERVED_MODEL: spec.servedModelName ?? spec.model,
    VR_MAX_QUEUE_TIME: String(opts.maxQueueTime),
  };
  return { image: spec.image, runtype: "args", onstart: "/bin/sh", args: ["-c", workerScript(spec)], env };
}
