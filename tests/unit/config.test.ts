// The stack configuration: defaults only in Pulumi.yaml, values through pulumi.Config's typed
// getters, every bad key named; and each validation rule applied the same way by the program and
// by the instance provider's check.
import { describe, expect, it, vi } from "vitest";
import { parseDeploymentConfig } from "../../components/config.ts";
import { validateDeployment } from "../../components/rerankerDeployment.ts";
import { VAST_LAUNCH_LIMIT, launchSize, validateInstanceInputs } from "../../components/vast/instance/validate.ts";
import { validateVllmLaunchSpec } from "../../components/vllm/launch.ts";
import type { VastInstanceInputs } from "../../components/vast/instance/instanceLogic.ts";
import { declaredKeys, projectDefaults, stackConfig, problemsOf } from "../helpers/projectConfig.ts";

describe("parseDeploymentConfig", () => {
  it("reads Pulumi.yaml's defaults into the guide's deployment", () => {
    const d = projectDefaults();
    const c = parseDeploymentConfig(stackConfig());
    expect(c).toMatchObject({
      model: "BAAI/bge-reranker-base", servedModelName: "BAAI/bge-reranker-base", image: d.image, maxModelLen: 512, dtype: "half",
      extraArgs: [], env: "-p 8000:8000", hardened: true, maxAttempts: 3, bootTimeoutSeconds: 900, probeTimeoutSeconds: 900,
      replacePaused: true, probeExpectOpen: "", labelPrefix: "vast-reranker", apiKeyRotation: "",
    });
    expect(c.selection).toEqual({
      filter: d.filter, gpuRamGb: undefined, gpuNames: undefined, minReliability: 0.95, maxPricePerHour: 1, minCudaVersion: undefined,
      regions: undefined, offerType: "on-demand", bidPricePerHour: undefined, diskGb: 40, rankBy: "balanced",
    });
    expect(validateDeployment(c)).toEqual([]);
  });

  it("replicas: default 1, an integer from 1 to 5, refused before any resource", () => {
    expect(parseDeploymentConfig(stackConfig()).replicas).toBe(1);
    expect(parseDeploymentConfig(stackConfig({ replicas: "5" })).replicas).toBe(5);
    for (const bad of ["0", "6", "2.5", "-1"]) {
      expect(problemsOf(() => parseDeploymentConfig(stackConfig({ replicas: bad })))).toContain("vast-reranker:replicas must be an integer from 1 to 5");
    }
    expect(problemsOf(() => parseDeploymentConfig(stackConfig({ replicas: "two" })))).toContain("vast-reranker:replicas must be a number");
    expect(parseDeploymentConfig(stackConfig()).replaceOrder).toBe("auto");
    expect(problemsOf(() => parseDeploymentConfig(stackConfig({ replaceOrder: "rolling" })))).toContain('vast-reranker:replaceOrder must be "auto", "create-first" or "delete-first"');
  });

  it("minReadyReplicas: default all replicas, 1..replicas; race: 1 (off) or 2", () => {
    expect(parseDeploymentConfig(stackConfig({ replicas: "3" })).minReadyReplicas).toBeUndefined();
    expect(parseDeploymentConfig(stackConfig({ replicas: "3", minReadyReplicas: "2" })).minReadyReplicas).toBe(2);
    for (const bad of ["0", "4", "1.5"]) {
      expect(validateDeployment(parseDeploymentConfig(stackConfig({ replicas: "3", minReadyReplicas: bad }))).join("\n"))
        .toContain("vast-reranker:minReadyReplicas must be an integer from 1 to vast-reranker:replicas (3)");
    }
    expect(validateDeployment(parseDeploymentConfig(stackConfig({ replicas: "3", minReadyReplicas: "3" })))).toEqual([]);
    expect(parseDeploymentConfig(stackConfig()).race).toBe(1);
    expect(parseDeploymentConfig(stackConfig({ race: "2" })).race).toBe(2);
    for (const bad of ["0", "3"]) expect(problemsOf(() => parseDeploymentConfig(stackConfig({ race: bad })))).toContain("vast-reranker:race must be 1 (off) or 2");
  });

  it("holds no defaults of its own: a key with no value is an error naming it", () => {
    const msg = problemsOf(() => parseDeploymentConfig(stackConfig({}, ["diskGb", "model", "hardened"])));
    for (const k of ["diskGb", "model", "hardened"]) expect(msg).toContain(`vast-reranker:${k} has no value: Pulumi.yaml declares its default`);
  });

  it("reads numbers, booleans and lists with pulumi.Config's typed getters", () => {
    const cfg = stackConfig({ regions: '["US","CA"]', gpuRamGb: "24" });
    const spies = { getNumber: vi.spyOn(cfg, "getNumber"), getBoolean: vi.spyOn(cfg, "getBoolean"), getObject: vi.spyOn(cfg, "getObject") };
    const c = parseDeploymentConfig(cfg);
    expect(c.selection).toMatchObject({ regions: ["US", "CA"], gpuRamGb: 24 });
    expect(spies.getNumber.mock.calls.map((a) => a[0])).toEqual(expect.arrayContaining(["maxModelLen", "gpuRamGb", "diskGb", "maxPricePerHour", "maxAttempts"]));
    expect(spies.getBoolean.mock.calls.map((a) => a[0])).toEqual(expect.arrayContaining(["hardened", "replacePaused"]));
    expect(spies.getObject.mock.calls.map((a) => a[0])).toEqual(expect.arrayContaining(["extraArgs", "gpuNames", "regions"]));
  });

  it("names every bad key at once, also what getNumber's parseFloat would half-read", () => {
    const msg = problemsOf(() => parseDeploymentConfig(stackConfig({ maxPricePerHour: "cheap", hardened: "yes", offerType: "spot", gpuRamGb: "16GB", regions: "US, CA", diskGb: "" })));
    expect(msg).toContain('vast-reranker:maxPricePerHour must be a number (got "cheap")');
    expect(msg).toContain('vast-reranker:hardened must be true or false (got "yes")');
    expect(msg).toContain('vast-reranker:offerType must be "on-demand" or "interruptible" (got "spot")');
    expect(msg).toContain('vast-reranker:gpuRamGb must be a number (got "16GB")');
    expect(msg).toContain('vast-reranker:regions must be a list of strings (got "US, CA")');
    expect(msg).toContain('vast-reranker:diskGb must be a number (got "")');
  });

  it("an empty optional number is not set; an empty list is no restriction", () => {
    const c = parseDeploymentConfig(stackConfig({ gpuRamGb: "", minCudaVersion: "12.9", gpuNames: "[]" }));
    expect(c.selection).toMatchObject({ gpuRamGb: undefined, minCudaVersion: 12.9, gpuNames: undefined });
  });

  it("takes the readiness probe's open-route tolerance from config", () => {
    expect(parseDeploymentConfig(stackConfig({ probeExpectOpen: "POST /rerank,/metrics" })).probeExpectOpen).toBe("POST /rerank,/metrics");
  });
});

describe("Pulumi.yaml config schema", () => {
  it("declares every key with a default (declared keys without one are required)", () => {
    const keys = declaredKeys();
    expect(keys.length).toBeGreaterThan(20);
    expect(Object.keys(projectDefaults()).sort()).toEqual([...keys].sort());
  });
});

describe("each validation rule lives in one place (program and provider check agree)", () => {
  const plan = { image: "vllm/vllm-openai:v0.30.0-cu129", model: "BAAI/bge-reranker-base", maxModelLen: 512, dtype: "half", hardened: true };
  const instance = (over: Partial<VastInstanceInputs>): VastInstanceInputs => ({
    labelPrefix: "p", stackName: "s", resourceName: "r", nonce: "n", selection: { diskGb: 40 }, image: plan.image, env: {}, secretEnv: {},
    runtype: "args", onstart: null, args: [], containerPort: 8000, maxAttempts: 3, bootTimeoutSeconds: 900, ...over,
  });
  const flagged = (failures: Array<{ property: string }>, property: string) => failures.some((f) => f.property === property);

  it.each(["vllm/vllm-openai:v0.30.0-cu129", "vllm/vllm-openai:nightly", "vllm/vllm-openai:latest-cu129", "vllm/vllm-openai:main", "vllm/vllm-openai:latest", "vllm/vllm-openai", "", " ", "vllm/vllm-openai@sha256:" + "a".repeat(64), "a b:v1"])(
    "image %j: the same verdict and reason", (image) => {
      const fromSpec = validateVllmLaunchSpec({ ...plan, image }).filter((p) => p.property === "image").map((p) => `vast-reranker:${p.reason}`);
      const fromCheck = validateInstanceInputs(instance({ image }), "UNKNOWN").filter((f) => f.property === "image").map((f) => f.reason);
      expect(fromCheck).toEqual(fromSpec);
    });

  it("launch size: one measure (args as JSON + onstart) against Vast's 4096", () => {
    // 4096 characters when args are joined with spaces, 4102 as JSON: the two old measures disagreed here.
    const launch = { onstart: "/bin/sh", args: ["-c", "x".repeat(4086)] };
    expect(launchSize(launch)).toBeGreaterThan(VAST_LAUNCH_LIMIT);
    expect(flagged(validateInstanceInputs(instance(launch), "UNKNOWN"), "args")).toBe(true);
    const fits = { onstart: "/bin/sh", args: ["-c", "x".repeat(4080)] };
    expect(launchSize(fits)).toBeLessThanOrEqual(VAST_LAUNCH_LIMIT);
    expect(flagged(validateInstanceInputs(instance(fits), "UNKNOWN"), "args")).toBe(false);
    const big = validateVllmLaunchSpec({ ...plan, extraArgs: ["--hf-overrides", JSON.stringify({ pad: "x".repeat(4000) })] });
    expect(big.map((p) => p.reason)).toEqual([expect.stringMatching(/the launch is \d+ characters \(args \+ onstart\); Vast allows 4096/)]);
  });

  it("maxAttempts and bootTimeoutSeconds: the same messages", () => {
    const cfg = { ...parseDeploymentConfig(stackConfig()), maxAttempts: 0, bootTimeoutSeconds: 5 };
    const fromProgram = validateDeployment(cfg);
    const fromCheck = validateInstanceInputs(instance({ maxAttempts: 0, bootTimeoutSeconds: 5 }), "UNKNOWN").map((f) => f.reason);
    expect(fromProgram).toEqual(fromCheck);
  });
});
