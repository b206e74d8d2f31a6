// Pure logic of the orphan reaper: which labelled Vast instances no stack state knows about.
import type { Instance } from "../../components/vast/api/types.ts";

export interface OrphanCandidate {
  id: number;
  label: string;
  status: string;
  gpuName: string;
  pricePerHour: number;
  ageMinutes: number;
}

/** Resource type token of our dynamic VastInstance (module "vast", type "Instance"). */
export const INSTANCE_TYPE = "pulumi-nodejs:dynamic/vast:Instance";

/** Instance ids recorded in a `pulumi stack export` document (including pending creates). */
export function instanceIdsInState(exported: unknown): number[] {
  const d = (exported as { deployment?: { resources?: Array<{ type?: string; id?: string; outputs?: Record<string, unknown> }>; pending_operations?: Array<{ resource?: { type?: string; id?: string } }> } }).deployment ?? {};
  const ids: number[] = [];
  for (const r of d.resources ?? []) if (r.type === INSTANCE_TYPE && r.id) ids.push(Number(r.id));
  for (const op of d.pending_operations ?? []) if (op.resource?.type === INSTANCE_TYPE && op.resource.id) ids.push(Number(op.resource.id));
  return ids.filter((n) => Number.isFinite(n));
}

/** Labels our provider writes start with `<prefix>.`; anything else is not ours to touch. */
export function findOrphans(instances: Instance[], knownIds: Set<number>, prefix: string, nowSeconds: number, minAgeMinutes = 0): OrphanCandidate[] {
  return instances
    .filter((i) => typeof i.label === "string" && i.label.startsWith(`${prefix}.`))
    .filter((i) => !knownIds.has(i.id))
    .map((i) => ({
      id: i.id,
      label: i.label as string,
      status: i.actual_status ?? "provisioning",
      gpuName: i.gpu_name,
      pricePerHour: i.dph_total,
      ageMinutes: Math.max(0, (nowSeconds - i.start_date) / 60),
    }))
    .filter((o) => o.ageMinutes >= minAgeMinutes)
    .sort((a, b) => a.id - b.id);
}

/** Parses "90m", "2h", "1d", "45" (minutes). */
export function parseAge(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([mhd]?)$/.exec(text.trim());
  if (!m) throw new Error(`--older-than "${text}" is not an age: use e.g. 30m, 2h or 1d`);
  const n = Number(m[1]);
  return m[2] === "h" ? n * 60 : m[2] === "d" ? n * 1440 : n;
}

export function formatOrphans(orphans: OrphanCandidate[]): string {
  if (!orphans.length) return "no orphaned instances";
  const rows = orphans.map((o) => `${String(o.id).padEnd(10)} ${o.status.padEnd(12)} ${o.gpuName.padEnd(14)} $${o.pricePerHour.toFixed(3)}/h  ${o.ageMinutes.toFixed(0).padStart(6)} min  ${o.label}`);
  const total = orphans.reduce((s, o) => s + o.pricePerHour, 0);
  return [`${"id".padEnd(10)} ${"status".padEnd(12)} ${"gpu".padEnd(14)} price      age        label`, ...rows, `${orphans.length} orphaned instance(s) costing $${total.toFixed(3)}/h in all`].join("\n");
}
