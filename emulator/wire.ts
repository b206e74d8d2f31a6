// Instance records as the API shows them, and the paginated v1 list (docs/vast-api.md §4).
import { createHash } from "node:crypto";
import type { Instance, InstanceListResponse } from "../components/vast/api/types.ts";
import type { Rec } from "./record.ts";
import { QueryError, comparator, filterOps, rowMatches } from "./query.ts";

export function toWire(rec: Rec, now = Date.now()): Instance {
  const o = rec.offer;
  const running = rec.actual === "running";
  const hostPorts = Object.values(rec.hostPorts);
  return {
    id: rec.id,
    actual_status: rec.actual,
    intended_status: rec.intended,
    cur_state: rec.cur,
    next_state: rec.next,
    status_msg: rec.statusMsg,
    label: rec.label,
    is_bid: rec.isBid,
    min_bid: o.min_bid,
    image_uuid: rec.req.image,
    image_args: rec.req.args,
    image_runtype: rec.req.runtype,
    onstart: rec.req.onstart,
    extra_env: Object.entries(rec.req.env),
    template_id: rec.req.template?.id ?? null,
    template_hash_id: rec.req.template?.hash_id ?? null,
    template_name: rec.req.template?.name ?? null,
    jupyter_token: rec.jupyterToken,
    machine_id: o.machine_id,
    host_id: o.host_id,
    bundle_id: o.bundle_id ?? null,
    hosting_type: o.hosting_type ?? 0,
    geolocation: o.geolocation,
    verification: o.verification,
    rentable: true,
    external: o.external,
    num_gpus: o.num_gpus,
    gpu_name: o.gpu_name,
    gpu_arch: o.gpu_arch ?? "nvidia",
    gpu_ram: o.gpu_ram,
    gpu_totalram: o.gpu_total_ram ?? o.gpu_ram * o.num_gpus,
    gpu_util: running ? 0 : null,
    gpu_temp: running ? 41 : null,
    compute_cap: o.compute_cap,
    cuda_max_good: o.cuda_max_good,
    driver_version: o.driver_version ?? null,
    cpu_name: o.cpu_name ?? null,
    cpu_cores: o.cpu_cores,
    cpu_cores_effective: o.cpu_cores_effective ?? o.cpu_cores,
    cpu_ram: o.cpu_ram,
    cpu_util: running ? 0.5 : null,
    disk_space: rec.req.disk,
    disk_usage: -1,
    inet_up: o.inet_up,
    inet_down: o.inet_down,
    dph_base: o.dph_base,
    dph_total: o.dph_total,
    storage_cost: o.storage_cost,
    dlperf: o.dlperf,
    dlperf_per_dphtotal: o.dlperf_per_dphtotal,
    reliability2: o.reliability2,
    score: o.score ?? null,
    public_ipaddr: running ? "127.0.0.1" : null,
    local_ipaddrs: running ? "127.0.0.1 \n" : null,
    static_ip: o.static_ip,
    ssh_host: rec.sshPort === null ? null : "127.0.0.1",
    ssh_port: rec.sshPort,
    ssh_idx: rec.sshPort === null ? null : "0",
    ports: rec.ports,
    direct_port_count: o.direct_port_count,
    direct_port_start: running && hostPorts.length ? Math.min(...hostPorts) : -1,
    direct_port_end: running && hostPorts.length ? Math.max(...hostPorts) : -1,
    start_date: rec.createdAt / 1000,
    end_date: o.end_date ?? null,
    duration: o.end_date ? o.end_date - now / 1000 : null,
    uptime_mins: rec.runningSince === null ? null : (now - rec.runningSince) / 60_000,
    volume_info: [],
  };
}

// Stored columns the v1 list can filter and order on; others (dph_total, num_gpus...) are computed.
const STORED = new Set([
  "id", "label", "actual_status", "intended_status", "cur_state", "next_state", "status_msg", "gpu_name",
  "verification", "machine_id", "host_id", "image_uuid", "image_runtype", "is_bid", "start_date", "geolocation",
  "public_ipaddr", "disk_space",
]);
const MAX_PAGE = 25;

export class ListError extends Error {
  readonly code: string;
  constructor(code: string, msg: string) {
    super(msg);
    this.code = code;
  }
}

function param<T>(raw: string | null, name: string, fallback: T): T {
  if (raw === null || raw === "") return fallback;
  try {
    return JSON.parse(raw) as T;
  } catch {
    throw new ListError("invalid_request", `Error in query parameters: ${name} is not valid JSON`);
  }
}

function fingerprint(filters: unknown, order: unknown): string {
  return createHash("sha256").update(JSON.stringify([filters, order])).digest("hex").slice(0, 12);
}

export function listV1(recs: Rec[], q: URLSearchParams): InstanceListResponse {
  const filters = param<Record<string, unknown>>(q.get("select_filters"), "select_filters", {});
  if (!filters || typeof filters !== "object" || Array.isArray(filters)) throw new ListError("invalid_request", "Error in query parameters: select_filters must be an object");
  for (const [col, f] of Object.entries(filters)) {
    if (!STORED.has(col)) throw new ListError("invalid_request", `Error in query parameters: ${col} is not a valid search key`);
    try {
      filterOps(col, f);
    } catch (e) {
      throw new ListError("invalid_request", (e as Error).message);
    }
  }
  const orderBy = param<Array<{ col?: unknown; dir?: unknown }>>(q.get("order_by"), "order_by", [{ col: "id", dir: "asc" }]);
  if (!Array.isArray(orderBy)) throw new ListError("invalid_request", "Error in query parameters: order_by must be a list");
  const keys = orderBy.map((o) => {
    const col = String(o?.col ?? "");
    if (!STORED.has(col)) throw new ListError("invalid_request", `Error in query parameters: ${col} is not a valid order column`);
    return [col, o?.dir === "desc" ? "desc" : "asc"] as [string, "asc" | "desc"];
  });
  let limit = Math.floor(Number(q.get("limit") ?? MAX_PAGE));
  if (!Number.isFinite(limit)) limit = MAX_PAGE;
  if (limit <= 0) limit = 5; // documented quirk
  limit = Math.min(limit, MAX_PAGE);
  const selectCols = param<string[]>(q.get("select_cols"), "select_cols", ["*"]);

  const fp = fingerprint(filters, keys);
  let rows: Instance[];
  try {
    rows = recs.map((r) => toWire(r)).filter((w) => rowMatches(w, filters));
  } catch (e) {
    if (e instanceof QueryError) throw new ListError("invalid_request", e.message);
    throw e;
  }
  const cmp = comparator(keys);
  rows.sort(cmp);
  const total = rows.length;
  const labelCounts: Record<string, number> = {};
  for (const r of rows) labelCounts[r.label ?? ""] = (labelCounts[r.label ?? ""] ?? 0) + 1;

  const token = q.get("after_token") ?? q.get("next_token");
  let start = 0;
  if (token) {
    let last: Record<string, unknown>;
    try {
      const t = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { f: string; k: unknown[] };
      if (t.f !== fp || !Array.isArray(t.k) || t.k.length !== keys.length + 1) throw new Error("mismatch");
      last = Object.fromEntries([...keys.map(([c], i) => [c, t.k[i]]), ["id", t.k[keys.length]]]);
    } catch {
      throw new ListError("invalid_token", "Invalid pagination token");
    }
    start = rows.findIndex((r) => cmp(r, last) > 0);
    if (start < 0) start = rows.length;
  }
  const page = rows.slice(start, start + limit);
  const more = start + limit < rows.length;
  const lastRow = page[page.length - 1];
  const next = more && lastRow ? Buffer.from(JSON.stringify({ f: fp, k: [...keys.map(([c]) => lastRow[c]), lastRow.id] })).toString("base64url") : null;
  const project = (w: Instance): Instance =>
    Array.isArray(selectCols) && !selectCols.includes("*")
      ? (Object.fromEntries(selectCols.map((c) => [c, (w as Record<string, unknown>)[c] ?? null])) as Instance)
      : w;
  return {
    success: true,
    instances_found: page.length,
    total_instances: total,
    label_counts: labelCounts,
    next_token: next,
    instances: page.map(project),
  };
}
