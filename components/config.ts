// Stack configuration: one typed object, read before any resource exists.
//
// One path for every value: the defaults live in Pulumi.yaml's `config:` block only (the Pulumi CLI
// passes a declared default to the program like a set value), values are read with pulumi.Config's
// typed getters, and this module only reports what they refuse, naming each key. The rules about
// what a value means (offers, image, launch, boot) live in components/vast/instance/validate.ts,
// components/vast/offers/offerValidation.ts and components/vllm/launch.ts.
import { Config, runtime } from "@pulumi/pulumi";
import { RANK_BY, type OfferSelection } from "./vast/offers/offerQuery.ts";
import { unknownKeyProblems } from "./configKeys.ts";
import { MODES, instanceOnlyProblems, serverlessSettingsProblems, type DeploymentMode, type ServerlessSettings } from "./serverless/settings.ts";

export interface DeploymentConfig {
  /** instance (one or more rented instances, the default) or serverless (a Vast Serverless endpoint). */
  mode: DeploymentMode;
  /** Vast Serverless endpoint settings; read and checked in both modes, used in serverless mode. */
  serverless: ServerlessSettings;
  model: string;
  /** Empty in Pulumi.yaml = the model id. */
  servedModelName: string;
  image: string;
  maxModelLen: number;
  dtype: string;
  extraArgs: string[];
  /** Docker-style env string as in the guide: "-p 8000:8000 -e KEY=VALUE". */
  env: string;
  hardened: boolean;
  selection: OfferSelection;
  /** How many replicas (endpoints on distinct machines), 1..MAX_REPLICAS. */
  replicas: number;
  /**
   * How many replicas must pass their probe for `up` to succeed (1..replicas; undefined = all). Below
   * `replicas`, a replica whose every boot attempt failed is recorded as failed instead of failing `up`.
   */
  minReadyReplicas?: number;
  /** Offers each replica rents at once, keeping the first verified (1 = no racing, 2 = race two). */
  race: number;
  /** create-first, delete-first or auto (create-first when replicas > 1). */
  replaceOrder: "auto" | "create-first" | "delete-first";
  maxAttempts: number;
  bootTimeoutSeconds: number;
  /** `up` replaces an instance a refresh found paused (outbid interruptible); false keeps it. */
  replacePaused: boolean;
  probeTimeoutSeconds: number;
  /** Open routes the readiness probe tolerates: "" none, "true" all, or "POST /rerank,/metrics". */
  probeExpectOpen: string;
  labelPrefix: string;
  /** Change it to rotate the generated API key. */
  apiKeyRotation: string;
}

/** What is read: pulumi.Config's typed getters (a `new Config("vast-reranker")`). */
export type TypedConfig = Pick<Config, "get" | "getNumber" | "getBoolean" | "getObject">;

/**
 * Upper bound of vast-reranker:replicas. Vast allows one rent per 4.5 s per key, so replica n is
 * rented ≥ 4.6·n s after the first (the 5th ≈ 18 s later, still small against a real image pull),
 * and a create-first rollout bills twice the replicas' GPUs meanwhile. Status reads are not the
 * limit: booting replicas share one instance-list call per second (components/vast/api/instanceList.ts).
 */
const MAX_REPLICAS = 5;

/**
 * Upper bound of vast-reranker:race. Racing doubles the rents (Vast spaces rents 4.5 s per key) and
 * the money spent until the loser is destroyed; a third contender adds cost for little gain.
 */
const MAX_RACE = 2;

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid stack configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** Reads the `vast-reranker:*` keys; every problem is collected and reported together, naming its key. */
export function parseDeploymentConfig(cfg: TypedConfig = new Config("vast-reranker")): DeploymentConfig {
  // Keys the program does not read would otherwise be ignored in silence (configKeys.ts).
  const problems: string[] = unknownKeyProblems(Object.keys(runtime.allConfig()));
  const key = (k: string) => `vast-reranker:${k}`;
  const got = (k: string) => JSON.stringify(cfg.get(k));

  /** A typed read: a value the getter refuses, or no value at all, becomes a problem naming the key. */
  function typed<T>(k: string, read: () => T | undefined, what: string, hint = ""): T | undefined {
    let v: T | undefined;
    try {
      v = read();
    } catch {
      problems.push(`${key(k)} must be ${what} (got ${got(k)})${hint}`);
      return undefined;
    }
    if (v === undefined) {
      problems.push(`${key(k)} has no value: Pulumi.yaml declares its default, which the Pulumi CLI passes to the program; run pulumi in the project directory, or set it with pulumi config set ${key(k)} <value>`);
    }
    return v;
  }
  const str = (k: string) => typed(k, () => cfg.get(k), "a string") ?? "";
  const bool = (k: string) => typed(k, () => cfg.getBoolean(k), "true or false") ?? false;
  /** getNumber parses with parseFloat, which reads "16GB" as 16: what it reads only in part is refused too. */
  const num = (k: string): number => {
    const hint = `: pulumi config set ${key(k)} <number>`;
    const n = typed(k, () => cfg.getNumber(k), "a number", hint);
    if (n === undefined) return NaN;
    if (!Number.isFinite(Number(cfg.get(k)))) {
      problems.push(`${key(k)} must be a number (got ${got(k)})${hint}`);
      return NaN;
    }
    return n;
  };
  /** Keys whose Pulumi.yaml default is "" (not set). */
  const optionalNum = (k: string): number | undefined => (cfg.get(k) === "" ? undefined : num(k));
  const list = (k: string): string[] => {
    const hint = `: pulumi config set --path '${key(k)}[0]' value`;
    const v = typed<unknown>(k, () => cfg.getObject<unknown>(k), "a list of strings", hint);
    if (v === undefined) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
      problems.push(`${key(k)} must be a list of strings (got ${got(k)})${hint}`);
      return [];
    }
    return v;
  };
  const nonEmpty = (v: string[]) => (v.length ? v : undefined);

  const offerType = str("offerType");
  if (offerType !== "on-demand" && offerType !== "interruptible") problems.push(`${key("offerType")} must be "on-demand" or "interruptible" (got "${offerType}")`);
  const rankBy = str("rankBy");
  if (!(RANK_BY as readonly string[]).includes(rankBy)) problems.push(`${key("rankBy")} must be one of ${RANK_BY.map((r) => `"${r}"`).join(", ")} (got "${rankBy}")`);
  const model = str("model");
  const mode = str("mode");
  if (!(MODES as readonly string[]).includes(mode)) problems.push(`${key("mode")} must be ${MODES.map((m) => `"${m}"`).join(" or ")} (got "${mode}")`);
  const cfgOut: DeploymentConfig = {
    mode: mode as DeploymentMode,
    serverless: {
      endpointName: str("endpointName"),
      minLoad: num("minLoad"),
      targetUtil: num("targetUtil"),
      coldMult: num("coldMult"),
      coldWorkers: num("coldWorkers"),
      maxWorkers: num("maxWorkers"),
      maxQueueTime: num("maxQueueTime"),
      targetQueueTime: num("targetQueueTime"),
      inactivityTimeout: num("inactivityTimeout"),
    },
    model,
    servedModelName: str("servedModelName") || model,
    image: str("image"),
    maxModelLen: num("maxModelLen"),
    dtype: str("dtype"),
    extraArgs: list("extraArgs"),
    env: str("env"),
    hardened: bool("hardened"),
    selection: {
      filter: str("filter"),
      gpuRamGb: optionalNum("gpuRamGb"),
      gpuNames: nonEmpty(list("gpuNames")),
      minReliability: num("minReliability"),
      maxPricePerHour: num("maxPricePerHour"),
      minCudaVersion: optionalNum("minCudaVersion"),
      regions: nonEmpty(list("regions")),
      offerType: offerType as OfferSelection["offerType"],
      bidPricePerHour: optionalNum("bidPricePerHour"),
      diskGb: num("diskGb"),
      rankBy: rankBy as OfferSelection["rankBy"],
    },
    replicas: num("replicas"),
    minReadyReplicas: optionalNum("minReadyReplicas"),
    race: num("race"),
    replaceOrder: str("replaceOrder") as DeploymentConfig["replaceOrder"],
    maxAttempts: num("maxAttempts"),
    bootTimeoutSeconds: num("bootTimeoutSeconds"),
    replacePaused: bool("replacePaused"),
    probeTimeoutSeconds: num("probeTimeoutSeconds"),
    probeExpectOpen: str("probeExpectOpen"),
    labelPrefix: str("labelPrefix"),
    apiKeyRotation: str("apiKeyRotation"),
  };
  if (Number.isFinite(cfgOut.probeTimeoutSeconds) && cfgOut.probeTimeoutSeconds < 10) problems.push(`${key("probeTimeoutSeconds")} must be >= 10 (got ${cfgOut.probeTimeoutSeconds})`);
  if (Number.isFinite(cfgOut.replicas) && !(Number.isInteger(cfgOut.replicas) && cfgOut.replicas >= 1 && cfgOut.replicas <= MAX_REPLICAS)) {
    problems.push(`${key("replicas")} must be an integer from 1 to ${MAX_REPLICAS} (got ${cfgOut.replicas}): each replica is a rented GPU, and Vast allows one rent per 4.5 s per key`);
  }
  if (Number.isFinite(cfgOut.race) && !(Number.isInteger(cfgOut.race) && cfgOut.race >= 1 && cfgOut.race <= MAX_RACE)) {
    problems.push(`${key("race")} must be 1 (off) or 2 (rent two offers per replica, keep the first verified) (got ${cfgOut.race})`);
  }
  if (!["auto", "create-first", "delete-first"].includes(cfgOut.replaceOrder)) problems.push(`${key("replaceOrder")} must be "auto", "create-first" or "delete-first" (got "${cfgOut.replaceOrder}")`);
  problems.push(...serverlessSettingsProblems(cfgOut.serverless));
  if (cfgOut.mode === "serverless") problems.push(...instanceOnlyProblems(cfgOut));
  if (!cfgOut.labelPrefix.trim()) problems.push(`${key("labelPrefix")} is empty: the reaper and the label sweeper find instances by it`);
  if (problems.length) throw new ConfigError([...new Set(problems)]);
  return cfgOut;
}
