// Shared setup of provider tests: an emulator with fast timings and a provider configured for it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startEmulator } from "../../emulator/index.ts";
import type { RunningEmulator } from "../../emulator/types.ts";
import { VastInstanceProvider } from "../../components/vast/instance/instanceProvider.ts";
import type { VastConfiguredProvider } from "../../components/vast/api/credentials.ts";
import type { VastInstanceInputs } from "../../components/vast/instance/instanceLogic.ts";
import type { Offer } from "../../components/vast/api/types.ts";
import { afterAll, afterEach, beforeAll, beforeEach, vi } from "vitest";

export const ROOT = join(import.meta.dirname, "../..");

// Fast polls for tests (the provider reads them at run time).
process.env.VAST_TEST_POLL_FLOOR_MS = "50";
process.env.VAST_TEST_POLL_CAP_MS = "100";
process.env.VAST_TEST_BACKOFF_MS = "20";

export async function fastEmulator(): Promise<RunningEmulator> {
  return startEmulator({ pendingMs: 30, createdMs: 30, loadingMs: 80, modelLoadMs: 50, readLagMs: 0, lingerDeletedMs: 0 });
}

/** Configures any Vast provider the way the host does, with stack config pointing at the emulator. */
export async function configuredFor<P extends VastConfiguredProvider>(p: P, emu: RunningEmulator, key = emu.apiKey): Promise<P> {
  const values: Record<string, string> = { "vast:apiKey": key, "vast:apiUrl": emu.url };
  await p.configure({ config: { get: (k: string) => values[k], require: (k: string) => values[k] } as never });
  return p;
}

export async function configuredProvider(emu: RunningEmulator, key = emu.apiKey): Promise<VastInstanceProvider> {
  return configuredFor(new VastInstanceProvider(), emu, key);
}

/** A small deterministic market: four single-GPU offers on four machines, cheapest first. */
export function smallMarket(): Offer[] {
  const all = JSON.parse(readFileSync(join(ROOT, "emulator/market.json"), "utf8")) as Offer[] | { offers: Offer[] };
  const base = (Array.isArray(all) ? all : all.offers).find((o) => o.num_gpus === 1 && o.gpu_ram >= 16000 && o.compute_cap >= 750) as Offer;
  return [0, 1, 2, 3].map((i) => ({
    ...base, id: 9000 + i, ask_contract_id: 9000 + i, machine_id: 700 + i, host_id: 800 + i, dph_total: 0.2 + i * 0.05, min_bid: 0.1,
    reliability: 0.99, reliability2: 0.99, verified: true, verification: "verified", rentable: true, rented: false, external: false,
    static_ip: true, direct_port_count: 10, cuda_max_good: 12.8, disk_space: 200, gpu_ram: 24576, compute_cap: 890, num_gpus: 1,
  }));
}

let seq = 0;
export function inputs(over: Partial<VastInstanceInputs> = {}): VastInstanceInputs {
  seq++;
  return {
    labelPrefix: "vast-reranker", stackName: "test", resourceName: `r${seq}`, nonce: `n${Date.now().toString(16)}${seq}`,
    selection: { filter: "compute_cap >= 750 gpu_ram >= 16 num_gpus = 1 static_ip = true direct_port_count >= 1 verified = true rentable = true", diskGb: 40, maxPricePerHour: 1, minReliability: 0.9 },
    // Not a vLLM image: the emulator runs the lifecycle without starting a model server.
    image: "vastai/base-image:cuda-12.4.1-auto", env: { "-p 8000:8000": "1" }, secretEnv: { VLLM_API_KEY: "k".repeat(64) },
    runtype: "args", onstart: null, args: ["--model", "BAAI/bge-reranker-base"], containerPort: 8000, maxAttempts: 3, bootTimeoutSeconds: 10,
    ...over,
  };
}

/** check() then create(), as the engine does. */
export async function checkedCreate(p: VastInstanceProvider, i: VastInstanceInputs) {
  const checked = await p.check({} as VastInstanceInputs, i);
  if (checked.failures?.length) throw new Error(JSON.stringify(checked.failures));
  return p.create(checked.inputs as VastInstanceInputs);
}

export function live(emu: RunningEmulator) {
  return emu.instances().filter((i) => !i._emulator.destroyed && !i._emulator.vanished);
}

export function rents(emu: RunningEmulator): number {
  return emu.requestLog().filter((e) => e.method === "PUT" && e.route.includes("/asks/")).length;
}

/**
 * A provider test file's emulator (fast boots, the small market restored before each test, faults
 * cleared after) and the provider's log lines (console.log), read through the returned getters.
 */
export function providerSuite() {
  let emu: RunningEmulator;
  let logs: string[] = [];
  beforeAll(async () => { emu = await fastEmulator(); });
  afterAll(async () => { await emu?.stop(); });
  beforeEach(async () => {
    await emu.reset();
    emu.replaceMarket(smallMarket()); // offers 9000..9003 on machines 700..703, cheapest first
    logs = [];
    vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => { logs.push(a.join(" ")); });
  });
  afterEach(() => { vi.restoreAllMocks(); emu.clearFaults(); });
  return {
    emu: () => emu,
    logs: () => logs,
    text: () => logs.join("\n"),
    onMachine: (m: number) => emu.instances().filter((i) => i.machine_id === m),
  };
}
