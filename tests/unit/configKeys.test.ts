// Unknown vast-reranker:* keys fail with the closest known key; invalid image references and model
// ids fail before any rent, in both modes; serverless settings are checked like every other key.
import { describe, expect, it } from "vitest";
import { KNOWN_KEYS, closestKey, unknownKeyProblems } from "../../components/configKeys.ts";
import { parseDeploymentConfig } from "../../components/config.ts";
import { loadDeploymentConfig, validateDeployment } from "../../components/rerankerDeployment.ts";
import { imageReferenceProblem } from "../../components/vast/instance/imageReference.ts";
import { modelIdProblem } from "../../components/vllm/modelId.ts";
import { validateInstanceInputs } from "../../components/vast/instance/validate.ts";
import { plannedLaunch } from "../../components/serverless/plan.ts";
import { launchSize, VAST_LAUNCH_LIMIT } from "../../components/vast/instance/validate.ts";
import { declaredKeys, stackConfig, problemsOf } from "../helpers/projectConfig.ts";

describe("unknown vast-reranker:* keys", () => {
  it("the known list is exactly what Pulumi.yaml declares", () => {
    expect([...KNOWN_KEYS].sort()).toEqual(declaredKeys().sort());
  });

  it("names the closest known key", () => {
    expect(closestKey("replica")).toBe("replicas");
    expect(closestKey("Mode")).toBe("mode");
    expect(closestKey("maxWorker")).toBe("maxWorkers");
    expect(closestKey("cold_workers")).toBe("coldWorkers");
    expect(closestKey("imgae")).toBe("image");
  });

  it("fails parsing, in both modes, and ignores other namespaces", () => {
    for (const mode of ["instance", "serverless"]) {
      const msg = problemsOf(() => parseDeploymentConfig(stackConfig({ mode, replica: "3" })));
      expect(msg).toContain("vast-reranker:replica is not a vast-reranker setting; did you mean vast-reranker:replicas?");
    }
    expect(unknownKeyProblems(["vast:apiKey", "pulumi:tags", "vast-reranker:model"])).toEqual([]);
    expect(unknownKeyProblems(["vast-reranker:modle"])).toEqual([expect.stringContaining("did you mean vast-reranker:model?")]);
  });

  it("a mode the program does not know is refused", () => {
    expect(problemsOf(() => parseDeploymentConfig(stackConfig({ mode: "servrless" })))).toContain('vast-reranker:mode must be "instance" or "serverless" (got "servrless")');
  });
});

describe("image references and model ids that cannot work on any host", () => {
  it.each(["vllm/vllm-openai:v0.30.0-cu129", "ghcr.io/org/img:1.2", "localhost:5000/a/b:c", "vllm/vllm-openai@sha256:" + "a".repeat(64), "vllm/vllm-openai:v1@sha256:" + "0".repeat(64)])("valid image %s", (ref) => {
    expect(imageReferenceProblem(ref)).toBeUndefined();
  });
  it.each(["@sha256:zz", "vllm/vllm-openai@sha256:zz", "vllm/vllm-openai:v1@sha256:" + "a".repeat(63), "Vllm/VLLM:v1", "vllm//vllm:v1", "vllm/vllm-openai:-bad", "vllm/vllm-openai:v1:v2"])("invalid image %s", (ref) => {
    expect(imageReferenceProblem(ref)).toMatch(/image reference|digest|lowercase/);
  });
  it.each(["BAAI/bge-reranker-base", "gpt2", "org_1/model.v2-x"])("valid model %s", (m) => expect(modelIdProblem(m)).toBeUndefined());
  it.each(["../../etc/passwd", "/models/x", "BAAI/bge reranker", "a/b/c", "org/..", "org/-x", "https://huggingface.co/BAAI/x", "a--b"])("invalid model %s", (m) => {
    expect(modelIdProblem(m)).toBeDefined();
  });

  it("both kinds fail config validation before any resource, in both modes; the provider check refuses the image too", () => {
    for (const mode of ["instance", "serverless"]) {
      const img = validateDeployment(parseDeploymentConfig(stackConfig({ mode, image: "vllm/vllm-openai@sha256:zz" }))).join("\n");
      expect(img).toContain("vast-reranker:image");
      expect(img).toContain("invalid sha256 digest");
      for (const model of ["../../etc/passwd", "BAAI/bge reranker"]) {
        expect(validateDeployment(parseDeploymentConfig(stackConfig({ mode, model }))).join("\n")).toMatch(/vast-reranker:model.*(neither a Hugging Face model id|whitespace)/);
      }
      expect(() => loadDeploymentConfig(stackConfig({ mode, model: "../../etc/passwd" }))).toThrow(/invalid stack configuration/);
    }
    const check = validateInstanceInputs({ labelPrefix: "p", stackName: "s", resourceName: "r", nonce: "n", selection: { diskGb: 40 }, image: "@sha256:zz", env: {}, secretEnv: {}, runtype: "args", onstart: null, args: [], containerPort: 8000, maxAttempts: 3, bootTimeoutSeconds: 900 }, "U");
    expect(check.find((f) => f.property === "image")?.reason).toContain("digest");
  });
});

describe("serverless settings", () => {
  const serverless = (values: Record<string, string> = {}) => parseDeploymentConfig(stackConfig({ mode: "serverless", ...values }));

  it("defaults start small (Vast's SDK defaults to 5 cold workers) and validate", () => {
    const c = serverless();
    expect(c.mode).toBe("serverless");
    expect(c.serverless).toEqual({ endpointName: "", minLoad: 0, targetUtil: 0.9, coldMult: 1, coldWorkers: 1, maxWorkers: 2, maxQueueTime: 30, targetQueueTime: 10, inactivityTimeout: 300 });
    expect(validateDeployment(c)).toEqual([]);
    expect(parseDeploymentConfig(stackConfig()).mode).toBe("instance");
  });

  it("every bad knob is named with its fix", () => {
    const msg = problemsOf(() => serverless({ targetUtil: "1.5", minLoad: "-1", coldWorkers: "3", maxWorkers: "2", maxQueueTime: "0", endpointName: "my endpoint", coldMult: "lots" }));
    expect(msg).toContain("vast-reranker:targetUtil must be in (0, 1]");
    expect(msg).toContain("vast-reranker:minLoad must be >= 0");
    expect(msg).toContain("vast-reranker:coldWorkers (3) must not exceed vast-reranker:maxWorkers (2)");
    expect(msg).toContain("vast-reranker:maxQueueTime must be > 0 seconds");
    expect(msg).toContain('vast-reranker:endpointName "my endpoint" is not a valid Vast endpoint name');
    expect(msg).toContain('vast-reranker:coldMult must be a number (got "lots")');
    expect(problemsOf(() => serverless({ maxWorkers: "21" }))).toContain("vast-reranker:maxWorkers must be an integer from 1 to 20");
  });

  it("instance-only keys are refused in serverless mode", () => {
    const msg = problemsOf(() => serverless({ replicas: "3", race: "2" }));
    expect(msg).toContain("vast-reranker:replicas is 3: it applies to vast-reranker:mode instance only");
    expect(msg).toContain("vast-reranker:race is 2");
  });

  it("env: the guide's -p 8000:8000 is dropped, other ports and reserved names refused; the launch fits Vast's limit", () => {
    expect(validateDeployment(serverless({ env: "-p 8000:8000 -e HF_TOKEN=x" }))).toEqual([]);
    const bad = validateDeployment(serverless({ env: "-p 8000:8000 -p 9000:9000 -e VLLM_API_KEY=k -e USE_SSL=false" })).join("\n");
    expect(bad).toContain('maps "-p 9000:9000"');
    expect(bad).toContain("sets VLLM_API_KEY");
    expect(bad).toContain("sets USE_SSL");
    const launch = plannedLaunch(serverless());
    expect(Object.keys(launch.env).filter((k) => k.startsWith("-p"))).toEqual(["-p 3000:3000"]);
    expect(launchSize(launch)).toBeLessThan(VAST_LAUNCH_LIMIT);
    expect(JSON.stringify(launch)).not.toContain("8000:8000");
    expect(validateDeployment(serverless({ extraArgs: JSON.stringify(["--hf-overrides", "x".repeat(2000)]) })).join("\n")).toContain("Vast allows 4096");
  });
});
