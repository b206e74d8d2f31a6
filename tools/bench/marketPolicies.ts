// The market benchmark's policies and its shared pieces (tools/bench/market.ts runs them through
// the emulator, marketReplay.ts replays them): what a policy is, the offer every seeded market is
// made from, the deploy's inputs, what one deploy yields.
import type { Offer } from "../../components/vast/api/types.ts";
import type { VastInstanceInputs } from "../../components/vast/instance/instanceLogic.ts";
import type { BootTuning } from "../../components/vast/instance/stallVerdict.ts";
import type { RankBy } from "../../components/vast/offers/offerQuery.ts";

export interface Policy {
  name: string;
  failover: "flat" | "stall";
  rankBy: RankBy;
  /** vast-reranker:race (offers rented at once). */
  race?: number;
  tuning?: Partial<BootTuning>;
  /** The row the targets are about (the committed defaults). */
  isDefault?: boolean;
}

/** /health only at status polls, no re-rank after a failure (how the flat policies always ran). */
const PLAIN: Partial<BootTuning> = { rerankAfterFailure: false, healthPollMs: 1e9 };

/** "stall": the progress-based stall verdict (stallVerdict.ts); "flat": bootTimeoutSeconds only. */
export const POLICIES: Policy[] = [
  { name: "flat + price (old)", failover: "flat", rankBy: "price" },
  { name: "flat + balanced", failover: "flat", rankBy: "balanced", tuning: PLAIN },
  { name: "stall + price", failover: "stall", rankBy: "price" },
  { name: "stall + balanced (default)", failover: "stall", rankBy: "balanced", isDefault: true },
  { name: "stall + balanced + race 2", failover: "stall", rankBy: "balanced", race: 2 },
];

/** One knob of the default off at a time (run with --only). */
export const SWEEP: Policy[] = [
  { name: "sweep: no re-rank after failure", failover: "stall", rankBy: "balanced", tuning: { rerankAfterFailure: false } },
  { name: "sweep: /health only at status polls", failover: "stall", rankBy: "balanced", tuning: { healthPollMs: 1e9 } },
];

export interface DeployResult {
  ok: boolean;
  seconds: number;
  attempts: number;
  failedCost: number;
  /** Race losers (destroyed because the other contender was verified first). */
  raceCost: number;
  /** Attempts given up on a host whose fate was "ok" (it would have served): false failovers. */
  honest: number;
  leaked: number;
  reasons: string[];
}

export interface PolicySummary {
  policy: Policy;
  p50: number;
  p95: number;
  max: number;
  failedCost: number;
  raceCost: number;
  honest: number;
  failedDeploys: number;
  leaked: number;
  attempts: number;
}

export const BASE_OFFER: Offer = {
  id: 1, ask_contract_id: 1, machine_id: 1, host_id: 1, num_gpus: 1, gpu_name: "RTX 4090", gpu_ram: 24576, compute_cap: 890, cuda_max_good: 12.9,
  cpu_cores: 16, cpu_ram: 65536, disk_space: 200, inet_up: 500, inet_down: 500, direct_port_count: 10, static_ip: true, dph_base: 0.3, dph_total: 0.3,
  min_bid: 0.15, storage_cost: 0.1, dlperf: 40, reliability: 0.99, reliability2: 0.99, rentable: true, rented: false, verified: true, verification: "verified",
  external: false, geolocation: "Washington, US", public_ipaddr: "127.0.0.1",
} as unknown as Offer;

export function marketInputs(seed: number, policy: Policy): VastInstanceInputs {
  return {
    labelPrefix: "bench-market", stackName: "bench", resourceName: policy.failover + policy.rankBy, nonce: `s${seed}`, race: policy.race,
    selection: { filter: "compute_cap >= 750 gpu_ram >= 16 num_gpus = 1 static_ip = true direct_port_count >= 1 verified = true rentable = true", diskGb: 40, maxPricePerHour: 1, minReliability: 0.9, rankBy: policy.rankBy },
    image: "vastai/base-image:cuda-12.4.1-auto", env: { "-p 8000:8000": "1" }, secretEnv: {}, runtype: "args", onstart: null, args: [],
    containerPort: 8000, maxAttempts: 3, bootTimeoutSeconds: 900,
  };
}
