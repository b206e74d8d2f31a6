import { describe, expect, it } from "vitest";
import { createRequest, fingerprint, instanceLabel, replacedKeys, specHash, stableJson, type VastInstanceInputs } from "../../components/vast/instance/instanceLogic.ts";
import type { Offer } from "../../components/vast/api/types.ts";

const inputs: VastInstanceInputs = {
  labelPrefix: "vast-reranker", stackName: "dev", resourceName: "reranker-instance", nonce: "a1b2c3d4",
  selection: { filter: "gpu_ram >= 16", diskGb: 40, maxPricePerHour: 0.5 },
  image: "vllm/vllm-openai:v0.33.0", env: { "-p 8000:8000": "1" }, secretEnv: { VLLM_API_KEY: "s3cret" },
  runtype: "args", onstart: null, args: ["--model", "BAAI/bge-reranker-base"], containerPort: 8000, maxAttempts: 3, bootTimeoutSeconds: 900,
};

describe("labels", () => {
  it("is stable for the same spec and differs when the container changes", () => {
    const a = instanceLabel(inputs, specHash(inputs, "h"));
    expect(a).toBe(instanceLabel({ ...inputs }, specHash({ ...inputs }, "h")));
    expect(a).toMatch(/^vast-reranker\.dev\.reranker-ins\.a1b2c3d4\.[0-9a-f]{8}$/);
    expect(instanceLabel(inputs, specHash({ ...inputs, image: "vllm/vllm-openai:v0.32.0" }, "h"))).not.toBe(a);
    expect(instanceLabel(inputs, specHash(inputs, "other-key-hash"))).not.toBe(a);
    expect(a.length).toBeLessThanOrEqual(64);
  });
  it("slugs odd stack names", () => {
    expect(instanceLabel({ ...inputs, stackName: "My Org/Prod Stack!!" }, "deadbeef")).toContain(".my-org-prod-stac.");
  });
});

describe("diff keys", () => {
  it("ignores key order and flags replacements", () => {
    expect(stableJson({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe(stableJson({ a: [1, { c: 3, d: 2 }], b: 1 }));
    const olds = { ...inputs, secretEnvHash: "x" } as unknown as Record<string, unknown>;
    expect(replacedKeys(olds, { ...olds })).toEqual([]);
    expect(replacedKeys(olds, { ...olds, args: ["--model", "other"] })).toEqual(["args"]);
    expect(replacedKeys(olds, { ...olds, secretEnvHash: "y", image: "i:v1" })).toEqual(["image", "secretEnvHash"]);
    expect(replacedKeys(olds, { ...olds, labelPrefix: "new", maxAttempts: 5 })).toEqual([]);
    expect(replacedKeys(olds, { ...olds, stackName: "renamed" })).toEqual([]); // `pulumi stack rename` relabels in place
    // rankBy orders offers at rent time only: its new default (balanced) must not re-rent deployed stacks
    const sel = olds.selection as Record<string, unknown>;
    expect(replacedKeys({ ...olds, selection: { ...sel, rankBy: "price" } }, { ...olds, selection: { ...sel, rankBy: "balanced" } })).toEqual([]);
    expect(replacedKeys(olds, { ...olds, selection: { ...sel, diskGb: 80 } })).toEqual(["selection"]);
  });
  it("fingerprints deterministically", () => {
    expect(fingerprint("abc")).toBe(fingerprint("abc"));
    expect(fingerprint("abc")).not.toBe(fingerprint("abd"));
  });
});

describe("createRequest", () => {
  const offer = { id: 42, min_bid: 0.12, machine_id: 9 } as Offer;
  it("sends the CLI's body with the secret env merged in and an on-demand price", () => {
    const body = createRequest(inputs, offer, "L");
    expect(body).toMatchObject({ client_id: "me", image: inputs.image, disk: 40, label: "L", runtype: "args", price: null, args: inputs.args, onstart: null });
    expect(body.env).toEqual({ "-p 8000:8000": "1", VLLM_API_KEY: "s3cret" });
    expect(JSON.stringify(body)).not.toContain("__provider");
  });
  it("bids min_bid for interruptible offers unless a bid is given", () => {
    expect(createRequest({ ...inputs, selection: { ...inputs.selection, offerType: "interruptible" } }, offer, "L").price).toBe(0.12);
    expect(createRequest({ ...inputs, selection: { ...inputs.selection, offerType: "interruptible", bidPricePerHour: 0.2 } }, offer, "L").price).toBe(0.2);
  });
});
