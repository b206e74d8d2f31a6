// ServerlessReranker (vast-reranker:mode = serverless): endpoint group → worker group (our worker
// script in front of loopback vLLM on every worker) → readiness through the route → outputs.
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import type { DeploymentConfig } from "../config.ts";
import { StackConfigError } from "../stackConfigError.ts";
import { selectionFor } from "../rerankerDeployment.ts";
import { TOP_LEVEL_KEYS, buildOfferQuery } from "../vast/offers/offerQuery.ts";
import { buildWorkerLaunch } from "./launch.ts";
import { planWorker, validateServerless } from "./plan.ts";
import { VastServerlessEndpoint, VastWorkerGroup } from "./resources.ts";
import { endpointNameFor } from "./settings.ts";

export interface ServerlessRerankerArgs {
  config: DeploymentConfig;
  apiUrl?: pulumi.Input<string>;
}

/** The offer filter as Vast's search_params (instance mode's query, less the search-call keys). */
function searchParamsFor(cfg: DeploymentConfig): Record<string, unknown> {
  const q = buildOfferQuery(selectionFor(cfg, cfg.image)) as unknown as Record<string, unknown>;
  return Object.fromEntries(Object.entries(q).filter(([k]) => !TOP_LEVEL_KEYS.includes(k)));
}

export class ServerlessReranker extends pulumi.ComponentResource {
  public readonly endpointName: pulumi.Output<string>;
  public readonly endpointId: pulumi.Output<number>;
  public readonly workerGroupId: pulumi.Output<number>;
  public readonly routeUrl: pulumi.Output<string>;
  /** Secret: what a consumer gives Vast's client (or ours) to call the endpoint. */
  public readonly endpointKey: pulumi.Output<string>;
  public readonly model: pulumi.Output<string>;
  public readonly probeReport: pulumi.Output<string>;

  constructor(name: string, args: ServerlessRerankerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("vast-reranker:index:ServerlessReranker", name, {}, opts);
    const cfg = args.config;
    const problems = validateServerless(cfg);
    if (problems.length) throw new StackConfigError(problems);
    const plan = planWorker(cfg);
    // VR_CONSOLE_URL is filled in by the worker-group provider with the Vast URL it talks to.
    const launch = buildWorkerLaunch(plan.spec, { consoleUrl: "", maxQueueTime: cfg.serverless.maxQueueTime, extraEnv: plan.userEnv });
    const endpoint = new VastServerlessEndpoint(`${name}-endpoint`, {
      apiUrl: args.apiUrl, endpointName: endpointNameFor(cfg.serverless, pulumi.getStack()), settings: cfg.serverless,
    }, { parent: this });
    const group = new VastWorkerGroup(`${name}-workers`, {
      apiUrl: args.apiUrl, endpointId: endpoint.endpointId, endpointName: endpoint.endpointName, endpointKey: endpoint.endpointKey,
      launch, diskGb: cfg.selection.diskGb, searchParams: searchParamsFor(cfg),
      ...(cfg.selection.gpuRamGb !== undefined ? { gpuRamGb: cfg.selection.gpuRamGb } : {}),
      coldWorkers: cfg.serverless.coldWorkers, maxWorkers: cfg.serverless.maxWorkers,
    }, { parent: this, dependsOn: [endpoint] });
    const readiness = new command.local.Command(`${name}-readiness`, {
      create: "node components/serverless/probe.ts",
      environment: {
        SERVERLESS_ROUTE_URL: endpoint.routeUrl,
        SERVERLESS_CA_URL: endpoint.caUrl,
        SERVERLESS_ENDPOINT_NAME: endpoint.endpointName,
        SERVERLESS_ENDPOINT_KEY: endpoint.endpointKey,
        RERANKER_MODEL: cfg.servedModelName,
        PROBE_DEADLINE_SECONDS: String(cfg.probeTimeoutSeconds),
      },
      triggers: [group.workerGroupId, endpoint.endpointId],
      logging: "stdoutAndStderr",
    }, { parent: this, dependsOn: [group], additionalSecretOutputs: ["stdout", "stderr"] });

    // Everything resolves only once the probe has passed.
    const report = pulumi.unsecret(readiness.stdout);
    const after = <T>(o: pulumi.Output<T>) => pulumi.all([report, o]).apply(([, v]) => v);
    this.endpointName = after(endpoint.endpointName);
    this.endpointId = after(endpoint.endpointId);
    this.workerGroupId = after(group.workerGroupId);
    this.routeUrl = after(endpoint.routeUrl);
    this.endpointKey = pulumi.secret(after(endpoint.endpointKey));
    this.model = report.apply(() => cfg.servedModelName);
    this.probeReport = report;
    this.registerOutputs({
      endpointName: this.endpointName, endpointId: this.endpointId, workerGroupId: this.workerGroupId, routeUrl: this.routeUrl,
      endpointKey: this.endpointKey, model: this.model, probeReport: this.probeReport,
    });
  }
}
