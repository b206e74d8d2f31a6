// Console routes of Vast Serverless (https://console.vast.ai/api/v0/…): endpoint groups (/endptjobs/)
// and worker groups (/workergroups/ and the CLI's /autojobs/), as PyPI vastai 1.9.1 sends them.
// Where Vast's behaviour is not known the emulator's choice is listed in docs/vast-api.md.
import { json, type Reply } from "../http.ts";
import { ENDPOINT_DEFAULTS, type EndpointRec, type ServerlessState, type WorkerGroupRec } from "./state.ts";
import { parseSearchParams } from "./vastaiCode.ts";
import { templateRef, type Templates } from "../templates.ts";
import { mergeFilters } from "../templateLaunch.ts";
import { groupLaunch } from "./groupLaunch.ts";

export interface ConsoleOps {
  state: ServerlessState;
  /** The account's templates (a group may name one: template_hash / template_id). */
  templates: Templates;
  /** Destroys a worker group's workers (their instances); resolves with their ids. */
  releaseWorkers(filter: (w: { endpointId: number; wgId: number }) => boolean): number[];
}

const bad = (msg: string, status = 400, error = "invalid_args"): Reply => json(status, { success: false, error, msg });
const NAME = /^[a-zA-Z0-9_-]+$/;
const NUMERIC = Object.keys(ENDPOINT_DEFAULTS) as (keyof typeof ENDPOINT_DEFAULTS)[];

/** A full endpoint record from a body: PUT replaces the record, so a missing knob takes its default. */
function endpointFrom(b: Record<string, unknown>, base: Pick<EndpointRec, "id" | "api_key" | "created_at">): EndpointRec | string {
  const name = b.endpoint_name;
  if (typeof name !== "string" || !NAME.test(name) || name.length > 255) return "endpoint_name must match ^[a-zA-Z0-9_-]+$ (at most 255 characters)";
  const rec: Record<string, unknown> = { ...base, endpoint_name: name, user_id: 1, autoscaler_instance: typeof b.autoscaler_instance === "string" ? b.autoscaler_instance : "prod" };
  for (const k of NUMERIC) {
    const v = b[k];
    if (v === undefined || v === null) rec[k] = ENDPOINT_DEFAULTS[k];
    else if (typeof v !== "number" || !Number.isFinite(v) || (v < 0 && k !== "inactivity_timeout")) return `${k} must be a non-negative number`;
    else rec[k] = v;
  }
  const st = b.endpoint_state ?? "active";
  if (st !== "active" && st !== "suspended" && st !== "stopped") return "endpoint_state must be active, suspended or stopped";
  rec.endpoint_state = st;
  return rec as unknown as EndpointRec;
}

export function createEndpoint(ops: ConsoleOps, body: unknown, owner: string): Reply {
  const b = (body ?? {}) as Record<string, unknown>;
  const { state } = ops;
  if (typeof b.endpoint_name === "string" && state.endpointByName(b.endpoint_name)) return bad(`An endpoint named ${b.endpoint_name} already exists`);
  const rec = endpointFrom(b, { id: state.nextEndpoint, api_key: state.newKey(), created_at: Date.now() / 1000 });
  if (typeof rec === "string") return bad(rec);
  state.nextEndpoint++;
  state.endpoints.set(rec.id, rec);
  state.owners.set(rec.id, owner);
  state.log("endpoint", rec.id, `created endpoint ${rec.endpoint_name}`);
  return json(200, { success: true, result: rec.id });
}

export const listEndpoints = (ops: ConsoleOps): Reply => json(200, { success: true, results: [...ops.state.endpoints.values()] });

export function getEndpoint(ops: ConsoleOps, id: number): Reply {
  const rec = ops.state.endpoints.get(id);
  return rec ? json(200, { success: true, result: rec }) : bad("Endpointgroup not found for user", 404, "no_such_endpoint");
}

export function updateEndpoint(ops: ConsoleOps, id: number, body: unknown): Reply {
  const old = ops.state.endpoints.get(id);
  if (!old) return bad("Endpointgroup not found for user", 404, "no_such_endpoint");
  const rec = endpointFrom((body ?? {}) as Record<string, unknown>, old);
  if (typeof rec === "string") return bad(rec);
  const other = ops.state.endpointByName(rec.endpoint_name);
  if (other && other.id !== id) return bad(`An endpoint named ${rec.endpoint_name} already exists`);
  ops.state.endpoints.set(id, rec);
  for (const g of ops.state.groupsOf(id)) g.endpoint_name = rec.endpoint_name;
  ops.state.log("endpoint", id, `updated endpoint ${rec.endpoint_name}`);
  return json(200, { success: true });
}

/** Deleting an endpoint deletes its worker groups and releases their workers (OpenAPI delete_endpoint). */
export function deleteEndpoint(ops: ConsoleOps, id: number): Reply {
  if (!ops.state.endpoints.get(id)) return bad("Endpointgroup not found for user", 404, "no_such_endpoint");
  for (const g of ops.state.groupsOf(id)) ops.state.groups.delete(g.id);
  const deleted = ops.releaseWorkers((w) => w.endpointId === id);
  ops.state.endpoints.delete(id);
  return json(200, { success: true, deleted_workers: deleted, failed_workers: [], msg: `Deleted endpoint ${id}` });
}

function groupFrom(ops: ConsoleOps, owner: string, b: Record<string, unknown>, id: number, createdAt: number): WorkerGroupRec | string {
  const { state } = ops;
  const byId = typeof b.endpoint_id === "number" ? state.endpoints.get(b.endpoint_id) : undefined;
  const ep = byId ?? (typeof b.endpoint_name === "string" ? state.endpointByName(b.endpoint_name) : undefined);
  if (!ep) return "Please assign your workergroup to a valid endpoint identifier";
  const launch = groupLaunch(ops.templates, owner, b);
  if (typeof launch === "string") return launch;
  const sp = b.search_params;
  let query: Record<string, unknown>;
  if (sp && typeof sp === "object" && !Array.isArray(sp)) query = sp as Record<string, unknown>;
  else if (typeof sp === "string") {
    const parsed = parseSearchParams(sp);
    if ("error" in parsed) return `search_params: ${parsed.error}`;
    query = parsed.query;
  } else if (launch.template) query = {}; // the CLI help: with a template, search_params "are automatically inferred from the template"
  else return "search_params is required";
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  return {
    id, endpoint_id: ep.id, endpoint_name: ep.endpoint_name, template_hash: launch.template?.hash_id ?? null, template_id: launch.template?.id ?? null,
    search_params: typeof sp === "string" ? sp : sp === undefined || sp === null ? "" : JSON.stringify(sp), query: mergeFilters(launch.filters, query),
    launch_args: typeof b.launch_args === "string" ? b.launch_args : null, launch: launch.body,
    templateRef: templateRef(launch.template),
    gpu_ram: num(b.gpu_ram), cold_workers: num(b.cold_workers), max_workers: num(b.max_workers), created_at: createdAt,
  };
}

export function createGroup(ops: ConsoleOps, body: unknown, owner: string): Reply {
  const rec = groupFrom(ops, owner, (body ?? {}) as Record<string, unknown>, ops.state.nextGroup, Date.now() / 1000);
  if (typeof rec === "string") return bad(rec);
  ops.state.nextGroup++;
  ops.state.groups.set(rec.id, rec);
  ops.state.log("group", rec.id, `created workergroup ${rec.id} for endpoint ${rec.endpoint_name}`);
  return json(200, { success: true, id: rec.id });
}

/** Rows as Vast lists them: the record plus the endpoint's key (OpenAPI show_autogroup lists api_key). */
export function listGroups(ops: ConsoleOps): Reply {
  const rows = [...ops.state.groups.values()].map(({ query: _q, launch: _l, templateRef: _t, ...g }) => ({ ...g, search_query: g.search_params, api_key: ops.state.endpoints.get(g.endpoint_id)?.api_key ?? null, user_id: 1 }));
  return json(200, { success: true, results: rows });
}

export function updateGroup(ops: ConsoleOps, id: number, body: unknown, owner: string): Reply {
  const old = ops.state.groups.get(id);
  if (!old) return bad("No workergroup by that id is available.", 404, "no_such_workergroup");
  const b = (body ?? {}) as Record<string, unknown>;
  const rec = groupFrom(ops, owner, { endpoint_id: old.endpoint_id, ...b }, id, old.created_at);
  if (typeof rec === "string") return bad(rec);
  if (rec.endpoint_id !== old.endpoint_id) return bad("a workergroup cannot move to another endpoint");
  ops.state.groups.set(id, rec);
  ops.state.log("group", id, "updated workergroup; new workers use the new launch");
  return json(200, { success: true });
}

export function deleteGroup(ops: ConsoleOps, id: number): Reply {
  if (!ops.state.groups.get(id)) return json(404, { success: false, error: "no_such_workergroup", msg: "No workergroup by that id is available.", id });
  ops.state.groups.delete(id);
  const deleted = ops.releaseWorkers((w) => w.wgId === id);
  return json(200, { success: true, deleted_workers: deleted, failed_workers: [], msg: `Deleted workergroup ${id}` });
}
