// Vast Serverless REST calls (console: endpoint and worker groups; engine: workers), over the same
// HTTP layer as the instance client (../vast/api/http.ts). No secret lives here: keys are arguments.
import { VastApiError, idempotent, send, successOrThrow, type RawResponse, type VastClientOptions } from "../vast/api/http.ts";
import { DEFAULT_API_URL } from "../vast/api/credentials.ts";
import type { EndpointBody, WorkerGroupBody } from "./wire.ts";

/** The engine (route, workers, logs): run.vast.ai for the real console, else the console URL itself (as Vast's CLI does). */
export function engineUrlFor(apiUrl: string): string {
  return apiUrl.replace(/\/+$/, "") === DEFAULT_API_URL ? "https://run.vast.ai" : apiUrl.replace(/\/+$/, "");
}

export interface EndpointRow extends Omit<EndpointBody, "client_id" | "autoscaler_instance"> {
  id: number;
  api_key: string;
  endpoint_state?: string;
}

export interface WorkerGroupRow {
  id: number;
  endpoint_id: number;
  endpoint_name?: string;
  search_params?: unknown;
  launch_args?: string | null;
  cold_workers?: number | null;
  max_workers?: number | null;
}

export interface EngineWorker {
  id: number;
  status: string;
  url?: string | null;
}

const body = <T>(r: RawResponse) => (r.body ?? {}) as T;

/** Creating is never retried blindly: a lost answer is resolved by looking the name up (adoption). */
async function createOnce(opts: VastClientOptions, what: string, path: string, payload: unknown): Promise<RawResponse> {
  try {
    return await send(opts, "POST", path, payload);
  } catch (e) {
    throw new VastApiError(`${what}: ${(e as Error).message}`, 0, "network", true);
  }
}

export async function listEndpoints(opts: VastClientOptions): Promise<EndpointRow[]> {
  const r = await idempotent(opts, "list endpoints", "GET", "api/v0/endptjobs/", undefined, { client_id: "me" });
  successOrThrow(opts, "list endpoints", r);
  return body<{ results?: EndpointRow[] }>(r).results ?? [];
}

/** One endpoint, or null when Vast no longer has it. */
export async function getEndpoint(opts: VastClientOptions, id: number): Promise<EndpointRow | null> {
  const r = await idempotent(opts, `show endpoint ${id}`, "GET", `api/v0/endptjobs/${id}/`);
  if (r.status === 404) return null;
  successOrThrow(opts, `show endpoint ${id}`, r);
  return body<{ result?: EndpointRow }>(r).result ?? null;
}

export async function createEndpoint(opts: VastClientOptions, b: EndpointBody): Promise<number> {
  const r = await createOnce(opts, `create endpoint ${b.endpoint_name}`, "api/v0/endptjobs/", b);
  successOrThrow(opts, `create endpoint ${b.endpoint_name}`, r);
  const id = body<{ result?: unknown }>(r).result;
  if (typeof id !== "number") throw new VastApiError(`create endpoint: unexpected answer ${r.text.slice(0, 200)}`, r.status, undefined, true);
  return id;
}

export async function updateEndpoint(opts: VastClientOptions, id: number, b: EndpointBody): Promise<void> {
  const r = await idempotent(opts, `update endpoint ${id}`, "PUT", `api/v0/endptjobs/${id}/`, { ...b, endptjob_id: id, endpoint_state: "active" });
  successOrThrow(opts, `update endpoint ${id}`, r);
}

/** Deletes an endpoint; already gone counts as success. */
export async function deleteEndpoint(opts: VastClientOptions, id: number): Promise<void> {
  const r = await idempotent(opts, `delete endpoint ${id}`, "DELETE", `api/v0/endptjobs/${id}/`, { client_id: "me", endptjob_id: id });
  if (r.status === 404) return;
  successOrThrow(opts, `delete endpoint ${id}`, r);
}

export async function listWorkerGroups(opts: VastClientOptions): Promise<WorkerGroupRow[]> {
  const r = await idempotent(opts, "list workergroups", "GET", "api/v0/workergroups/");
  successOrThrow(opts, "list workergroups", r);
  return body<{ results?: WorkerGroupRow[] }>(r).results ?? [];
}

export async function createWorkerGroup(opts: VastClientOptions, b: WorkerGroupBody): Promise<number> {
  const r = await createOnce(opts, `create workergroup for endpoint ${b.endpoint_id}`, "api/v0/workergroups/", b);
  successOrThrow(opts, "create workergroup", r);
  const id = body<{ id?: unknown }>(r).id;
  if (typeof id !== "number") throw new VastApiError(`create workergroup: unexpected answer ${r.text.slice(0, 200)}`, r.status, undefined, true);
  return id;
}

export async function updateWorkerGroup(opts: VastClientOptions, id: number, b: WorkerGroupBody): Promise<void> {
  const r = await idempotent(opts, `update workergroup ${id}`, "PUT", `api/v0/workergroups/${id}/`, { ...b, autojob_id: id });
  successOrThrow(opts, `update workergroup ${id}`, r);
}

/** Deletes a worker group; already gone counts as success. */
export async function deleteWorkerGroup(opts: VastClientOptions, id: number): Promise<void> {
  const r = await idempotent(opts, `delete workergroup ${id}`, "DELETE", `api/v0/workergroups/${id}/`, { client_id: "me", autojob_id: id });
  if (r.status === 404 || body<{ error?: string }>(r).error === "no_such_workergroup") return;
  successOrThrow(opts, `delete workergroup ${id}`, r);
}

/** The endpoint's workers as the engine lists them ([] while the engine says they cannot be queried yet). */
export async function endpointWorkers(opts: VastClientOptions, endpointId: number): Promise<EngineWorker[]> {
  const engine = { ...opts, apiUrl: engineUrlFor(opts.apiUrl) };
  const r = await idempotent(engine, `workers of endpoint ${endpointId}`, "POST", "get_endpoint_workers/", { id: endpointId });
  successOrThrow(engine, `workers of endpoint ${endpointId}`, r);
  return Array.isArray(r.body) ? (r.body as EngineWorker[]) : [];
}
