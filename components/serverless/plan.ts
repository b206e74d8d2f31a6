// Serverless mode's plan and checks: what a worker runs (from the same image, model and launch
// settings as instance mode) and every problem of the configuration before anything is created.
// Pure: no Pulumi, no I/O beyond reading worker.py.
import type { DeploymentConfig } from "../config.ts";
import { parseEnvString } from "../vast/instance/envString.ts";
import { configMessage, launchSizeProblem } from "../vast/instance/validate.ts";
import { validateOfferSelection } from "../vast/offers/offerValidation.ts";
import { validateVllmLaunchSpec, type VllmLaunchSpec } from "../vllm/launch.ts";
import { WORKER_PORT, buildWorkerLaunch, type WorkerLaunch } from "./launch.ts";

/** Env names the worker's launch sets itself (Vast's worker reads some, our script the others). */
const RESERVED_ENV = /^(VR_.*|WORKER_PORT|WORKER_HTTP_PORT|USE_SSL|UNSECURED|REPORT_ADDR|MASTER_TOKEN|CONTAINER_ID|PUBLIC_IPADDR|VAST_.*|MODEL_HEALTH_ENDPOINT|VLLM_API_KEY)$/;

export interface WorkerPlan {
  spec: VllmLaunchSpec;
  /** The user's extra env from vast-reranker:env, less the guide's `-p 8000:8000`. */
  userEnv: Record<string, string>;
}

function workerSpec(cfg: DeploymentConfig): VllmLaunchSpec {
  // Keyless behind Vast's worker, which cannot send a key (docs/serverless.md): never the guard.
  return { image: cfg.image, model: cfg.model, servedModelName: cfg.servedModelName, maxModelLen: cfg.maxModelLen, dtype: cfg.dtype, extraArgs: cfg.extraArgs, hardened: false };
}

/** Splits vast-reranker:env for a worker: the guide's `-p 8000:8000` is dropped (only the worker's port is mapped). */
export function planWorker(cfg: DeploymentConfig): WorkerPlan {
  const parsed = parseEnvString(cfg.env);
  const userEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) if (k !== "-p 8000:8000") userEnv[k] = v;
  return { spec: workerSpec(cfg), userEnv };
}

/** The launch as it will be sent (with a placeholder console URL: only its size and shape matter here). */
export function plannedLaunch(cfg: DeploymentConfig, consoleUrl = "https://console.vast.ai"): WorkerLaunch {
  const plan = planWorker(cfg);
  return buildWorkerLaunch(plan.spec, { consoleUrl, maxQueueTime: cfg.serverless.maxQueueTime, extraEnv: plan.userEnv });
}

/** Every problem of a serverless configuration, each naming its key. */
export function validateServerless(cfg: DeploymentConfig): string[] {
  const problems = validateOfferSelection(cfg.selection).map((f) => configMessage(f.property, f.reason));
  problems.push(...validateVllmLaunchSpec(workerSpec(cfg)).map((f) => configMessage(f.property, f.reason)));
  let plan: WorkerPlan | undefined;
  try {
    plan = planWorker(cfg);
  } catch (e) {
    problems.push(`vast-reranker:env ${(e as Error).message}`);
  }
  for (const k of Object.keys(plan?.userEnv ?? {})) {
    if (k.startsWith("-p ")) problems.push(`vast-reranker:env maps "${k}": in serverless mode only the worker's port (${WORKER_PORT}) is published; vLLM listens on loopback only`);
    else if (/["']/.test(plan?.userEnv[k] ?? "")) problems.push(`vast-reranker:env ${k}: a quote character cannot pass Vast's env string for a worker group's launch`);
    else if (RESERVED_ENV.test(k)) problems.push(`vast-reranker:env sets ${k}, which the serverless worker's launch sets itself${k === "VLLM_API_KEY" ? " (callers use the endpoint's key, output endpointKey)" : ""}`);
  }
  if (!problems.length) {
    const tooLong = launchSizeProblem(plannedLaunch(cfg));
    if (tooLong) problems.push(`vast-reranker:extraArgs: ${tooLong}`);
  }
  return [...new Set(problems)];
}
