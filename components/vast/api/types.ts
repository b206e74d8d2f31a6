// Wire types of the Vast.ai REST API (docs/vast-api.md).
// Shared by the client (components/vast) and the local emulator (emulator/): types only, no logic.
// Emulator-only types (fault injection) live in emulator/types.ts.

/** Comparison operators of the offer query language (JSON side). */
export type QueryOp = "eq" | "neq" | "gt" | "gte" | "lt" | "lte" | "in" | "notin";

/** One field filter, e.g. `{ gte: 16000 }`; values may be numbers or numeric strings (as the CLI sends). */
export type FieldFilter = Partial<Record<QueryOp, string | number | boolean | null | Array<string | number>>>;

/** Offer type in a search; the CLI sends "on-demand" | "bid" | "reserved"; the docs spell "ondemand". */
export type OfferType = "on-demand" | "ondemand" | "bid" | "reserved";

/** Body of POST /api/v0/bundles/ (also the `q` of the legacy GET). */
export interface OfferQuery {
  [field: string]: FieldFilter | unknown;
  order?: Array<[string, "asc" | "desc"]>;
  type?: OfferType;
  limit?: number;
  allocated_storage?: number;
}

/** One offer row of `{"offers": [...]}` (the fields this project reads or the emulator serves). */
export interface Offer {
  id: number;
  ask_contract_id: number;
  bundle_id?: number;
  machine_id: number;
  host_id: number;
  hosting_type?: number;
  num_gpus: number;
  gpu_name: string;
  gpu_ram: number; // MB
  gpu_total_ram?: number; // MB
  gpu_arch?: string;
  compute_cap: number; // capability x 100
  cuda_max_good: number;
  driver_version?: string;
  cpu_name?: string;
  cpu_cores: number | null;
  cpu_cores_effective?: number;
  cpu_ram: number; // MB
  disk_space: number; // GB
  inet_up: number;
  inet_down: number;
  direct_port_count: number;
  static_ip: boolean;
  dph_base?: number;
  dph_total: number;
  min_bid: number;
  storage_cost?: number;
  dlperf: number;
  dlperf_per_dphtotal: number;
  total_flops?: number;
  flops_per_dphtotal?: number;
  score?: number;
  reliability: number;
  reliability2: number;
  rentable: boolean;
  rented: boolean;
  /** null or absent on real rows (reference §2): the tier is in `verification`. */
  verified?: boolean | null;
  verification: "verified" | "unverified" | "deverified";
  /** null on real rows returned for `external = false`. */
  external: boolean | null;
  geolocation: string;
  public_ipaddr: string;
  duration?: number;
  start_date?: number;
  end_date?: number;
  is_bid?: boolean;
  [extra: string]: unknown;
}

/** Body of PUT /api/v0/asks/{offer_id}/ as the official CLI sends it. */
export interface CreateInstanceRequest {
  client_id: "me";
  image: string;
  env: Record<string, string>;
  price: number | null;
  disk: number;
  label: string | null;
  onstart: string | null;
  runtype?: string;
  args?: string[];
  args_str?: string;
  image_login?: string | null;
  cancel_unavail?: boolean | null;
  target_state?: "running" | "stopped";
  [extra: string]: unknown;
}

export interface CreateInstanceResponse {
  success: boolean;
  new_contract?: number;
  error?: string;
  msg?: string;
  ask_id?: number;
  instance_api_key?: string;
}

/** `{"error": ..., "msg": ...}` envelope of most Vast errors. */
export interface VastErrorBody {
  success?: false;
  error?: string;
  msg?: string;
  detail?: string;
  message?: string;
}

export type ActualStatus =
  | null
  | "created"
  | "loading"
  | "running"
  | "stopped"
  | "frozen"
  | "exited"
  | "rebooting"
  | "unknown"
  | "offline";

export interface PortBinding {
  HostIp: string;
  HostPort: string; // a string on the wire
}

/** One instance as returned by GET /api/v0/instances/{id}/ and the v1 list. */
export interface Instance {
  id: number;
  actual_status: ActualStatus;
  intended_status: "running" | "stopped" | "frozen" | string;
  cur_state: "running" | "stopped" | "unloaded" | string;
  next_state?: string;
  status_msg: string | null;
  label: string | null;
  is_bid: boolean;
  min_bid?: number;
  image_uuid: string;
  image_args?: string[];
  image_runtype?: string;
  onstart?: string | null;
  extra_env: Array<[string, string]>;
  machine_id: number;
  host_id: number;
  num_gpus: number;
  gpu_name: string;
  gpu_ram: number;
  gpu_totalram?: number;
  disk_space: number;
  dph_base?: number;
  dph_total: number;
  public_ipaddr: string | null;
  ssh_host: string | null;
  ssh_port: number | null;
  ports: Record<string, PortBinding[]> | null;
  direct_port_count?: number;
  direct_port_start: number;
  direct_port_end: number;
  geolocation?: string;
  start_date: number;
  uptime_mins?: number | null;
  [extra: string]: unknown;
}

export interface ShowInstanceResponse {
  instances: Instance | null;
}

/** GET /api/v1/instances/ response. */
export interface InstanceListResponse {
  success: boolean;
  instances_found: number;
  total_instances: number;
  label_counts: Record<string, number>;
  next_token: string | null;
  instances: Instance[];
}

/**
 * A Vast Serverless endpoint group's autoscaling knobs, as POST/PUT /api/v0/endptjobs/ take them and
 * GET lists them (PyPI vastai 1.9.1 api/endpoints.py; docs/vast-api.md "Vast Serverless").
 */
export interface EndpointGroupKnobs {
  min_load: number;
  min_cold_load: number;
  target_util: number;
  cold_mult: number;
  cold_workers: number;
  max_workers: number;
  max_queue_time: number;
  target_queue_time: number;
  inactivity_timeout: number;
}
