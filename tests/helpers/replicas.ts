// Replica tests' market (the cheapest offers share a machine, so distinct placement is visible) and
// their stack: the reranker stack with N replicas against a fresh emulator selling that market.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, createTestProject, type TestProject } from "./engine.ts";
import { FAST_BOOT, FAST_POLLS, STACK_SOURCES, localStackConfig } from "./stack.ts";
import { startEmulator } from "../../emulator/index.ts";
import type { RunningEmulator } from "../../emulator/types.ts";
import type { Offer } from "../../components/vast/api/types.ts";

/** One entry of the `replicas` stack output. */
export type Replica = { endpoint: string; instanceId: number; machineId: number; gpuName: string; pricePerHour: number };

/** The stack with `replicas` replicas, not yet deployed, on an emulator selling `market`. */
export async function replicaStack(stackName: string, replicas: number, market: Offer[] = sharedMachineMarket(), extra: Record<string, string> = {}): Promise<{ emu: RunningEmulator; p: TestProject }> {
  const emu = await startEmulator(FAST_BOOT);
  emu.replaceMarket(market);
  const p = await createTestProject({ sources: STACK_SOURCES, stackName, config: localStackConfig(emu, { replicas: String(replicas), ...extra }), env: FAST_POLLS });
  return { emu, p };
}

/** Six acceptable offers, cheapest first; the two cheapest are on the same machine (5001). */
export function sharedMachineMarket(): Offer[] {
  const all = JSON.parse(readFileSync(join(ROOT, "emulator/market.json"), "utf8")) as { offers: Offer[] };
  const base = all.offers.find((o) => o.num_gpus === 1 && o.gpu_ram >= 16000 && o.compute_cap >= 750) as Offer;
  const machines = [5001, 5001, 5002, 5003, 5004, 5005];
  return machines.map((m, i) => ({
    ...base, id: 9100 + i, ask_contract_id: 9100 + i, machine_id: m, host_id: m, dph_base: 0.2 + i * 0.01, dph_total: 0.2 + i * 0.01, min_bid: 0.1,
    reliability: 0.99, reliability2: 0.99, verified: true, verification: "verified", rentable: true, rented: false, external: false,
    static_ip: true, direct_port_count: 10, cuda_max_good: 13.0, disk_space: 200, gpu_ram: 24576, compute_cap: 890, num_gpus: 1,
  }));
}

