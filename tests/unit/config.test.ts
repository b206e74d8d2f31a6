import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, GUIDE_FILTER, parseDeploymentConfig } from "../../components/config.ts";
import { DEFAULT_VLLM_IMAGE } from "../../components/vllm/launch.ts";

const from = (m: Record<string, string>) => (k: string) => m[k];

describe("parseDeploymentConfig", () => {
  it("defaults to the guide's deployment", () => {
    const c = parseDeploymentConfig(from({}));
    expect(c.model).toBe("BAAI/bge-reranker-base");
    expect(c.servedModelName).toBe("BAAI/bge-reranker-base");
    expect(c.selection.filter).toBe(GUIDE_FILTER);
    expect(c.selection.diskGb).toBe(40);
    expect(c.hardened).toBe(true);
    expect(c.maxModelLen).toBe(512);
  });
  it("reads lists as JSON or comma-separated", () => {
    expect(parseDeploymentConfig(from({ gpuNames: '["RTX 4090","RTX 3090"]' })).selection.gpuNames).toEqual(["RTX 4090", "RTX 3090"]);
    expect(parseDeploymentConfig(from({ regions: "US, CA" })).selection.regions).toEqual(["US", "CA"]);
  });
  it("names every bad key at once", () => {
    try {
      parseDeploymentConfig(from({ maxPricePerHour: "cheap", hardened: "yes", offerType: "spot" }));
      throw new Error("should have thrown");
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const msg = (e as Error).message;
      expect(msg).toContain("vast-reranker:maxPricePerHour must be a number");
      expect(msg).toContain("vast-reranker:hardened must be true or false");
      expect(msg).toContain('vast-reranker:offerType must be "on-demand" or "interruptible"');
    }
  });
});

describe("Pulumi.yaml config schema", () => {
  const yaml = readFileSync(join(import.meta.dirname, "../../Pulumi.yaml"), "utf8");
  const defaults = Object.fromEntries([...yaml.matchAll(/^ {2}vast-reranker:(\w+):\n(?:(?: {4}.*\n)*?) {4}default: (.*)$/gm)].map((m) => [m[1], m[2].replace(/^"(.*)"$/, "$1")]));
  it("declares every key the program reads, each with a default (declared keys without one are required)", () => {
    const keys = [...yaml.matchAll(/^ {2}vast-reranker:(\w+):$/gm)].map((m) => m[1]);
    expect(keys.length).toBeGreaterThan(20);
    for (const k of keys) expect(defaults, k).toHaveProperty(k);
  });
  it("parses its own defaults into the same configuration as no config at all", () => {
    expect(parseDeploymentConfig((k) => defaults[k])).toEqual({ ...parseDeploymentConfig(() => undefined), image: DEFAULT_VLLM_IMAGE });
    expect(defaults.image).toBe(DEFAULT_VLLM_IMAGE);
  });
});
