// The serverless dynamic resources: thin classes over the providers in ./providers.ts (the program
// never loads provider code: Pulumi's dynamic-provider host imports it, components/dynamic).
import type * as pulumi from "@pulumi/pulumi";
import { ProjectDynamicResource } from "../dynamic/projectProvider.ts";
import type { ServerlessSettings } from "./settings.ts";
import type { WorkerLaunch } from "./launch.ts";

export interface ServerlessEndpointArgs {
  apiUrl?: pulumi.Input<string>;
  endpointName: pulumi.Input<string>;
  settings: pulumi.Input<ServerlessSettings>;
}

export class VastServerlessEndpoint extends ProjectDynamicResource {
  declare public readonly endpointId: pulumi.Output<number>;
  declare public readonly endpointName: pulumi.Output<string>;
  /** Secret. */
  declare public readonly endpointKey: pulumi.Output<string>;
  declare public readonly routeUrl: pulumi.Output<string>;
  declare public readonly caUrl: pulumi.Output<string>;

  constructor(name: string, args: ServerlessEndpointArgs, opts?: pulumi.CustomResourceOptions) {
    // Provider code: components/dynamic/registry.ts ("vast:ServerlessEndpoint").
    super("vast:ServerlessEndpoint", name, { ...args, endpointId: undefined, endpointKey: undefined, routeUrl: undefined, caUrl: undefined },
      { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "endpointKey"] });
  }
}

export interface WorkerGroupArgs {
  apiUrl?: pulumi.Input<string>;
  endpointId: pulumi.Input<number>;
  endpointName: pulumi.Input<string>;
  /** Pass the endpoint's secret output: only its hash is kept in outputs. */
  endpointKey: pulumi.Input<string>;
  launch: pulumi.Input<WorkerLaunch>;
  diskGb: pulumi.Input<number>;
  searchParams: pulumi.Input<Record<string, unknown>>;
  gpuRamGb?: pulumi.Input<number>;
  coldWorkers: pulumi.Input<number>;
  maxWorkers: pulumi.Input<number>;
}

export class VastWorkerGroup extends ProjectDynamicResource {
  declare public readonly workerGroupId: pulumi.Output<number>;

  constructor(name: string, args: WorkerGroupArgs, opts?: pulumi.CustomResourceOptions) {
    // Provider code: components/dynamic/registry.ts ("vast:ServerlessWorkerGroup").
    super("vast:ServerlessWorkerGroup", name, { ...args, workerGroupId: undefined, endpointKeyHash: undefined },
      { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "endpointKeyHash"] });
  }
}
