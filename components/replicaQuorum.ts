// Which replicas count as ready, and whether enough of them are (vast-reranker:minReadyReplicas).
// Pure: the deployment feeds each replica's resolved state in; no Pulumi resources here.
import * as pulumi from "@pulumi/pulumi";

/** One replica as listed in the `replicas` output. */
export interface ReplicaInfo {
  endpoint: string;
  instanceId: number;
  machineId: number;
  gpuName: string;
  pricePerHour: number;
}

/** A replica after its boot and probe: ready with its info, or failed with the reason. */
export interface ReplicaState {
  name: string;
  /** The instance's failure (a tolerated boot failure), else undefined. */
  failure?: string;
  info: ReplicaInfo;
  /** The endpoint's parts, for the single-endpoint outputs. */
  ip: string;
  port: number;
  /** The probe's JSON report (a skipped one for a failed replica). */
  report: string;
}

/** One entry of the `failedReplicas` output. */
export interface FailedReplica {
  replica: string;
  reason: string;
}

export interface QuorumVerdict {
  ready: ReplicaState[];
  failed: FailedReplica[];
  /** Set when fewer than the minimum are ready: what `up` reports. */
  problem?: string;
}

export function judgeQuorum(states: ReplicaState[], minReady: number): QuorumVerdict {
  const ready = states.filter((s) => s.failure === undefined);
  const failed = states.filter((s) => s.failure !== undefined).map((s) => ({ replica: s.name, reason: s.failure as string }));
  if (ready.length >= minReady) return { ready, failed };
  const list = failed.map((f) => `  - ${f.replica}: ${f.reason}`).join("\n");
  return {
    ready, failed,
    problem: `only ${ready.length} of ${states.length} replicas became ready; vast-reranker:minReadyReplicas is ${minReady}. Failed:\n${list}\n`
      + "Every instance they rented was destroyed; the ready replicas keep serving and stay in state. The next `pulumi up` tries the failed ones again; "
      + "loosen the offer selection (filter, maxPricePerHour, minReliability) or lower vast-reranker:minReadyReplicas if the market is thin.",
  };
}

/** `up` fails with this when too few replicas are ready: its message alone, no stack frames (see stackConfigError.ts). */
export class ReplicaQuorumError extends pulumi.RunError {
  constructor(problem: string) {
    super(problem);
    this.name = "ReplicaQuorumError";
    this.stack = `${this.name}: ${this.message}`;
  }
}
