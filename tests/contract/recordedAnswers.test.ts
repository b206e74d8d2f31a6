// Contract tests: answers recorded from the live Vast API (../shared/vast-recorded) go through the
// product's client and pure functions, each test stating what a user gets from it. The replay server
// answers exactly the recorded body; what the client asked is checked too.
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { destroyAndConfirm, rentOffer, searchOffers, showInstance, VastApiError, type VastClientOptions } from "../../components/vast/api/client.ts";
import type { Instance, Offer } from "../../components/vast/api/types.ts";
import { errorFrom } from "../../components/vast/api/http.ts";
import { hostPortOf, judgeBoot } from "../../components/vast/instance/bootVerdict.ts";
import { createRequest, outputsFrom, rentRefusal, type VastInstanceInputs } from "../../components/vast/instance/instanceLogic.ts";
import { buildOfferQuery, type OfferSelection } from "../../components/vast/offers/offerQuery.ts";
import { offerMatchesQuery, rankOffers } from "../../components/vast/offers/offerRanking.ts";
import { recorded, recordedFiles, recordedText, replay, type Replay } from "./recorded.ts";

const GUIDE_FILTER = "compute_cap >= 750 gpu_ram >= 16 num_gpus = 1 static_ip = true direct_port_count >= 1 verified = true rentable = true";
/** The stack's defaults (Pulumi.yaml) with the guide's filter. */
const GUIDE: OfferSelection = { filter: GUIDE_FILTER, diskGb: 40, minReliability: 0.95, maxPricePerHour: 1, minCudaVersion: 12.1 };

let server: Replay | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function replaying(...answers: Array<[number, string]>): Promise<VastClientOptions> {
  server = await replay(answers.map(([status, body]) => ({ status, body })));
  return { apiUrl: server.url, apiKey: "k".repeat(64), maxAttempts: 1, backoffMs: 1, pollFloorMs: 1 };
}

const inputs = (over: Partial<VastInstanceInputs> = {}): VastInstanceInputs => ({
  labelPrefix: "vast-reranker", stackName: "s", resourceName: "r", nonce: "n", selection: GUIDE, image: "vllm/vllm-openai:v0.30.0-cu129",
  env: { "-p 8000:8000": "1" }, secretEnv: { VLLM_API_KEY: "s".repeat(64) }, runtype: "args", onstart: null, args: ["--model", "m"],
  containerPort: 8000, maxAttempts: 3, bootTimeoutSeconds: 600, label: "lbl", ...over,
});

describe("renting (PUT /api/v0/asks/{id}/)", () => {
  it("a 200 with new_contract and instance_api_key is a rented instance; the instance key goes nowhere", async () => {
    const offer = recorded<Offer>("smanolloff-vcmi-gym__offer-relevant-fields.jsonc");
    const opts = await replaying([200, recordedText("smanolloff-vcmi-gym__create-instance-200.json")]);
    const out = await rentOffer(opts, offer.id, createRequest(inputs(), offer, "lbl"));
    expect(out).toEqual({ kind: "rented", instanceId: 33402296 });
    expect(server?.asked.map((a) => `${a.method} ${a.path}`)).toEqual(["PUT /api/v0/asks/32493628/"]);
  });

  it("a pending bid (success false with new_contract) is a contract to destroy, and its instance key is not echoed", async () => {
    const opts = await replaying([200, recordedText("unattributed-62581258046__create-bid-pending-success-false.json")]);
    const out = await rentOffer(opts, 1, createRequest(inputs({ selection: { ...GUIDE, offerType: "interruptible" } }), { id: 1, min_bid: 0.1 } as Offer, "lbl"));
    expect(out).toMatchObject({ kind: "refused_with_contract", instanceId: 44743274 });
    expect(JSON.stringify(out)).not.toContain("deadbeef");
    expect(out.kind === "refused_with_contract" && out.message).toMatch(/success false with contract 44743274/);
  });

  it("an instance key in an answer that becomes an error message is masked", () => {
    const key = "0123456789abcdef".repeat(4);
    const text = recordedText("smanolloff-vcmi-gym__create-instance-200.json").replace(/"instance_api_key": "[^"]*"/, `"instance_api_key": "${key}"`);
    const err = errorFrom({ apiUrl: "http://x", apiKey: "f".repeat(64) }, "rent offer 1", { status: 502, body: undefined, text });
    expect(err.message).not.toContain(key);
    expect(err.message).toContain('"instance_api_key": "***"');
  });

  it("400 invalid env arguments is a clear error naming vast-reranker:env", async () => {
    const opts = await replaying([400, recordedText("realnedsanders-terraform-provider-vastai__create-400-invalid-env.json")]);
    const out = await rentOffer(opts, 28705908, createRequest(inputs(), { id: 28705908 } as Offer, "lbl"));
    expect(out).toMatchObject({ kind: "refused", status: 400 });
    const message = rentRefusal(28705908, out.kind === "refused" ? out.message : "");
    expect(message).toMatch(/^Vast refused to rent offer 28705908: .*invalid_args invalid env arguments, total length > 32KB\. The env comes from vast-reranker:env .*shorten it/);
  });
});

describe("destroying (DELETE /api/v0/instances/{id}/)", () => {
  it("{success: true}, then {instances: null} on the read: destroyed and confirmed gone", async () => {
    const opts = await replaying([200, recordedText("ifixtelecom-gpu-ifix__destroy-200.json")], [200, '{"instances": null}']);
    await expect(destroyAndConfirm(opts, 36717044, 5_000)).resolves.toBeUndefined();
    expect(server?.asked.map((a) => `${a.method} ${a.path} ${a.body}`)).toEqual([
      "DELETE /api/v0/instances/36717044/ {}",
      "GET /api/v0/instances/36717044/?owner=me ",
    ]);
  });
});

describe("searching (POST /api/v0/bundles/)", () => {
  it("a real verified row (verified null, verification verified, external null) that meets the filter is accepted", async () => {
    const rows = recorded<Offer[]>("unattributed-11848604304__search-offers-cli-raw.json");
    expect(rows[0]).toMatchObject({ verification: "verified", external: null, static_ip: false });
    expect(rows[0]).not.toHaveProperty("verified"); // absent here, null elsewhere (reference §2): both are read alike
    const opts = await replaying([200, JSON.stringify({ offers: rows })]);
    const noStaticIp = { ...GUIDE, filter: GUIDE_FILTER.replace(" static_ip = true", "") };
    const offers = await searchOffers(opts, buildOfferQuery(noStaticIp));
    expect(rankOffers(offers, noStaticIp).map((o) => o.id)).toEqual([11684738]);
    expect(rankOffers([{ ...offers[0], verified: null }], noStaticIp).map((o) => o.id)).toEqual([11684738]);
    // The guide's full filter turns it down for its static_ip alone, not for the nulls.
    expect(rankOffers(offers, GUIDE)).toEqual([]);
    expect(rankOffers([{ ...offers[0], static_ip: true }], GUIDE).map((o) => o.id)).toEqual([11684738]);
    // The tier still counts.
    expect(offerMatchesQuery({ ...offers[0], verification: "unverified" }, buildOfferQuery(noStaticIp))).toBe(false);
  });

  it("rows from a proxy (500.farm) that are unverified, not rentable and priceless are never rented", () => {
    const { offers } = recorded<{ offers: Offer[] }>("unattributed-60899211825__500farm-offers-proxy.json");
    expect(offers).toHaveLength(2);
    expect(rankOffers(offers, GUIDE)).toEqual([]);
    // Even with the tier and rentable filters dropped: no dph_total, so no price to hold against the cap.
    expect(rankOffers(offers.map((o) => ({ ...o, rentable: true })), { ...GUIDE, filter: "verified=any rentable=any" })).toEqual([]);
  });

  it("a partial row without price or reliability is never rented", () => {
    const row = recorded<Offer>("smanolloff-vcmi-gym__offer-relevant-fields.jsonc");
    expect(row.id).toBe(32493628);
    expect(rankOffers([row], GUIDE)).toEqual([]);
    expect(rankOffers([row], { ...GUIDE, minReliability: undefined })).toEqual([]); // price unknown under the cap
  });

  it("400 bad_request for bare filter values is a clear error; the product only sends operator objects", async () => {
    const opts = await replaying([400, recordedText("ifixtelecom-gpu-ifix__search-400-legacy-filter.json")]);
    const err = await searchOffers(opts, buildOfferQuery(GUIDE)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VastApiError);
    expect(err).toMatchObject({ status: 400, code: "bad_request", ambiguous: false });
    expect((err as Error).message).toBe("search offers: HTTP 400 bad_request q.gpu_name: Input should be a valid dictionary; q.num_gpus: ...");
    const sent = JSON.parse(server?.asked[0]?.body ?? "{}") as Record<string, unknown>;
    for (const [k, v] of Object.entries(sent)) {
      if (["order", "type", "limit", "allocated_storage"].includes(k)) continue;
      expect(v, k).toBeTypeOf("object");
      expect(Array.isArray(v), k).toBe(false);
    }
  });

  it("the docs' example answer (offers as one object) is refused as unexpected, not read as zero offers", async () => {
    const opts = await replaying([200, recordedText("vast-ai-docs__search-offers-example.json")]);
    await expect(searchOffers(opts, buildOfferQuery(GUIDE))).rejects.toThrow(/^search offers: unexpected answer \{"offers":\{"id":12345678/);
  });
});

describe("reading an instance (GET /api/v0/instances/{id}/?owner=me)", () => {
  it("a running instance with IPv4 and IPv6 bindings (HostPort strings) is ready at its public IP", async () => {
    const opts = await replaying([200, recordedText("ifixtelecom-gpu-ifix__show-instance-running.json")]);
    const inst = (await showInstance(opts, 36717044)) as Instance;
    expect(server?.asked[0]?.path).toBe("/api/v0/instances/36717044/?owner=me");
    expect(judgeBoot(inst, 8000, 60_000)).toEqual({ kind: "ready", ip: "140.228.20.111", port: 37708 });
    expect(hostPortOf(inst, 9100)).toBe(40713);
    expect(outputsFrom(inputs(), "h", inst, 0)).toMatchObject({ instanceId: 36717044, publicIp: "140.228.20.111", port: 37708, status: "running", sshHost: "ssh7.vast.ai", sshPort: 37044, machineId: 33307 });
  });

  it("a boot Vast gave up (intended, cur and next stopped while created) fails at once", async () => {
    const rec = recorded<Instance>("sovrenix-larri__show-instance-abandoned-boot.json");
    const opts = await replaying([200, JSON.stringify({ instances: rec })]);
    const inst = (await showInstance(opts, rec.id)) as Instance;
    const v = judgeBoot(inst, 8000, 1_000);
    expect(v.kind).toBe("failed");
    expect(v.kind === "failed" && v.reason).toMatch(/^Vast gave the boot up \(intended_status stopped, cur_state stopped while actual_status is created\): Error response from daemon: .*failed to inject CDI devices/);
  });

  it("a partial record (no actual_status, one IPv4 binding) is pending and its ssh port is read", () => {
    const inst = recorded<Instance>("smanolloff-vcmi-gym__show-instance-relevant-fields.jsonc");
    expect(judgeBoot(inst, 8000, 1_000)).toEqual({ kind: "pending", phase: "provisioning" });
    expect(hostPortOf(inst, 22)).toBe(30022);
    expect(outputsFrom(inputs(), "h", inst, 0)).toMatchObject({ sshHost: "ssh3.vast.ai", sshPort: 12296, port: 0 });
  });

  it("the docs' example (ports as a list of numbers, no status) is never taken as ready", async () => {
    const opts = await replaying([200, recordedText("vast-ai-docs__show-instance-example.json")]);
    const inst = (await showInstance(opts, 883)) as Instance;
    expect(inst.id).toBe(883);
    expect(hostPortOf(inst, 8080)).toBeUndefined();
    expect(judgeBoot(inst, 8080, 1_000).kind).toBe("pending");
  });
});

describe("coverage", () => {
  it("every recorded file is covered by a test or listed in docs/vast-api.md with why it needs none", () => {
    const doc = readFileSync(new URL("../../docs/vast-api.md", import.meta.url), "utf8");
    const start = doc.indexOf("Recorded answers and their tests");
    expect(start).toBeGreaterThan(0);
    const section = doc.slice(start, doc.indexOf("\n### ", start));
    for (const f of recordedFiles()) expect(section, f).toContain(`\`${f}\``);
  });
});
