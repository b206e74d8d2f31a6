// Offer search and the market: docs/vast-api.md §2 and §8 (1, 3, 8, 11).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator/index.ts";
import { call, createBody, offers, start } from "./helpers.ts";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await start();
});
afterAll(() => emu.stop());

describe("the seeded market", () => {
  it("has at least 30 realistic offers", async () => {
    const all = await offers(emu, { limit: 1000 });
    expect(all.length).toBeGreaterThanOrEqual(30);
    const names = new Set(all.map((o) => o.gpu_name));
    for (const g of ["RTX 3060", "RTX 3090", "RTX 4070", "RTX 4080", "RTX 4090", "RTX A4000", "RTX A5000", "RTX A6000", "L4", "Tesla T4", "Tesla V100", "A100 SXM4", "H100 SXM"]) {
      expect(names, g).toContain(g);
    }
    expect(Math.min(...all.map((o) => o.num_gpus))).toBe(1);
    expect(Math.max(...all.map((o) => o.num_gpus))).toBe(8);
    expect(all.some((o) => o.cpu_cores === null)).toBe(true);
    // As on real Vast (reference §2): `verified` is null on every row, the tier is in `verification`.
    expect(all.every((o) => o.verified === null && o.external === null)).toBe(true);
    expect(all.some((o) => o.verification === "unverified")).toBe(true);
    expect(all.some((o) => o.static_ip === false)).toBe(true);
    expect(all.some((o) => o.direct_port_count === 0)).toBe(true);
    for (const o of all) {
      expect(o.id).toBe(o.ask_contract_id);
      expect(Number.isInteger(o.gpu_ram)).toBe(true);
      expect(o.gpu_ram).toBeGreaterThan(8000); // MB
      expect(o.compute_cap).toBeGreaterThanOrEqual(610);
      expect(o.compute_cap).toBeLessThanOrEqual(900);
      expect(o.dph_total).toBeGreaterThanOrEqual(0.08);
      expect(o.dph_total).toBeLessThanOrEqual(3.5);
      expect(o.reliability2).toBeGreaterThanOrEqual(0.8);
      expect(o.geolocation).toMatch(/(^|, )[A-Z]{2}$/);
      expect(o.public_ipaddr).toBe("127.0.0.1");
      for (const f of ["machine_id", "num_gpus", "cuda_max_good", "dlperf", "dlperf_per_dphtotal", "inet_down", "disk_space", "rentable", "rented"]) {
        expect(o, f).toHaveProperty(f);
      }
    }
  });
});

describe("POST /api/v0/bundles/", () => {
  it("works without a key, with and without the trailing slash, answering exactly application/json", async () => {
    for (const path of ["/api/v0/bundles/", "/api/v0/bundles"]) {
      const r = await call(emu, "POST", path, {}, { key: null });
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toBe("application/json");
      expect(Array.isArray(r.body.offers)).toBe(true);
    }
  });

  it("compares the CLI's numeric strings numerically and its floats for MB fields", async () => {
    // What `vastai search offers 'compute_cap >= 750 gpu_ram >= 16 num_gpus=1 ...'` sends.
    const q = {
      compute_cap: { gte: "750" },
      gpu_ram: { gte: 16000.0 },
      num_gpus: { eq: "1" },
      static_ip: { eq: true },
      direct_port_count: { gte: "1" },
      reliability: { gt: "0.98" },
      cuda_max_good: { gte: "12.1" },
      dph_total: { lte: "0.5" },
      verified: { eq: true },
      external: { eq: false },
      rentable: { eq: true },
      rented: { eq: false },
      order: [["score", "desc"]],
      type: "on-demand",
      allocated_storage: 5.0,
    };
    const rows = await offers(emu, q);
    expect(rows.length).toBeGreaterThan(0);
    for (const o of rows) {
      expect(o.compute_cap).toBeGreaterThanOrEqual(750);
      expect(o.gpu_ram).toBeGreaterThanOrEqual(16000);
      expect(o.num_gpus).toBe(1);
      expect(o.static_ip).toBe(true);
      expect(o.reliability).toBeGreaterThan(0.98);
      expect(o.dph_total).toBeLessThanOrEqual(0.5);
      expect(o.verification).toBe("verified"); // the server filters `verified` on the tier
      expect(o.verified).toBeNull();
    }
    const scores = rows.map((o) => o.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it("supports in/notin, including 2-letter country codes on geolocation", async () => {
    const rows = await offers(emu, { gpu_name: { in: ["RTX 4090", "RTX 3090"] }, geolocation: { notin: ["CN", "VN"] }, limit: 100 });
    expect(rows.length).toBeGreaterThan(2);
    for (const o of rows) {
      expect(["RTX 4090", "RTX 3090"]).toContain(o.gpu_name);
      expect(o.geolocation).not.toMatch(/(CN|VN)$/);
    }
    const us = await offers(emu, { geolocation: { in: ["US"] }, limit: 100 });
    expect(us.length).toBeGreaterThan(3);
    expect(us.every((o) => o.geolocation.endsWith("US"))).toBe(true);
    const neq = await offers(emu, { gpu_name: { neq: "RTX 4090" }, cpu_cores: { eq: null }, limit: 100 });
    expect(neq.length).toBeGreaterThan(0);
    expect(neq.every((o) => o.gpu_name !== "RTX 4090" && o.cpu_cores === null)).toBe(true);
  });

  it("orders, limits, and orders by score desc by default", async () => {
    const asc = await offers(emu, { order: [["dph_total", "asc"]], limit: 5 });
    expect(asc).toHaveLength(5);
    const prices = asc.map((o) => o.dph_total);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
    const desc = await offers(emu, { order: [["gpu_ram", "desc"], ["dph_total", "asc"]], limit: 3 });
    expect(desc[0].gpu_ram).toBeGreaterThanOrEqual(desc[2].gpu_ram);
    const byDefault = (await offers(emu, { limit: 100 })).map((o) => o.score);
    expect(byDefault).toEqual([...byDefault].sort((a, b) => b - a));
  });

  it("prices interruptible (bid) searches from min_bid", async () => {
    const [od] = await offers(emu, { id: { eq: 27310400 }, type: "ondemand", allocated_storage: 0 });
    const [bid] = await offers(emu, { id: { eq: 27310400 }, type: "bid", allocated_storage: 0 });
    expect(od.dph_total).toBeCloseTo(od.dph_base, 6);
    expect(bid.dph_total).toBeCloseTo(bid.min_bid, 6);
    expect(bid.dph_total).toBeLessThan(od.dph_total);
    expect(bid.is_bid).toBe(true);
    const [withDisk] = await offers(emu, { id: { eq: 27310400 }, allocated_storage: 100 });
    expect(withDisk.dph_total).toBeGreaterThan(od.dph_total); // storage is part of dph_total
  });

  it("rejects unknown operators with 400", async () => {
    const r = await call(emu, "POST", "/api/v0/bundles/", { gpu_ram: { between: [1, 2] } }, { key: null });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ success: false, error: "invalid_request" });
  });
});

describe("legacy searches", () => {
  it("GET /api/v0/bundles?q=<json> and PUT /api/v0/search/asks/ answer like POST", async () => {
    const q = { gpu_name: { eq: "RTX 4090" }, order: [["dph_total", "asc"]] };
    const viaPost = await offers(emu, q);
    const get = await call(emu, "GET", `/api/v0/bundles?q=${encodeURIComponent(JSON.stringify(q))}`, undefined, { key: null });
    expect(get.status).toBe(200);
    expect(get.headers.get("content-type")).toBe("application/json");
    expect(get.body.offers.map((o: { id: number }) => o.id)).toEqual(viaPost.map((o) => o.id));
    const put = await call(emu, "PUT", "/api/v0/search/asks/", { select_cols: ["*"], q }, { key: null });
    expect(put.body.offers.map((o: { id: number }) => o.id)).toEqual(viaPost.map((o) => o.id));
  });
});

describe("renting", () => {
  it("a rented offer leaves the market; a second create on it is 410 no_such_ask; destroy relists the machine", async () => {
    const [o] = await offers(emu, { gpu_name: { eq: "Tesla T4" }, num_gpus: { eq: 1 } });
    const r1 = await call(emu, "PUT", `/api/v0/asks/${o.id}/`, createBody({ image: "vastai/base-image:@vastai-automatic-tag", runtype: "ssh", args: null }));
    expect(r1.body.success).toBe(true);
    const after = await offers(emu, { limit: 1000 });
    expect(after.map((x) => x.id)).not.toContain(o.id);
    const r2 = await call(emu, "PUT", `/api/v0/asks/${o.id}/`, createBody());
    expect(r2.status).toBe(410); // recorded: renting the same ask twice
    expect(r2.body).toMatchObject({ success: false, error: "no_such_ask", ask_id: o.id });
    await call(emu, "DELETE", `/api/v0/instances/${r1.body.new_contract}/`, {});
    const relisted = await offers(emu, { machine_id: { eq: o.machine_id }, limit: 10 });
    expect(relisted.some((x) => x.id !== o.id && x.gpu_name === "Tesla T4")).toBe(true);
  });

  it("the market can be replaced at run time through the admin API", async () => {
    const mine = [{ id: 42, machine_id: 7, gpu_name: "RTX 4090", num_gpus: 1, dph_base: 0.3, geolocation: "Iceland, IS" }];
    const r = await call(emu, "POST", "/_emulator/market", mine, { key: null });
    expect(r.body).toEqual({ success: true, offers: 1 });
    const rows = await offers(emu);
    expect(rows.map((o) => o.id)).toEqual([42]);
    expect(rows[0]).toMatchObject({ ask_contract_id: 42, machine_id: 7, rentable: true, rented: false });
    await emu.reset(); // back to the seeded file
    expect((await offers(emu, { limit: 1000 })).length).toBeGreaterThanOrEqual(30);
  });
});
