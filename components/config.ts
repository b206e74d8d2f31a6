// Stack configuration: one typed object, validated before any resource exists.
import type { OfferSelection } from "./vast/offers/offerQuery.ts";
import { DEFAULT_DTYPE, DEFAULT_MAX_MODEL_LEN, DEFAULT_MODEL } from "./vllm/launch.ts";

/** The reference guide's search, verbatim (docs/vast-api.md §2.3 gives its JSON form). */
export const GUIDE_FILTER = "compute_cap >= 750 gpu_ram >= 16 num_gpus = 1 static_ip = true direct_port_count >= 1 verified = true rentable = true";

export interface DeploymentConfig {
  model: string;
  servedModelName: string;
  image?: string;
  maxModelLen: number;
  dtype: string;
  extraArgs: string[];
  /** Docker-style env string as in the guide: "-p 8000:8000 -e KEY=VALUE". */
  env: string;
  hardened: boolean;
  selection: OfferSelection;
  maxAttempts: number;
  bootTimeoutSeconds: number;
  /** `up` replaces an instance a refresh found paused (outbid interruptible); false keeps it. */
  replacePaused: boolean;
  probeTimeoutSeconds: number;
  labelPrefix: string;
  /** Change it to rotate the generated API key. */
  apiKeyRotation: string;
}

export type ConfigGetter = (key: string) => string | undefined;

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid stack configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** Reads `vast-reranker:*` keys; wrong types are collected and reported together, naming each key. */
export function parseDeploymentConfig(get: ConfigGetter): DeploymentConfig {
  const problems: string[] = [];
  const key = (k: string) => `vast-reranker:${k}`;
  // Pulumi.yaml declares every key with a default; "" means "not set".
  const str = (k: string, d: string) => get(k) || d;
  const num = (k: string, d: number | undefined): number | undefined => {
    const raw = get(k);
    if (raw === undefined || raw === "") return d;
    const n = Number(raw);
    if (!Number.isFinite(n)) problems.push(`${key(k)} must be a number (got "${raw}"): pulumi config set ${key(k)} <number>`);
    return Number.isFinite(n) ? n : d;
  };
  const bool = (k: string, d: boolean): boolean => {
    const raw = get(k);
    if (raw === undefined) return d;
    if (raw === "true" || raw === "false") return raw === "true";
    problems.push(`${key(k)} must be true or false (got "${raw}")`);
    return d;
  };
  const list = (k: string): string[] | undefined => {
    const raw = get(k);
    if (raw === undefined || raw === "") return undefined;
    if (raw.trim().startsWith("[")) {
      try {
        const v = JSON.parse(raw) as unknown;
        if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v.length ? v : undefined;
      } catch { /* reported below */ }
      problems.push(`${key(k)} must be a list of strings, e.g. pulumi config set --path '${key(k)}[0]' value (got ${raw})`);
      return undefined;
    }
    return raw.split(",").map((s) => s.trim()).filter(Boolean);
  };
  const offerType = str("offerType", "on-demand");
  if (offerType !== "on-demand" && offerType !== "interruptible") problems.push(`${key("offerType")} must be "on-demand" or "interruptible" (got "${offerType}")`);
  const rankBy = str("rankBy", "price");
  if (rankBy !== "price" && rankBy !== "dlperf_per_dollar") problems.push(`${key("rankBy")} must be "price" or "dlperf_per_dollar" (got "${rankBy}")`);
  const model = str("model", DEFAULT_MODEL);
  const cfg: DeploymentConfig = {
    model,
    servedModelName: str("servedModelName", model),
    image: get("image") || undefined,
    maxModelLen: num("maxModelLen", DEFAULT_MAX_MODEL_LEN) as number,
    dtype: str("dtype", DEFAULT_DTYPE),
    extraArgs: list("extraArgs") ?? [],
    env: str("env", "-p 8000:8000"),
    hardened: bool("hardened", true),
    selection: {
      filter: str("filter", GUIDE_FILTER),
      gpuRamGb: num("gpuRamGb", undefined),
      gpuNames: list("gpuNames"),
      minReliability: num("minReliability", 0.95),
      maxPricePerHour: num("maxPricePerHour", 1.0),
      minCudaVersion: num("minCudaVersion", undefined),
      regions: list("regions"),
      offerType: offerType as OfferSelection["offerType"],
      bidPricePerHour: num("bidPricePerHour", undefined),
      diskGb: num("diskGb", 40) as number,
      rankBy: rankBy as OfferSelection["rankBy"],
    },
    maxAttempts: num("maxAttempts", 3) as number,
    bootTimeoutSeconds: num("bootTimeoutSeconds", 900) as number,
    replacePaused: bool("replacePaused", true),
    probeTimeoutSeconds: num("probeTimeoutSeconds", 900) as number,
    labelPrefix: str("labelPrefix", "vast-reranker"),
    apiKeyRotation: str("apiKeyRotation", ""),
  };
  if (!cfg.model.trim()) problems.push(`${key("model")} is empty: set a Hugging Face model id, e.g. BAAI/bge-reranker-base`);
  if (!(cfg.probeTimeoutSeconds >= 10)) problems.push(`${key("probeTimeoutSeconds")} must be >= 10 (got ${cfg.probeTimeoutSeconds})`);
  if (problems.length) throw new ConfigError(problems);
  return cfg;
}
