// RerankerDeployment: API key → Vast instance running vLLM → readiness probe → endpoint outputs.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as command from "@pulumi/command";
import { VastInstance } from "./vast/instance.ts";
import { VastLabelSweeper } from "./vast/labelSweeper.ts";
import { labelStem } from "./vast/instanceLogic.ts";
import { validateOfferSelection } from "./vast/offerValidation.ts";
import { parseEnvString } from "./vast/envString.ts";
import { configMessage, imageProblem } from "./vast/validate.ts";
import { buildVllmLaunch, minCudaForImage, validateVllmLaunchSpec, DEFAULT_VLLM_IMAGE, type VllmLaunchSpec } from "./vllm/launch.ts";
import type { OfferSelection } from "./vast/offerQuery.ts";
import { ConfigError, type DeploymentConfig } from "./config.ts";

export interface RerankerDeploymentArgs {
  config: DeploymentConfig;
  /** Vast API base URL override (else config vast:apiUrl / VAST_API_URL inside the provider). */
  apiUrl?: pulumi.Input<string>;
}

/** A key placeholder lets the launch be built (and checked for leaks) without the secret. */
const KEY_PLACEHOLDER = "__VLLM_API_KEY__";

/** Splits the guide-style env string: VLLM_API_KEY (a user-chosen key) is taken out of the plain env. */
export function planLaunch(cfg: DeploymentConfig): { spec: VllmLaunchSpec; env: Record<string, string>; userKey?: string; runtype: string; onstart: string | null; args: string[] } {
  const parsed = parseEnvString(cfg.env);
  const userKey = parsed.VLLM_API_KEY || undefined;
  delete parsed.VLLM_API_KEY;
  const spec: VllmLaunchSpec = {
    image: cfg.image ?? DEFAULT_VLLM_IMAGE,
    model: cfg.model,
    servedModelName: cfg.servedModelName,
    maxModelLen: cfg.maxModelLen,
    dtype: cfg.dtype,
    extraArgs: cfg.extraArgs,
    hardened: cfg.hardened,
  };
  const launch = buildVllmLaunch(spec, KEY_PLACEHOLDER, parsed);
  if ([launch.onstart ?? "", ...launch.args].some((a) => a.includes(KEY_PLACEHOLDER))) throw new Error("internal: the API key would appear in the launch command");
  const { VLLM_API_KEY: _k, ...env } = launch.env;
  return { spec, env, userKey, runtype: launch.runtype, onstart: launch.onstart, args: launch.args };
}

/** The image's CUDA build needs a host driver that supports it: a floor the user may raise, not lower. */
export function selectionFor(cfg: DeploymentConfig, image: string): OfferSelection {
  const needed = minCudaForImage(image);
  const given = cfg.selection.minCudaVersion;
  return needed !== undefined && (given === undefined || given < needed) ? { ...cfg.selection, minCudaVersion: needed } : cfg.selection;
}

export function validateDeployment(cfg: DeploymentConfig): string[] {
  const problems = validateOfferSelection(cfg.selection).map((f) => configMessage(f.property, f.reason));
  const image = cfg.image ?? DEFAULT_VLLM_IMAGE;
  const imageIssue = imageProblem(image);
  if (imageIssue) problems.push(`vast-reranker:image ${imageIssue}`);
  try {
    const plan = planLaunch(cfg);
    problems.push(...validateVllmLaunchSpec(plan.spec).filter((f) => !(imageIssue && f.property === "image")).map((f) => configMessage(f.property, f.reason)));
  } catch (e) {
    problems.push(`vast-reranker:env ${(e as Error).message}`);
  }
  if (!Number.isInteger(cfg.maxAttempts) || cfg.maxAttempts < 1 || cfg.maxAttempts > 20) problems.push(`vast-reranker:maxAttempts must be an integer from 1 to 20 (got ${cfg.maxAttempts})`);
  if (!Number.isInteger(cfg.bootTimeoutSeconds) || cfg.bootTimeoutSeconds < 10) problems.push(`vast-reranker:bootTimeoutSeconds must be an integer >= 10 (got ${cfg.bootTimeoutSeconds})`);
  return [...new Set(problems)];
}

export class RerankerDeployment extends pulumi.ComponentResource {
  public readonly apiKey: pulumi.Output<string>;
  public readonly instance: VastInstance;
  public readonly readiness: command.local.Command;
  public readonly endpoint: pulumi.Output<string>;
  public readonly ip: pulumi.Output<string>;
  public readonly port: pulumi.Output<number>;
  public readonly rerankUrl: pulumi.Output<string>;
  public readonly scoreUrl: pulumi.Output<string>;
  public readonly cohereBaseUrl: pulumi.Output<string>;
  public readonly model: pulumi.Output<string>;
  public readonly instanceId: pulumi.Output<number>;
  public readonly gpuName: pulumi.Output<string>;
  public readonly pricePerHour: pulumi.Output<number>;
  public readonly probeReport: pulumi.Output<string>;

  constructor(name: string, args: RerankerDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("vast-reranker:index:RerankerDeployment", name, {}, opts);
    const cfg = args.config;
    const problems = validateDeployment(cfg);
    if (problems.length) throw new ConfigError(problems);
    const plan = planLaunch(cfg);

    this.apiKey = plan.userKey
      ? pulumi.secret(plan.userKey)
      : new random.RandomBytes(`${name}-api-key`, { length: 32, keepers: { rotation: cfg.apiKeyRotation } }, { parent: this }).hex;
    const nonce = new random.RandomId(`${name}-nonce`, { byteLength: 4 }, { parent: this });

    // Deleted after the instance on destroy: sweeps an instance an interrupted run rented unseen.
    const sweeper = new VastLabelSweeper(`${name}-sweeper`, {
      apiUrl: args.apiUrl,
      labelStem: nonce.hex.apply((n) => labelStem({ labelPrefix: cfg.labelPrefix, stackName: pulumi.getStack(), resourceName: name, nonce: n })),
    }, { parent: this });

    this.instance = new VastInstance(`${name}-instance`, {
      apiUrl: args.apiUrl,
      labelPrefix: cfg.labelPrefix,
      stackName: pulumi.getStack(),
      resourceName: name,
      nonce: nonce.hex,
      selection: selectionFor(cfg, plan.spec.image),
      image: plan.spec.image,
      env: plan.env,
      secretEnv: pulumi.secret({ VLLM_API_KEY: this.apiKey }),
      runtype: plan.runtype,
      onstart: plan.onstart,
      args: plan.args,
      maxAttempts: cfg.maxAttempts,
      bootTimeoutSeconds: cfg.bootTimeoutSeconds,
    }, { parent: this, dependsOn: [sweeper] });

    const base = pulumi.interpolate`http://${this.instance.publicIp}:${this.instance.port}`;
    this.readiness = new command.local.Command(`${name}-readiness`, {
      // Node 22 strips the types; the probe prints a JSON report and never the key.
      create: "node components/readiness/probe.ts",
      environment: {
        RERANKER_ENDPOINT: base,
        RERANKER_API_KEY: this.apiKey,
        RERANKER_MODEL: cfg.servedModelName,
        PROBE_DEADLINE_SECONDS: String(cfg.probeTimeoutSeconds),
        PROBE_HARDENED: String(cfg.hardened),
      },
      triggers: [this.instance.instanceId],
      logging: "stdoutAndStderr",
    }, { parent: this, dependsOn: [this.instance], additionalSecretOutputs: ["stdout", "stderr"] });

    // Everything below resolves only once the probe has passed. The probe's output is secret only by
    // taint (its env holds the key; it never prints it, which tests check), so it does not make the
    // endpoint secret.
    const passed = pulumi.unsecret(this.readiness.stdout);
    const ready = <T>(v: pulumi.Output<T>) => pulumi.all([passed, v]).apply(([, x]) => x);
    this.endpoint = ready(base);
    this.ip = ready(this.instance.publicIp);
    this.port = ready(this.instance.port);
    this.rerankUrl = pulumi.interpolate`${this.endpoint}/v1/rerank`;
    this.scoreUrl = pulumi.interpolate`${this.endpoint}/v1/score`;
    this.cohereBaseUrl = this.endpoint;
    this.model = ready(pulumi.output(cfg.servedModelName));
    this.instanceId = ready(this.instance.instanceId);
    this.gpuName = ready(this.instance.gpuName);
    this.pricePerHour = ready(this.instance.pricePerHour);
    // The probe never prints the key (tested), so its report need not stay secret.
    this.probeReport = passed;

    this.registerOutputs({
      endpoint: this.endpoint, rerankUrl: this.rerankUrl, scoreUrl: this.scoreUrl, apiKey: this.apiKey,
      instanceId: this.instanceId, gpuName: this.gpuName, pricePerHour: this.pricePerHour,
    });
  }
}
