// Request bodies for Vast Serverless (one pure builder per body, shared by every caller). Shapes follow
// PyPI vastai 1.9.1 (vastai/api/endpoints.py: create/update endpoint and workergroup) and
// docs/vast-api.md ("Vast Serverless"). No I/O.
import { shQuote } from "../vllm/launch.ts";
import type { EndpointGroupKnobs } from "../vast/api/types.ts";
import type { ServerlessSettings } from "./settings.ts";
import type { WorkerLaunch } from "./launch.ts";

export interface EndpointBody extends EndpointGroupKnobs {
  client_id: "me";
  endpoint_name: string;
  autoscaler_instance: "prod";
}

/** POST /endptjobs/ and PUT /endptjobs/{id}/ (every knob, every time: a PUT replaces the record). */
export function endpointBody(name: string, s: ServerlessSettings): EndpointBody {
  return {
    client_id: "me", endpoint_name: name, min_load: s.minLoad, min_cold_load: 0, target_util: s.targetUtil, cold_mult: s.coldMult,
    cold_workers: s.coldWorkers, max_workers: s.maxWorkers, max_queue_time: s.maxQueueTime, target_queue_time: s.targetQueueTime,
    inactivity_timeout: s.inactivityTimeout, autoscaler_instance: "prod",
  };
}

/**
 * One `-e K=V` / `-p A:B` string as Vast's CLI `--env` takes it: values holding spaces are quoted.
 * Quote characters cannot pass Vast's env parser inside a value (validateServerless refuses them).
 */
export function envString(env: Record<string, string>): string {
  return Object.entries(env).map(([k, v]) => (k.startsWith("-") ? k : `-e ${k}=${/\s/.test(v) ? `"${v.replace(/["']/g, "")}"` : v.replace(/["']/g, "")}`)).join(" ");
}

/** `launch_args`: the `vastai create instance` flags that start a worker (image, env, disk, entrypoint, args). */
export function launchArgs(launch: WorkerLaunch, env: Record<string, string>, diskGb: number): string {
  return [
    "--image", shQuote(launch.image), "--disk", String(diskGb), "--env", shQuote(envString(env)),
    "--entrypoint", shQuote(launch.onstart), "--args", ...launch.args.map(shQuote),
  ].join(" ");
}

export interface WorkerGroupBody {
  client_id: "me";
  endpoint_id: number;
  endpoint_name: string;
  template_hash: null;
  template_id: null;
  search_params: string;
  launch_args: string;
  gpu_ram: number | null;
  cold_workers: number;
  max_workers: number;
  autoscaler_instance: "prod";
}

/** POST /workergroups/ and PUT /workergroups/{id}/ (SDK path; the CLI's /autojobs/ is the same route). */
export function workerGroupBody(a: { endpointId: number; endpointName: string; searchParams: string; launchArgs: string; gpuRamGb?: number; settings: ServerlessSettings }): WorkerGroupBody {
  return {
    client_id: "me", endpoint_id: a.endpointId, endpoint_name: a.endpointName, template_hash: null, template_id: null,
    search_params: a.searchParams, launch_args: a.launchArgs, gpu_ram: a.gpuRamGb ?? null,
    cold_workers: a.settings.coldWorkers, max_workers: a.settings.maxWorkers, autoscaler_instance: "prod",
  };
}

/** The endpoint's route call, as Vast's client sends it (serverless/client/endpoint.py `_route`). */
export function routeBody(endpointName: string, endpointKey: string, cost = 100, requestIdx = 0): Record<string, unknown> {
  return { endpoint: endpointName, api_key: endpointKey, cost, request_idx: requestIdx, replay_timeout: 60 };
}
