// RerankerDeployment: API key → Vast instance running vLLM → readiness probe → endpoint outputs.
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as random from "@pulumi/random";
import { VastInstance } from "./vast/instance/instance.ts";
import { VastLabelSweeper } from "./vast/sweeper/labelSweeper.ts";
import { validateOfferSelection } from "./vast/offers/offerValidation.ts";
import { readEnvString } from "./vast/instance/envString.ts";
import { bootSettingsProblems, configMessage, envSizeProblem } from "./vast/instance/validate.ts";
import { buildVllmLaunch, minCudaForImage, validateVllmLaunchSpec, type VllmLaunchSpec } from "./vllm/launch.ts";
import type { OfferSelection } from "./vast/offers/offerQuery.ts";
import type { ReplicaPlacement } from "./vast/instance/placement.ts";
import { ConfigError, parseDeploymentConfig, type DeploymentConfig } from "./config.ts";
import { StackConfigError } from "./stackConfigError.ts";
import { validateServerless } from "./serverless/plan.ts";
import { ReplicaQuorumError, judgeQuorum, type FailedReplica, type ReplicaInfo, type ReplicaState } from "./replicaQuorum.ts";
import { gateTestKnobs, isLoopbackUrl, logOnce, PROBE_TEST_KNOBS } from "./testKnobs.ts";
import { DEFAULT_API_URL } from "./vast/api/credentials.ts";

export type { FailedReplica, ReplicaInfo } from "./replicaQuorum.ts";

export interface RerankerDeploymentArgs {
  config: DeploymentConfig;
  /** Vast API base URL override (else config vast:apiUrl / VAST_API_URL inside the provider). */
  apiUrl?: pulumi.Input<string>;
}

/**
 * The probe inherits the environment of `pulumi`, so its test knobs (PROBE_POLL_MS, …) would reach a
 * probe of a real deployment. Against a non-loopback Vast API URL each one set is overridden with ""
 * (the probe's default) in the Command's environment; nothing is added when none is set.
 */
export function probeKnobOverrides(env: Record<string, string | undefined>, apiUrl: string): { environment: Record<string, string>; notes: string[] } {
  const names = Object.keys(PROBE_TEST_KNOBS);
  const { notes } = gateTestKnobs(env, names, apiUrl);
  const environment = isLoopbackUrl(apiUrl) ? {} : Object.fromEntries(names.filter((k) => env[k]?.trim()).map((k) => [k, ""]));
  return { environment, notes };
}

/** A key placeholder lets the launch be built (and checked for leaks) without the secret. */
const KEY_PLACEHOLDER = "__VLLM_API_KEY__";

function launchSpec(cfg: DeploymentConfig): VllmLaunchSpec {
  return {
    image: cfg.image,
    model: cfg.model,
    servedModelName: cfg.servedModelName,
    maxModelLen: cfg.maxModelLen,
    dtype: cfg.dtype,
    extraArgs: cfg.extraArgs,
    hardened: cfg.hardened,
  };
}

/** Splits the guide-style env string: VLLM_API_KEY (a user-chosen key) is taken out of the plain env. */
function planLaunch(cfg: DeploymentConfig): { spec: VllmLaunchSpec; env: Record<string, string>; userKey?: string; runtype: string; onstart: string | null; args: string[] } {
  const { env: parsed, problems } = readEnvString(cfg.env);
  if (problems.length) throw new Error(problems.join("; "));
  const userKey = parsed.VLLM_API_KEY || undefined;
  delete parsed.VLLM_API_KEY;
  const spec = launchSpec(cfg);
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

/**
 * Every problem of the configuration, before any resource exists. The rules are the ones the
 * instance provider's check applies again (validate.ts, offerValidation.ts) plus the vLLM launch's.
 */
export function validateDeployment(cfg: DeploymentConfig): string[] {
  if (cfg.mode === "serverless") return validateServerless(cfg);
  const problems = validateOfferSelection(cfg.selection).map((f) => configMessage(f.property, f.reason));
  // A token Vast's parse_env would drop without a word is refused here, before any rent.
  const envProblems = readEnvString(cfg.env).problems;
  problems.push(...envProblems.map((p) => `vast-reranker:env ${p}`));
  problems.push(...validateVllmLaunchSpec(launchSpec(cfg)).map((f) => configMessage(f.property, f.reason)));
  if (!envProblems.length) {
    try {
      const tooBig = envSizeProblem({ ...planLaunch(cfg).env, VLLM_API_KEY: "k".repeat(64) });
      if (tooBig) problems.push(`vast-reranker:env ${tooBig}`);
    } catch (e) {
      problems.push(`vast-reranker:env ${(e as Error).message}`);
    }
  }
  problems.push(...bootSettingsProblems(cfg).map((f) => f.reason));
  const min = cfg.minReadyReplicas;
  if (min !== undefined && !(Number.isInteger(min) && min >= 1 && min <= cfg.replicas)) {
    problems.push(`vast-reranker:minReadyReplicas must be an integer from 1 to vast-reranker:replicas (${cfg.replicas}) (got ${min}); leave it unset to require every replica`);
  }
  return [...new Set(problems)];
}

/**
 * The stack's configuration, read and validated before any resource exists. Every problem is
 * reported at once, naming its key, as a StackConfigError: Pulumi prints it in well under a second
 * (a plain Error took 30–55 s to print; see stackConfigError.ts).
 */
export function loadDeploymentConfig(source: Parameters<typeof parseDeploymentConfig>[0]): DeploymentConfig {
  let cfg: DeploymentConfig;
  try {
    cfg = parseDeploymentConfig(source);
  } catch (e) {
    if (e instanceof ConfigError) throw new StackConfigError(e.problems);
    throw e;
  }
  const problems = validateDeployment(cfg);
  if (problems.length) throw new StackConfigError(problems);
  return cfg;
}

/** One replica's resources; the component's outputs derive from them. */
interface ReplicaParts {
  name: string;
  instance: VastInstance;
  readiness: command.local.Command;
}

/** Replica i's resource name: replica 0 keeps the single-replica name, so existing stacks keep their instance. */
function replicaName(name: string, i: number): string {
  return i === 0 ? name : `${name}-${i}`;
}

/** Whether a replacement creates and verifies the new instance before destroying the old one. */
export function createFirst(cfg: Pick<DeploymentConfig, "replaceOrder" | "replicas">): boolean {
  return cfg.replaceOrder === "create-first" || (cfg.replaceOrder !== "delete-first" && (cfg.replicas ?? 1) > 1);
}

/** Replicas that must pass their probe (vast-reranker:minReadyReplicas; undefined = all). */
export function minReady(cfg: Pick<DeploymentConfig, "minReadyReplicas" | "replicas">): number {
  return cfg.minReadyReplicas ?? cfg.replicas ?? 1;
}

export class RerankerDeployment extends pulumi.ComponentResource {
  public readonly apiKey: pulumi.Output<string>;
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
  /** Every replica's base URL, replica 0 first; each resolves only once its probe passed. */
  public readonly endpoints: pulumi.Output<string[]>;
  public readonly replicas: pulumi.Output<ReplicaInfo[]>;
  public readonly pricePerHourTotal: pulumi.Output<number>;
  /** Every replica's probe report (JSON), by index. */
  public readonly probeReports: pulumi.Output<string[]>;
  /** Replicas whose every boot attempt failed (only with minReadyReplicas below replicas). */
  public readonly failedReplicas: pulumi.Output<FailedReplica[]>;

  constructor(name: string, args: RerankerDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("vast-reranker:index:RerankerDeployment", name, {}, opts);
    const cfg = args.config;
    const problems = validateDeployment(cfg);
    if (problems.length) throw new StackConfigError(problems);
    const count = cfg.replicas ?? 1;

    // Each replica's sweeper owns its label stem and nonce; deleted after its instance on destroy, it
    // sweeps an instance an interrupted run rented unseen. Registered first: the engine starts Pulumi's
    // dynamic-provider host (a Node process, ≈0.5 s) for them, the longest step of a no-change preview.
    const names = Array.from({ length: count }, (_, i) => replicaName(name, i));
    const sweepers = names.map((n) => new VastLabelSweeper(`${n}-sweeper`, {
      apiUrl: args.apiUrl, labelPrefix: cfg.labelPrefix, stackName: pulumi.getStack(), resourceName: n,
    }, { parent: this }));
    const plan = planLaunch(cfg);
    // One key for every replica. Secret by the component itself, not only by the random provider's schema.
    const apiKey = pulumi.secret(plan.userKey
      ?? new random.RandomBytes(`${name}-api-key`, { length: 32, keepers: { rotation: cfg.apiKeyRotation } }, { parent: this }).hex);
    const stems = count > 1 ? pulumi.all(sweepers.map((s) => s.labelStem)) : undefined;
    const parts = names.map((n, i) => this.createReplica(n, args, plan, apiKey, sweepers[i], stems && stems.apply((st) => ({ index: i, stems: st }))));

    this.apiKey = apiKey;
    // The probe's output is secret only by taint (its env holds the key; it never prints it, which
    // tests check), so it does not make the endpoint secret. Everything of a replica resolves only
    // once its probe has passed (or reported the replica's tolerated boot failure).
    const states = pulumi.all(parts.map((p) => pulumi.all([
      pulumi.unsecret(p.readiness.stdout), p.instance.failure, p.instance.publicIp, p.instance.port,
      p.instance.instanceId, p.instance.machineId, p.instance.gpuName, p.instance.pricePerHour,
    ]).apply(([report, failure, ip, port, instanceId, machineId, gpuName, pricePerHour]): ReplicaState => ({
      name: p.name, report, ip, port, ...(failure ? { failure } : {}),
      info: { endpoint: `http://${ip}:${port}`, instanceId, machineId, gpuName, pricePerHour },
    }))));
    // Fewer ready than minReadyReplicas fails `up` here, naming each failed replica and why.
    const quorum = states.apply((st) => {
      const verdict = judgeQuorum(st, minReady(cfg));
      if (verdict.problem) throw new ReplicaQuorumError(verdict.problem);
      return verdict;
    });
    const ready = quorum.apply((q) => q.ready.map((r) => r.info));
    const first = ready.apply((r) => r[0]);
    this.endpoint = first.endpoint;
    this.ip = quorum.apply((q) => q.ready[0].ip);
    this.port = quorum.apply((q) => q.ready[0].port);
    this.rerankUrl = pulumi.interpolate`${this.endpoint}/v1/rerank`;
    this.scoreUrl = pulumi.interpolate`${this.endpoint}/v1/score`;
    this.cohereBaseUrl = this.endpoint;
    this.model = first.apply(() => cfg.servedModelName);
    this.instanceId = first.instanceId;
    this.gpuName = first.gpuName;
    this.pricePerHour = first.pricePerHour;
    this.probeReport = quorum.apply((q) => q.ready[0].report);
    this.endpoints = ready.apply((r) => r.map((x) => x.endpoint));
    this.replicas = ready;
    this.pricePerHourTotal = ready.apply((rs) => Math.round(rs.reduce((s, r) => s + r.pricePerHour, 0) * 1e6) / 1e6);
    this.probeReports = states.apply((st) => st.map((x) => x.report));
    this.failedReplicas = quorum.apply((q) => q.failed);

    // Every public output (tests/unit/rerankerDeployment.test.ts checks the list).
    this.registerOutputs({
      endpoint: this.endpoint, ip: this.ip, port: this.port, rerankUrl: this.rerankUrl, scoreUrl: this.scoreUrl,
      cohereBaseUrl: this.cohereBaseUrl, apiKey: this.apiKey, model: this.model, instanceId: this.instanceId,
      gpuName: this.gpuName, pricePerHour: this.pricePerHour, probeReport: this.probeReport,
      endpoints: this.endpoints, replicas: this.replicas, pricePerHourTotal: this.pricePerHourTotal, probeReports: this.probeReports,
      failedReplicas: this.failedReplicas,
    });
  }

  private createReplica(name: string, args: RerankerDeploymentArgs, plan: ReturnType<typeof planLaunch>, apiKey: pulumi.Output<string>,
    sweeper: VastLabelSweeper, placement: pulumi.Output<ReplicaPlacement> | undefined): ReplicaParts {
    const cfg = args.config;
    // Only with failures tolerated do these inputs appear, so other stacks' inputs stay as they were.
    const tolerant = minReady(cfg) < (cfg.replicas ?? 1);
    const instance = new VastInstance(`${name}-instance`, {
      apiUrl: args.apiUrl,
      labelPrefix: cfg.labelPrefix,
      stackName: pulumi.getStack(),
      resourceName: name,
      nonce: sweeper.nonce,
      selection: selectionFor(cfg, plan.spec.image),
      image: plan.spec.image,
      env: plan.env,
      secretEnv: pulumi.secret({ VLLM_API_KEY: apiKey }),
      runtype: plan.runtype,
      onstart: plan.onstart,
      args: plan.args,
      maxAttempts: cfg.maxAttempts,
      bootTimeoutSeconds: cfg.bootTimeoutSeconds,
      replacePaused: cfg.replacePaused,
      ...(placement ? { placement } : {}),
      // Only when set: a single-replica stack's instance inputs stay exactly as before replicas existed.
      ...(createFirst(cfg) ? { createBeforeDelete: true } : {}),
      ...((cfg.race ?? 1) > 1 ? { race: cfg.race } : {}),
      ...(tolerant ? { tolerateBootFailure: true } : {}),
    }, { parent: this, dependsOn: [sweeper] });

    const vastUrl = typeof args.apiUrl === "string" ? args.apiUrl : new pulumi.Config("vast").get("apiUrl") || process.env.VAST_API_URL || DEFAULT_API_URL;
    const knobs = probeKnobOverrides(process.env, vastUrl);
    logOnce(knobs.notes, (m) => void pulumi.log.info(m, this));
    const readiness = new command.local.Command(`${name}-readiness`, {
      // Node 22 strips the types; the probe prints a JSON report and never the key.
      create: "node components/readiness/probe.ts",
      environment: {
        RERANKER_ENDPOINT: pulumi.interpolate`http://${instance.publicIp}:${instance.port}`,
        RERANKER_API_KEY: apiKey,
        RERANKER_MODEL: cfg.servedModelName,
        PROBE_DEADLINE_SECONDS: String(cfg.probeTimeoutSeconds),
        PROBE_HARDENED: String(cfg.hardened),
        // From config only: a PROBE_EXPECT_OPEN in the environment of `pulumi` no longer changes the verdict.
        PROBE_EXPECT_OPEN: cfg.probeExpectOpen,
        ...knobs.environment,
        ...(tolerant ? { PROBE_SKIP_REASON: instance.failure.apply((f) => f ?? "") } : {}),
      },
      triggers: [instance.instanceId],
      logging: "stdoutAndStderr",
    }, { parent: this, dependsOn: [instance], additionalSecretOutputs: ["stdout", "stderr"] });
    return { name, instance, readiness };
  }
}
