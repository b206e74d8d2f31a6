// Vast Serverless records in the emulator: endpoint groups, worker groups, workers. Wire shapes follow
// PyPI vastai's requests and docs/vast-api.md ("Vast Serverless"); the autoscaler is ./autoscaler.ts.
import { randomBytes } from "node:crypto";
import type { EndpointGroupKnobs } from "../../components/vast/api/types.ts";
import type { TemplateRef } from "../templates.ts";

export interface EndpointRec extends EndpointGroupKnobs {
  id: number;
  endpoint_name: string;
  endpoint_state: "active" | "suspended" | "stopped";
  api_key: string;
  user_id: number;
  created_at: number;
  autoscaler_instance: string;
}

export interface WorkerGroupRec {
  id: number;
  endpoint_id: number;
  endpoint_name: string;
  template_hash: string | null;
  template_id: number | null;
  search_params: string;
  /** The offer query the search_params string means (vastai's own parser). */
  query: Record<string, unknown>;
  launch_args: string | null;
  /** The create-instance body every worker is rented with: the template's launch, launch_args over it (groupLaunch.ts). */
  launch: Record<string, unknown>;
  /** The template the launch came from, shown on each worker instance (template_id/hash_id/name). */
  templateRef: TemplateRef | null;
  gpu_ram: number | null;
  cold_workers: number | null;
  max_workers: number | null;
  created_at: number;
}

export interface WorkerStatus {
  at: number;
  loadtime: number;
  cur_load: number;
  new_load: number;
  max_perf: number;
  cur_perf: number;
  error_msg: string;
  num_requests_working: number;
  url: string;
}

export interface WorkerRec {
  instanceId: number;
  endpointId: number;
  wgId: number;
  mtoken: string;
  startedAt: number;
  /** The latest /worker_status/ report since the worker last started (null: none yet). */
  status: WorkerStatus | null;
  loadedAt: number | null;
  /** Stopped by the autoscaler (cold); false while hot or starting. */
  cold: boolean;
  /** Routes handed to this worker, by time (for picking the least busy). */
  routedAt: number[];
  releasing: boolean;
}

export const ENDPOINT_DEFAULTS = {
  min_load: 0, min_cold_load: 0, target_util: 0.9, cold_mult: 2.5, cold_workers: 5, max_workers: 20,
  max_queue_time: 30, target_queue_time: 10, inactivity_timeout: 0,
};

export class ServerlessState {
  endpoints = new Map<number, EndpointRec>();
  /** The account key that created each endpoint: its workers are that account's instances. */
  owners = new Map<number, string>();
  groups = new Map<number, WorkerGroupRec>();
  workers = new Map<number, WorkerRec>();
  logs = new Map<string, string[]>();
  nextEndpoint = 4100;
  nextGroup = 7300;
  reqnum = new Map<number, number>();
  nextRequestIdx = 1;
  /** Route calls per endpoint: time, cost, and whether a worker was ready. */
  routes = new Map<number, { at: number; cost: number; served: boolean }[]>();

  newKey(): string {
    return randomBytes(32).toString("hex");
  }

  log(kind: "endpoint" | "group", id: number, line: string): void {
    const k = `${kind}:${id}`;
    const list = this.logs.get(k) ?? [];
    list.push(`${new Date().toISOString()} ${line}`);
    if (list.length > 500) list.splice(0, list.length - 500);
    this.logs.set(k, list);
  }

  endpointByName(name: string): EndpointRec | undefined {
    return [...this.endpoints.values()].find((e) => e.endpoint_name === name);
  }

  groupsOf(endpointId: number): WorkerGroupRec[] {
    return [...this.groups.values()].filter((g) => g.endpoint_id === endpointId);
  }

  workersOf(endpointId: number): WorkerRec[] {
    return [...this.workers.values()].filter((w) => w.endpointId === endpointId);
  }

  clear(): void {
    this.endpoints.clear();
    this.groups.clear();
    this.workers.clear();
    this.logs.clear();
    this.routes.clear();
    this.reqnum.clear();
  }
}
