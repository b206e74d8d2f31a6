// Replica placement: every replica of a deployment on its own Vast machine (machine_id), also when
// all replicas are rented at the same moment by one `pulumi up`.
//
// Two rules, both applied by the VastInstance provider of a replica (inputs.placement):
// 1. Before renting: the machines of siblings that already have a live instance (found by their
//    label stems) are excluded; the remaining ranked offers are grouped by machine, and the replicas
//    still without an instance share those machines round-robin by their position: the k-th of m
//    missing replicas takes machines k, k+m, k+2m... of the ranking first (then the rest, as fallback).
//    Replicas created together search the same market at the same moment, so they pick distinct
//    machines without talking to each other; a replica added later (2 → 3) gets the cheapest free one.
// 2. After its instance runs: if a sibling with a lower index runs on the same machine (a fallback
//    or a search that saw a different market), the higher index yields: its instance is destroyed and
//    the machine excluded, and the boot loop rents the next offer.
import type { Instance, Offer } from "../api/types.ts";

export interface ReplicaPlacement {
  /** This replica's index (0 = the first, today's `reranker`). */
  index: number;
  /** Label stems of every replica, by index (each replica's sweeper owns its stem). */
  stems: string[];
}

/**
 * Live (not unloaded) instances that carry a sibling's stem, by sibling index. With `myLabel`, only
 * siblings of the same container spec count (their label is their stem + my spec hash): during a
 * create-first replacement the old generation is going away, and its machines may serve the new one.
 */
export function siblingInstances(placement: ReplicaPlacement, instances: Instance[], myLabel?: string): Map<number, Instance[]> {
  const out = new Map<number, Instance[]>();
  const myStem = placement.stems[placement.index] ?? "";
  const spec = myLabel !== undefined && myLabel.startsWith(myStem) ? myLabel.slice(myStem.length) : undefined;
  for (const inst of instances) {
    if (inst.cur_state === "unloaded" || inst.intended_status === "destroyed") continue;
    const label = inst.label ?? "";
    placement.stems.forEach((stem, i) => {
      if (i === placement.index || !stem || !label.startsWith(stem)) return;
      if (spec !== undefined && label !== `${stem}${spec}`) return;
      out.set(i, [...(out.get(i) ?? []), inst]);
    });
  }
  return out;
}

/** Rule 1: the ranked offers in the order this replica should try them (siblings' machines removed). */
export function placeOffers(placement: ReplicaPlacement, ranked: Offer[], instances: Instance[], myLabel?: string): Offer[] {
  const siblings = siblingInstances(placement, instances, myLabel);
  const taken = new Set([...siblings.values()].flat().map((i) => i.machine_id));
  const free = ranked.filter((o) => !taken.has(o.machine_id));
  const missing = placement.stems.map((_, i) => i).filter((i) => i === placement.index || !siblings.has(i));
  const m = missing.length;
  const k = missing.indexOf(placement.index);
  const machines: number[] = [];
  for (const o of free) if (!machines.includes(o.machine_id)) machines.push(o.machine_id);
  const mine = new Set(machines.filter((_, j) => j % m === k));
  return [...free.filter((o) => mine.has(o.machine_id)), ...free.filter((o) => !mine.has(o.machine_id))];
}

/** Rule 2: why this replica's running instance must yield its machine, or undefined. */
export function machineConflict(placement: ReplicaPlacement, mine: Instance, instances: Instance[], myLabel?: string): string | undefined {
  for (const [i, list] of siblingInstances(placement, instances, myLabel)) {
    const clash = list.find((s) => s.machine_id === mine.machine_id && s.id !== mine.id);
    if (clash && i < placement.index) return `machine ${mine.machine_id} already serves replica ${i} (instance ${clash.id}); replica ${placement.index} yields it`;
  }
  return undefined;
}
