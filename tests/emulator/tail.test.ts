// The tailed market model: seeded, reproducible, shares as configured, phases as planned.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator/index.ts";
import { bootPlan, checkTail, DEFAULT_TAIL, hostFate, tailedMarket } from "../../emulator/tail.ts";
import type { RunningEmulator } from "../../emulator/types.ts";
import type { Offer } from "../../components/vast/api/types.ts";
import { smallMarket } from "../provider/harness.ts";

describe("tail model (pure)", () => {
  const m = checkTail({ seed: 7 });
  it("is reproducible per seed and differs across seeds", () => {
    const a = Array.from({ length: 200 }, (_, i) => hostFate(m, i).kind);
    expect(Array.from({ length: 200 }, (_, i) => hostFate(checkTail({ seed: 7 }), i).kind)).toStrictEqual(a);
    expect(Array.from({ length: 200 }, (_, i) => hostFate(checkTail({ seed: 8 }), i).kind)).not.toStrictEqual(a);
  });
  it("hands out the configured shares (± sampling) and 5–10x slow factors", () => {
    const fates = Array.from({ length: 4000 }, (_, i) => hostFate(m, i));
    const share = (k: string) => fates.filter((f) => f.kind === k).length / fates.length;
    expect(share("stall_loading")).toBeCloseTo(DEFAULT_TAIL.stallLoading, 1);
    expect(share("never_serve")).toBeCloseTo(DEFAULT_TAIL.neverServe, 1);
    expect(share("slow")).toBeCloseTo(DEFAULT_TAIL.slow, 1);
    for (const f of fates.filter((x) => x.kind === "slow")) expect(f.factor >= 5 && f.factor <= 10).toBe(true);
  });
  it("derives the pull from inet_down: a 10x faster link pulls ~10x faster (same jitter draw)", () => {
    const honest = checkTail({ seed: 3, stallLoading: 0, neverServe: 0, slow: 0, jitter: 0 });
    const slowNet = bootPlan(honest, { machine_id: 1, inet_down: 100, disk_bw: 1e9 }, 1).loadingMs;
    const fastNet = bootPlan(honest, { machine_id: 1, inet_down: 1000, disk_bw: 1e9 }, 1).loadingMs;
    expect(slowNet).toBe(800_000); // 10 GB at 12.5 MB/s
    expect(fastNet).toBe(80_000);
  });
  it("refuses bad models", () => {
    expect(() => checkTail({ stallLoading: 0.6, neverServe: 0.6 })).toThrow(/sum to <= 1/);
    expect(() => checkTail({ slowFactor: [10, 5] })).toThrow(/slowFactor/);
    expect(() => checkTail({ timeScale: -1 })).toThrow(/timeScale/);
  });
  it("tailedMarket is seeded", () => {
    const base = smallMarket()[0];
    expect(tailedMarket(base, 1)).toStrictEqual(tailedMarket(base, 1));
    expect(tailedMarket(base, 1).map((o: Offer) => o.inet_down)).not.toStrictEqual(tailedMarket(base, 2).map((o: Offer) => o.inet_down));
  });
});

describe("tail model in the emulator", () => {
  let emu: RunningEmulator;
  beforeAll(async () => { emu = await startEmulator({ pendingMs: 10, createdMs: 30, loadingMs: 80, tail: { seed: 1, timeScale: 1 / 1000, stallLoading: 1, neverServe: 0, slow: 0 } }); });
  afterAll(async () => { await emu?.stop(); });

  it("a stalling host stays in loading; with the tail off it boots", async () => {
    emu.replaceMarket(smallMarket());
    const rent = async (offer: number) => {
      const r = await fetch(`${emu.url}/api/v0/asks/${offer}/`, { method: "PUT", headers: { Authorization: `Bearer ${emu.apiKey}`, "Content-Type": "application/json" }, body: JSON.stringify({ client_id: "me", image: "vastai/base-image:cuda-12.4.1-auto", env: { "-p 8000:8000": "1" }, disk: 10, runtype: "args", label: null, onstart: null, args: [], price: null, image_login: null }) });
      return ((await r.json()) as { new_contract: number }).new_contract;
    };
    const stalled = await rent(9000);
    emu.setTail(null);
    const fine = await rent(9001);
    await new Promise((r) => setTimeout(r, 1_500));
    const byId = new Map(emu.instances().map((i) => [i.id, i]));
    expect(byId.get(stalled)?.actual_status).toBe("loading");
    expect(byId.get(stalled)?._emulator.tail?.fate).toBe("stall_loading");
    expect(byId.get(fine)?.actual_status).toBe("running");
    expect(byId.get(fine)?._emulator.tail).toBeNull();
  });
});
