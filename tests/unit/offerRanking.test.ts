import { describe, expect, it } from "vitest";
import { buildOfferQuery, type OfferSelection } from "../../components/vast/offers/offerQuery.ts";
import { describeOffer, expectedTimeMs, offerMatchesQuery, rankAfterFailure, rankOffers } from "../../components/vast/offers/offerRanking.ts";
import type { Offer, OfferQuery } from "../../components/vast/api/types.ts";

const GUIDE =
  "compute_cap >= 750 gpu_ram >= 16 num_gpus = 1 static_ip = true direct_port_count >= 1 verified = true rentable = true";

function offer(id: number, over: Partial<Offer> = {}): Offer {
  return {
    id, ask_contract_id: id, machine_id: id * 10, host_id: id * 100, num_gpus: 1, gpu_name: "RTX 4090",
    gpu_ram: 24564, compute_cap: 890, cuda_max_good: 12.4, driver_version: "550.54.15", cpu_cores: 16, cpu_ram: 64000,
    disk_space: 200, inet_up: 500, inet_down: 900, direct_port_count: 10, static_ip: true, dph_total: 0.4, min_bid: 0.2,
    dlperf: 80, dlperf_per_dphtotal: 200, reliability: 0.99, reliability2: 0.99, rentable: true, rented: false,
    verification: "verified", external: false, geolocation: "Poland, PL", public_ipaddr: "1.2.3.4", hosting_type: 0,
    ...over,
  };
}

const ids = (os: Offer[]): number[] => os.map((o) => o.id);
const sel = (over: Partial<OfferSelection> = {}): OfferSelection => ({ filter: GUIDE, diskGb: 40, ...over });

describe("offerMatchesQuery", () => {
  const q = (filter: string): OfferQuery => buildOfferQuery({ filter, diskGb: 8 });

  it("compares numerically whether the filter value is a number or a numeric string", () => {
    expect(offerMatchesQuery(offer(1), q("compute_cap >= 750"))).toBe(true); // "750" vs 890
    expect(offerMatchesQuery(offer(1, { compute_cap: 700 }), q("compute_cap >= 750"))).toBe(false);
    expect(offerMatchesQuery(offer(1, { compute_cap: 1000 }), q("compute_cap >= 750"))).toBe(true); // not "1000" < "750"
    expect(offerMatchesQuery(offer(1), { num_gpus: { eq: "1" } })).toBe(true);
    expect(offerMatchesQuery(offer(1), { num_gpus: { eq: 1 } })).toBe(true);
    expect(offerMatchesQuery(offer(1), { gpu_ram: { gte: 24000 } })).toBe(true);
    expect(offerMatchesQuery(offer(1), q("gpu_ram >= 32"))).toBe(false);
    expect(offerMatchesQuery(offer(1), { dph_total: { lt: "0.4" } })).toBe(false);
    expect(offerMatchesQuery(offer(1), { dph_total: { lte: "0.4" } })).toBe(true);
  });

  it("handles booleans, null and derived fields", () => {
    expect(offerMatchesQuery(offer(1, { static_ip: false }), q("static_ip = true"))).toBe(false);
    expect(offerMatchesQuery(offer(1, { has_avx: 1 }), { has_avx: { eq: true } })).toBe(true);
    expect(offerMatchesQuery(offer(1, { cpu_cores: null }), { cpu_cores: { gte: "8" } })).toBe(false);
    expect(offerMatchesQuery(offer(1, { cpu_cores: null }), { cpu_cores: { eq: null } })).toBe(true);
    // `verified` is derived from `verification` when the row lacks it; `datacenter` from hosting_type
    expect(offerMatchesQuery(offer(1, { verification: "unverified" }), q(""))).toBe(false);
    expect(offerMatchesQuery(offer(1, { verification: "unverified" }), q("verified=any"))).toBe(true);
    expect(offerMatchesQuery(offer(1, { hosting_type: 1 }), q("datacenter = true"))).toBe(true);
    expect(offerMatchesQuery(offer(1), q("datacenter = true"))).toBe(false);
    // a column the row does not carry cannot be re-checked and is left to the server
    expect(offerMatchesQuery(offer(1), q("some_future_column = 3"))).toBe(true);
  });

  it("matches in/notin lists and gpu names with spaces", () => {
    expect(offerMatchesQuery(offer(1), q("gpu_name in [RTX_4090,RTX_3090]"))).toBe(true);
    expect(offerMatchesQuery(offer(1, { gpu_name: "A100 PCIE" }), q("gpu_name in [RTX_4090,RTX_3090]"))).toBe(false);
    expect(offerMatchesQuery(offer(1), q("gpu_name notin [RTX_4090]"))).toBe(false);
    expect(offerMatchesQuery(offer(1), q("num_gpus in [1,2]"))).toBe(true);
    expect(offerMatchesQuery(offer(1), { machine_id: { notin: [10] } })).toBe(false);
    expect(offerMatchesQuery(offer(1), { machine_id: { notin: ["10"] } })).toBe(false);
  });

  it("matches 2-letter country codes against the trailing code of geolocation", () => {
    expect(offerMatchesQuery(offer(1), q("geolocation in [US,PL]"))).toBe(true);
    expect(offerMatchesQuery(offer(1), q("geolocation notin [CN,PL]"))).toBe(false);
    expect(offerMatchesQuery(offer(1), q("geolocation = pl"))).toBe(true);
    expect(offerMatchesQuery(offer(1, { geolocation: "California, US" }), q("geolocation = PL"))).toBe(false);
    expect(offerMatchesQuery(offer(1), { geolocation: { eq: "Poland, PL" } })).toBe(true);
  });

  it("compares driver versions as the CLI's zero-padded ints", () => {
    expect(offerMatchesQuery(offer(1), q("driver_version >= 535.86.05"))).toBe(true);
    expect(offerMatchesQuery(offer(1), q("driver_version >= 555.42.2"))).toBe(false);
    expect(offerMatchesQuery(offer(1), { driver_version: { eq: "550.54.15" } })).toBe(true);
  });
});

describe("rankOffers", () => {
  it("ranks by cheapest dph_total by default; ties go to higher reliability2, then lower id", () => {
    const offers = [
      offer(5, { dph_total: 0.5 }),
      offer(4, { dph_total: 0.3, reliability2: 0.95 }),
      offer(3, { dph_total: 0.3, reliability2: 0.999 }),
      offer(2, { dph_total: 0.3, reliability2: 0.95 }),
      offer(1, { dph_total: 0.45 }),
    ];
    expect(ids(rankOffers(offers, sel()))).toStrictEqual([3, 2, 4, 1, 5]);
    expect(ids(rankOffers([...offers].reverse(), sel()))).toStrictEqual([3, 2, 4, 1, 5]); // input order does not matter
    expect(ids(offers)).toStrictEqual([5, 4, 3, 2, 1]); // input not mutated
  });

  it("ranks by dlperf per dollar when asked, then cheaper", () => {
    const offers = [
      offer(1, { dph_total: 0.2, dlperf_per_dphtotal: 150 }),
      offer(2, { dph_total: 0.6, dlperf_per_dphtotal: 300 }),
      offer(3, { dph_total: 0.5, dlperf_per_dphtotal: 300 }),
      offer(4, { dph_total: 0.1, dlperf_per_dphtotal: 90 }),
    ];
    expect(ids(rankOffers(offers, sel({ rankBy: "dlperf_per_dollar" })))).toStrictEqual([3, 2, 1, 4]);
  });

  it("drops rented, non-rentable and excluded machines", () => {
    const offers = [offer(1, { rented: true }), offer(2, { rentable: false }), offer(3), offer(4)];
    expect(ids(rankOffers(offers, sel()))).toStrictEqual([3, 4]);
    expect(ids(rankOffers(offers, sel(), [30]))).toStrictEqual([4]);
    // even with the defaults removed from the query, a rented offer cannot be rented again
    expect(ids(rankOffers(offers, sel({ filter: "rented=any rentable=any" })))).toStrictEqual([3, 4]);
  });

  it("re-checks filters the server should have applied", () => {
    const offers = [
      offer(1, { dph_total: 0.1, num_gpus: 2 }), // num_gpus = 1
      offer(2, { dph_total: 0.1, gpu_ram: 12288 }), // gpu_ram >= 16 (GB → 16000 MB)
      offer(3, { dph_total: 0.1, direct_port_count: 0 }),
      offer(4, { dph_total: 0.1, static_ip: false }),
      offer(5, { dph_total: 0.1, verification: "deverified" }),
      offer(6, { dph_total: 0.1, external: true }), // CLI default external = false
      offer(7, { dph_total: 0.1, disk_space: 20 }), // diskGb 40 is also a disk_space floor
      offer(8, { dph_total: 0.9 }),
    ];
    expect(ids(rankOffers(offers, sel()))).toStrictEqual([8]);
  });

  it("applies typed floors and caps", () => {
    const offers = [
      offer(1, { dph_total: 0.2, reliability2: 0.9 }),
      offer(2, { dph_total: 0.7 }),
      offer(3, { dph_total: 0.3, cuda_max_good: 11.8 }),
      offer(4, { dph_total: 0.35, gpu_name: "RTX 3090", geolocation: "Texas, US" }),
      offer(5, { dph_total: 0.4, geolocation: "China, CN" }),
      offer(6, { dph_total: 0.45 }),
    ];
    const s = sel({ minReliability: 0.95, maxPricePerHour: 0.5, minCudaVersion: 12.1, regions: ["PL", "US"], gpuNames: ["RTX_4090", "RTX_3090"] });
    expect(ids(rankOffers(offers, s))).toStrictEqual([4, 6]);
    expect(ids(rankOffers(offers, { ...s, gpuNames: ["RTX 4090"] }))).toStrictEqual([6]);
  });

  it("falls back to reliability when reliability2 is missing", () => {
    const a = offer(1, { reliability: 0.8 });
    delete (a as Partial<Offer>).reliability2;
    expect(ids(rankOffers([a, offer(2)], sel({ minReliability: 0.9 })))).toStrictEqual([2]);
  });

  it("prices interruptible offers at the bid, or at min_bid without one", () => {
    const offers = [
      offer(1, { dph_total: 0.5, min_bid: 0.25 }),
      offer(2, { dph_total: 0.2, min_bid: 0.15 }),
      offer(3, { dph_total: 0.3, min_bid: 0.1 }),
      offer(4, { dph_total: 0.3, min_bid: 0.45 }),
    ];
    const spot = sel({ offerType: "interruptible", maxPricePerHour: 0.4 });
    expect(ids(rankOffers(offers, spot))).toStrictEqual([3, 2]); // 1 fails dph_total, 4 min_bid; cheaper min_bid first
    expect(ids(rankOffers(offers, { ...spot, maxPricePerHour: 1 }))).toStrictEqual([3, 2, 1, 4]); // by min_bid
    // a fixed bid: min_bid above it cannot win; equal price → dph_total, then reliability
    expect(ids(rankOffers(offers, { ...spot, maxPricePerHour: 1, bidPricePerHour: 0.3 }))).toStrictEqual([2, 3, 1]);
  });

  it("handles an empty list and offers without prices deterministically", () => {
    expect(rankOffers([], sel())).toStrictEqual([]);
    const noPrice = offer(1, { dph_total: Number.NaN });
    expect(ids(rankOffers([noPrice, offer(2)], sel()))).toStrictEqual([2, 1]);
    expect(ids(rankOffers([offer(2), noPrice], sel()))).toStrictEqual([2, 1]);
  });
});

describe("describeOffer", () => {
  it("formats one progress line", () => {
    expect(describeOffer(offer(123, { dph_total: 0.42, reliability2: 0.991 }))).toBe(
      "offer 123 · 1x RTX 4090 24 GB · $0.42/h · reliability 0.991 · Poland, PL",
    );
    expect(describeOffer(offer(7, { num_gpus: 2, gpu_name: "A100 SXM4", gpu_ram: 81920, dph_total: 2.125, reliability2: 1, geolocation: "" }))).toBe(
      "offer 7 · 2x A100 SXM4 80 GB · $2.125/h · reliability 1.000 · unknown location",
    );
  });
});

describe("rankBy speed / balanced", () => {
  const fast = (id: number, over: Partial<Offer>) => offer(id, { reliability2: 0.99, reliability: 0.99, disk_bw: 2000, ...over } as Partial<Offer>);
  const offers = [
    fast(1, { dph_total: 0.2, inet_down: 100 }), // cheapest, slow link: ~15 min expected
    fast(2, { dph_total: 0.24, inet_down: 1000 }), // 20 % dearer, ~10x faster pull
    fast(3, { dph_total: 0.6, inet_down: 2000 }), // fastest, 3x the price
  ];
  it("price keeps cheapest first; speed puts the least expected time first", () => {
    expect(ids(rankOffers(offers, sel({ rankBy: "price" })))).toStrictEqual([1, 2, 3]);
    expect(ids(rankOffers(offers, sel({ rankBy: "speed" })))).toStrictEqual([3, 2, 1]);
  });
  it("balanced (and unset) weighs relative price and relative expected time equally", () => {
    expect(ids(rankOffers(offers, sel({ rankBy: "balanced" })))).toStrictEqual([2, 3, 1]);
    expect(ids(rankOffers(offers, sel({})))).toStrictEqual([2, 3, 1]);
  });
  it("a less reliable host is expected to take longer", () => {
    expect(expectedTimeMs(fast(9, { inet_down: 500, reliability2: 0.5 } as Partial<Offer>))).toBeCloseTo(2 * expectedTimeMs(fast(9, { inet_down: 500, reliability2: 1 } as Partial<Offer>)), 0);
  });
  it("after a failed attempt, balanced (and unset) re-rank the offers left for speed; an explicit choice stays", () => {
    const left = rankOffers(offers, sel({ rankBy: "balanced" }));
    expect(ids(rankAfterFailure(left, sel({ rankBy: "balanced" })))).toStrictEqual([3, 2, 1]);
    expect(ids(rankAfterFailure(left, sel({})))).toStrictEqual([3, 2, 1]);
    expect(ids(left)).toStrictEqual([2, 3, 1]); // not reordered in place
    const cheap = rankOffers(offers, sel({ rankBy: "price" }));
    expect(ids(rankAfterFailure(cheap, sel({ rankBy: "price" })))).toStrictEqual([1, 2, 3]);
    expect(ids(rankAfterFailure(cheap, sel({ rankBy: "dlperf_per_dollar" })))).toStrictEqual([1, 2, 3]);
  });
});
