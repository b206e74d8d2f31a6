import { describe, expect, it } from "vitest";
import {
  buildOfferQuery,
  FilterSyntaxError,
  parseFilter,
  type OfferSelection,
} from "../../components/vast/offers/offerQuery.ts";
import { validateOfferSelection } from "../../components/vast/offers/offerValidation.ts";

const GUIDE =
  "compute_cap >= 750 gpu_ram >= 16 num_gpus = 1 static_ip = true direct_port_count >= 1 verified = true rentable = true";

const DEFAULTS = { verified: { eq: true }, external: { eq: false }, rentable: { eq: true }, rented: { eq: false } };

function syntaxError(filter: string): FilterSyntaxError {
  try {
    parseFilter(filter);
  } catch (e) {
    expect(e).toBeInstanceOf(FilterSyntaxError);
    return e as FilterSyntaxError;
  }
  throw new Error(`no error for ${JSON.stringify(filter)}`);
}

describe("parseFilter: CLI semantics", () => {
  it("parses the guide's filter string verbatim", () => {
    expect(parseFilter(GUIDE)).toStrictEqual({
      compute_cap: { gte: "750" },
      gpu_ram: { gte: 16000 },
      num_gpus: { eq: "1" },
      static_ip: { eq: true },
      direct_port_count: { gte: "1" },
      verified: { eq: true },
      rentable: { eq: true },
    });
  });

  it("parses the reference's long example", () => {
    const q = parseFilter(
      "compute_cap >= 750 gpu_ram >= 16 num_gpus=1 static_ip=true direct_port_count>=1 reliability>0.98 " +
        "gpu_name in [RTX_4090,RTX_3090] geolocation notin [CN,VN] cpu_ram>=32 duration>=1 cuda_vers>=12.1 dph<=0.5",
    );
    expect(q).toStrictEqual({
      compute_cap: { gte: "750" },
      gpu_ram: { gte: 16000 },
      num_gpus: { eq: "1" },
      static_ip: { eq: true },
      direct_port_count: { gte: "1" },
      reliability: { gt: "0.98" },
      gpu_name: { in: ["RTX 4090", "RTX 3090"] },
      geolocation: { notin: ["CN", "VN"] },
      cpu_ram: { gte: 32000 },
      duration: { gte: 86400 },
      cuda_max_good: { gte: "12.1" },
      dph_total: { lte: "0.5" },
    });
  });

  it("maps every operator spelling", () => {
    expect(parseFilter("a==1 b!=2 c<3 d<=4 e>5 f gte 6 g lt 7 h neq 8 i noteq 9 j not eq 10")).toStrictEqual({
      a: { eq: "1" }, b: { neq: "2" }, c: { lt: "3" }, d: { lte: "4" }, e: { gt: "5" }, f: { gte: "6" },
      g: { lt: "7" }, h: { neq: "8" }, i: { neq: "9" }, j: { neq: "10" },
    });
    expect(parseFilter("a nin [1,2] b not in [3] c notin 4,5 d in x")).toStrictEqual({
      a: { notin: ["1", "2"] }, b: { notin: ["3"] }, c: { notin: ["4", "5"] }, d: { in: ["x"] },
    });
  });

  it("converts units as floats: GB to MB, days to seconds, fractions kept", () => {
    expect(parseFilter("gpu_ram>=0.5 gpu_total_ram<=80 cpu_ram>=\"64.0\" duration>2.5")).toStrictEqual({
      gpu_ram: { gte: 500 }, gpu_total_ram: { lte: 80000 }, cpu_ram: { gte: 64000 }, duration: { gt: 216000 },
    });
  });

  it("turns true/false/None/null into JSON values, other case stays a string", () => {
    expect(parseFilter("a=true b=True c=false d=False e=None f=null g=TRUE")).toStrictEqual({
      a: { eq: true }, b: { eq: true }, c: { eq: false }, d: { eq: false }, e: { eq: null }, f: { eq: null }, g: { eq: "TRUE" },
    });
  });

  it("replaces underscores with spaces and strips double quotes, in values and list items", () => {
    expect(parseFilter('gpu_name=RTX_4090')).toStrictEqual({ gpu_name: { eq: "RTX 4090" } });
    expect(parseFilter('gpu_name = "RTX 4090" num_gpus=1')).toStrictEqual({ gpu_name: { eq: "RTX 4090" }, num_gpus: { eq: "1" } });
    expect(parseFilter("gpu_name in [RTX 4090, A100_SXM4]")).toStrictEqual({ gpu_name: { in: ["RTX 4090", "A100 SXM4"] } });
    expect(parseFilter('gpu_name notin ["H100_PCIE",RTX_3090]')).toStrictEqual({ gpu_name: { notin: ["H100 PCIE", "RTX 3090"] } });
  });

  it("applies aliases and merges ops on one field", () => {
    expect(parseFilter("cuda_vers>=12.0 cuda_vers<14.0 dlperf_usd>10 flops_usd>1 display_active=false")).toStrictEqual({
      cuda_max_good: { gte: "12.0", lt: "14.0" },
      dlperf_per_dphtotal: { gt: "10" },
      flops_per_dphtotal: { gt: "1" },
      gpu_display_active: { eq: false },
    });
    // reliability is not aliased (the CLI comments that alias out)
    expect(parseFilter("reliability > 0.99")).toStrictEqual({ reliability: { gt: "0.99" } });
    // a later term with the same op overwrites
    expect(parseFilter("gpu_ram>=16 gpu_ram>=24")).toStrictEqual({ gpu_ram: { gte: 24000 } });
  });

  it("converts dotted driver versions to zero-padded ints", () => {
    expect(parseFilter("driver_version >= 535.86.05")).toStrictEqual({ driver_version: { gte: 535086005 } });
    expect(parseFilter("driver_version>=535.129.3")).toStrictEqual({ driver_version: { gte: 535129003 } });
    expect(syntaxError("driver_version >= 535.86").message).toMatch(/535\.86\.05/);
  });

  it("marks any/*/? as field removal, and a later term sets the field again", () => {
    expect(parseFilter("verified=any rented=* external=?")).toStrictEqual({ verified: {}, rented: {}, external: {} });
    expect(parseFilter("gpu_ram>=16 gpu_ram=any")).toStrictEqual({ gpu_ram: {} });
    expect(parseFilter("verified=any verified=false")).toStrictEqual({ verified: { eq: false } });
    expect(syntaxError("verified >= any").message).toMatch(/only work with =/);
  });

  it("treats Object.prototype member names as plain fields", () => {
    const q = parseFilter("constructor = 1 toString >= 5 hasOwnProperty in [a]");
    expect(Object.keys(q)).toStrictEqual(["constructor", "toString", "hasOwnProperty"]);
    expect(q.constructor).toStrictEqual({ eq: "1" });
    expect(q.toString).toStrictEqual({ gte: "5" });
    expect(({} as Record<string, unknown>).eq).toBeUndefined(); // nothing leaked onto the prototype
  });

  it("accepts empty, padded and multi-line strings", () => {
    expect(parseFilter("")).toStrictEqual({});
    expect(parseFilter("   ")).toStrictEqual({});
    expect(parseFilter("  num_gpus = 1\n  gpu_ram >= 16\t")).toStrictEqual({ num_gpus: { eq: "1" }, gpu_ram: { gte: 16000 } });
  });
});

describe("parseFilter: malformed input names the token", () => {
  it.each([
    ["gpu_ram>>16", "gpu_ram>>16", /unknown operator ">>"/],
    ["num_gpus = 1 gpu_ram =>16", "gpu_ram =>16", /unknown operator "=>"/],
    ["gpu_ram >=", "gpu_ram >=", /missing value/],
    ["gpu_ram 16", "gpu_ram 16", /missing operator/],
    ["num_gpus=1 static_ip", "static_ip", /missing operator and value/],
    ["gpu_name in [RTX_4090,RTX_3090", "gpu_name in [RTX_4090,RTX_3090", /unbalanced brackets/],
    ["gpu_name in RTX_4090]", "gpu_name in RTX_4090]", /unbalanced brackets/],
    ["gpu_name in []", "gpu_name in []", /empty list/],
    ['gpu_name = "RTX 4090', 'gpu_name = "RTX', /unbalanced double quote/],
    ["gpu_name = 'RTX 4090'", "gpu_name = 'RTX", /only double quotes/],
    [">= 16", ">=", /must start with a field name/],
    ["num_gpus=1 = 2", "=", /must start with a field name/],
    ["gpu_ram >= lots", "gpu_ram >= lots", /gpu_ram takes a number/],
    ["gpu_ram in [16,24]", "gpu_ram in [16,24]", /not a list/],
    ["__proto__ = 1", "__proto__ = 1", /reserved/],
  ])("%j", (filter, token, reason) => {
    const e = syntaxError(filter);
    expect(e.token).toBe(token);
    expect(e.message).toMatch(reason);
    expect(e.message).toContain(`bad filter token ${JSON.stringify(token)}`);
    expect(e.message).toContain("expected <field> <op> <value> with op one of = != > >= < <= in notin");
  });
});

const base: OfferSelection = { diskGb: 40 };

describe("buildOfferQuery", () => {
  it("adds the CLI defaults and the search options to the guide's filter", () => {
    expect(buildOfferQuery({ ...base, filter: GUIDE })).toStrictEqual({
      ...DEFAULTS,
      compute_cap: { gte: "750" },
      gpu_ram: { gte: 16000 },
      num_gpus: { eq: "1" },
      static_ip: { eq: true },
      direct_port_count: { gte: "1" },
      disk_space: { gte: 40 },
      order: [["dph_total", "asc"]],
      type: "on-demand",
      limit: 64,
      allocated_storage: 40,
    });
  });

  it("drops a default with =any and merges into a default otherwise", () => {
    const q = buildOfferQuery({ ...base, filter: "verified=any rented != true" });
    expect(q.verified).toBeUndefined();
    expect(q.rented).toStrictEqual({ eq: false, neq: true });
    expect(q.external).toStrictEqual({ eq: false });
    // removed then set again: only the new ops, not the default's
    expect(buildOfferQuery({ ...base, filter: "verified=any verified != false" }).verified).toStrictEqual({ neq: false });
  });

  it("maps typed fields onto the API fields", () => {
    const q = buildOfferQuery({
      diskGb: 60, gpuRamGb: 24, gpuNames: ["RTX 4090", "RTX_3090"], minReliability: 0.98, maxPricePerHour: 0.5,
      minCudaVersion: 12.1, regions: ["us", "PL"], offerType: "interruptible", bidPricePerHour: 0.3,
      rankBy: "dlperf_per_dollar", limit: 10,
    }, [7, 9]);
    expect(q).toStrictEqual({
      ...DEFAULTS,
      gpu_ram: { gte: 24000 },
      gpu_name: { in: ["RTX 4090", "RTX 3090"] },
      reliability2: { gte: 0.98 },
      dph_total: { lte: 0.5 },
      cuda_max_good: { gte: 12.1 },
      geolocation: { in: ["US", "PL"] },
      min_bid: { lte: 0.3 },
      disk_space: { gte: 60 },
      machine_id: { notin: [7, 9] },
      order: [["dlperf_per_dphtotal", "desc"]],
      type: "bid",
      limit: 10,
      allocated_storage: 60,
    });
  });

  it("keeps the stricter bound when the filter and a typed field set the same field and op", () => {
    const loose = buildOfferQuery({
      ...base, filter: "gpu_ram>=8 dph<=2 cuda_vers>=11.8 disk_space>=20 reliability2>=0.5",
      gpuRamGb: 16, maxPricePerHour: 0.5, minCudaVersion: 12.1, minReliability: 0.9,
    });
    expect(loose).toMatchObject({
      gpu_ram: { gte: 16000 }, dph_total: { lte: 0.5 }, cuda_max_good: { gte: 12.1 }, disk_space: { gte: 40 }, reliability2: { gte: 0.9 },
    });
    const strict = buildOfferQuery({
      ...base, filter: "gpu_ram>=48 dph<=0.2 cuda_vers>=12.4 disk_space>=100 reliability2>=0.99",
      gpuRamGb: 16, maxPricePerHour: 0.5, minCudaVersion: 12.1, minReliability: 0.9,
    });
    expect(strict).toMatchObject({
      gpu_ram: { gte: 48000 }, dph_total: { lte: "0.2" }, cuda_max_good: { gte: "12.4" }, disk_space: { gte: "100" }, reliability2: { gte: "0.99" },
    });
  });

  it("intersects in-lists, unions notin-lists, and keeps different ops side by side", () => {
    const q = buildOfferQuery({
      ...base, filter: "gpu_name in [RTX_4090,RTX_3090,A100_PCIE] geolocation in [US,CA] machine_id notin [1,2] dph<0.6",
      gpuNames: ["RTX_3090", "RTX 4090", "L40S"], regions: ["CA", "DE"], maxPricePerHour: 0.5,
    }, [2, 3]);
    expect(q.gpu_name).toStrictEqual({ in: ["RTX 4090", "RTX 3090"] });
    expect(q.geolocation).toStrictEqual({ in: ["CA"] });
    expect(q.machine_id).toStrictEqual({ notin: ["1", "2", 3] });
    expect(q.dph_total).toStrictEqual({ lt: "0.6", lte: 0.5 });
  });

  it("lets search options win over same-named filter terms, as the CLI does", () => {
    const q = buildOfferQuery({ ...base, filter: "type=bid limit=3 num_gpus=1" });
    expect(q.type).toBe("on-demand");
    expect(q.limit).toBe(64);
    expect(q.num_gpus).toStrictEqual({ eq: "1" });
  });

  it("throws FilterSyntaxError on a bad filter", () => {
    expect(() => buildOfferQuery({ ...base, filter: "gpu_ram>>16" })).toThrow(FilterSyntaxError);
  });
});

describe("validateOfferSelection", () => {
  const props = (sel: OfferSelection): string[] => validateOfferSelection(sel).map((e) => e.property);
  const reasons = (sel: OfferSelection): string => validateOfferSelection(sel).map((e) => e.reason).join("\n");

  it("accepts the guide's setup and a full typed config", () => {
    expect(validateOfferSelection({ filter: GUIDE, diskGb: 40 })).toStrictEqual([]);
    expect(validateOfferSelection({
      filter: GUIDE, diskGb: 40, gpuRamGb: 16, gpuNames: ["RTX 4090"], minReliability: 0.95, maxPricePerHour: 0.5,
      minCudaVersion: 12.1, regions: ["US", "pl"], offerType: "interruptible", bidPricePerHour: 0.2, rankBy: "dlperf_per_dollar", limit: 20,
    })).toStrictEqual([]);
  });

  it("reports filter syntax errors with the token", () => {
    const errs = validateOfferSelection({ filter: "num_gpus = 1 gpu_ram>>16", diskGb: 40 });
    expect(errs).toHaveLength(1);
    expect(errs[0]!.property).toBe("filter");
    expect(errs[0]!.reason).toContain('"gpu_ram>>16"');
  });

  it("flags near-miss field names but accepts unknown far ones", () => {
    expect(reasons({ filter: "gpu_rma >= 16", diskGb: 40 })).toMatch(/unknown field "gpu_rma": did you mean "gpu_ram"/);
    expect(reasons({ filter: "num_gpu = 1", diskGb: 40 })).toMatch(/did you mean "num_gpus"/);
    expect(validateOfferSelection({ filter: "some_future_column = 3 reliability2 > 0.9 cuda_vers >= 12", diskGb: 40 })).toStrictEqual([]);
  });

  it("catches unit mistakes in the filter", () => {
    expect(reasons({ filter: "gpu_ram >= 16000", diskGb: 40 })).toMatch(/16000 GB per GPU.*takes GB/);
    expect(reasons({ filter: "compute_cap >= 7.5", diskGb: 40 })).toMatch(/compute_cap >= 750/);
    expect(reasons({ filter: "reliability > 98", diskGb: 40 })).toMatch(/0\.\.1 score/);
    expect(reasons({ filter: "type = bid", diskGb: 40 })).toMatch(/search option.*offerType/);
  });

  it("names each bad typed key with a fix", () => {
    const cases: Array<[OfferSelection, string, RegExp]> = [
      [{ diskGb: 40, gpuRamGb: 24000 }, "gpuRamGb", /looks like MB.*write 24/],
      [{ diskGb: 40, gpuRamGb: 0 }, "gpuRamGb", /positive/],
      [{ diskGb: 40, gpuNames: [] }, "gpuNames", /non-empty list/],
      [{ diskGb: 40, filter: "gpu_name in [A100_PCIE]", gpuNames: ["RTX 4090"] }, "gpuNames", /no GPU in common/],
      [{ diskGb: 40, minReliability: 98 }, "minReliability", /0\.98 for 98%/],
      [{ diskGb: 40, minReliability: -0.1 }, "minReliability", /within 0\.\.1/],
      [{ diskGb: 40, maxPricePerHour: -1 }, "maxPricePerHour", /must be > 0 \(got -1\): set a positive \$\/h cap, e\.g\. 0\.5/],
      [{ diskGb: 40, maxPricePerHour: 0 }, "maxPricePerHour", /must be > 0/],
      [{ diskGb: 40, minCudaVersion: 121 }, "minCudaVersion", /like 12\.1/],
      [{ diskGb: 40, regions: ["USA"] }, "regions", /2-letter country codes \(got "USA"\)/],
      [{ diskGb: 40, filter: "geolocation in [US]", regions: ["PL"] }, "regions", /no country in common/],
      [{ diskGb: 40, offerType: "spot" as "interruptible" }, "offerType", /"on-demand" or "interruptible"/],
      [{ diskGb: 40, bidPricePerHour: 0.2 }, "bidPricePerHour", /only applies to interruptible/],
      [{ diskGb: 40, offerType: "interruptible", bidPricePerHour: 0 }, "bidPricePerHour", /between 0\.001 and 128/],
      [{ diskGb: 40, offerType: "interruptible", bidPricePerHour: 0.6, maxPricePerHour: 0.5 }, "bidPricePerHour", /above maxPricePerHour/],
      [{ diskGb: 4 }, "diskGb", /at least 8 GB/],
      [{ diskGb: Number.NaN }, "diskGb", /at least 8 GB/],
      [{ diskGb: 40, rankBy: "score" as "price" }, "rankBy", /one of "balanced", "speed", "price", "dlperf_per_dollar"/],
      [{ diskGb: 40, limit: 0 }, "limit", /between 1 and 10000/],
    ];
    for (const [sel, property, reason] of cases) {
      const errs = validateOfferSelection(sel);
      expect(errs.map((e) => e.property), JSON.stringify(sel)).toStrictEqual([property]);
      expect(errs[0]!.reason).toMatch(reason);
    }
  });

  it("reports several problems at once", () => {
    expect(props({ diskGb: 2, maxPricePerHour: -1, filter: "gpu_ram >=" })).toStrictEqual(["filter", "maxPricePerHour", "diskGb"]);
  });
});
