// The VastInstance resource: a thin dynamic resource over VastInstanceProvider. The program never
// loads the provider code: Pulumi's dynamic-provider host imports it (components/dynamic).
import type * as pulumi from "@pulumi/pulumi";
import { ProjectDynamicResource } from "../../dynamic/projectProvider.ts";
import type { VastInstanceInputs } from "./instanceLogic.ts";
import type { OfferSelection } from "../offers/offerQuery.ts";
import type { ReplicaPlacement } from "./placement.ts";

export interface VastInstanceArgs {
  apiUrl?: pulumi.Input<string>;
  labelPrefix: pulumi.Input<string>;
  stackName: pulumi.Input<string>;
  resourceName: pulumi.Input<string>;
  nonce: pulumi.Input<string>;
  selection: pulumi.Input<OfferSelection>;
  image: pulumi.Input<string>;
  env: pulumi.Input<Record<string, string>>;
  /** Pass as a secret Output; only its SHA-256 is kept in outputs. */
  secretEnv: pulumi.Input<Record<string, pulumi.Input<string>>>;
  runtype: pulumi.Input<string>;
  onstart: pulumi.Input<string | null>;
  args: pulumi.Input<string[]>;
  containerPort?: pulumi.Input<number>;
  maxAttempts: pulumi.Input<number>;
  bootTimeoutSeconds: pulumi.Input<number>;
  /** Replace the instance on `up` when a refresh found it paused (outbid); default true. */
  replacePaused?: pulumi.Input<boolean>;
  /** Several replicas: this one's index and every replica's label stem (placement.ts). */
  placement?: pulumi.Input<ReplicaPlacement>;
  /** Replace create-first (new instance verified before the old is destroyed); default delete-first. */
  createBeforeDelete?: pulumi.Input<boolean>;
  /** Offers rented at once per boot, first verified kept (vast-reranker:race); default 1. */
  race?: pulumi.Input<number>;
  /** A boot that fails on every attempt is recorded as failed instead of failing `up`. */
  tolerateBootFailure?: pulumi.Input<boolean>;
}

export class VastInstance extends ProjectDynamicResource {
  declare public readonly instanceId: pulumi.Output<number>;
  declare public readonly offerId: pulumi.Output<number>;
  declare public readonly machineId: pulumi.Output<number>;
  declare public readonly gpuName: pulumi.Output<string>;
  declare public readonly numGpus: pulumi.Output<number>;
  declare public readonly pricePerHour: pulumi.Output<number>;
  declare public readonly publicIp: pulumi.Output<string>;
  declare public readonly port: pulumi.Output<number>;
  declare public readonly sshHost: pulumi.Output<string>;
  declare public readonly sshPort: pulumi.Output<number>;
  declare public readonly status: pulumi.Output<string>;
  declare public readonly paused: pulumi.Output<boolean>;
  declare public readonly label: pulumi.Output<string>;
  /** Set only on a failed record (tolerateBootFailure): why every boot attempt failed. */
  declare public readonly failure: pulumi.Output<string | undefined>;

  constructor(name: string, args: VastInstanceArgs, opts?: pulumi.CustomResourceOptions) {
    const inputs: Record<keyof VastInstanceInputs | string, unknown> = {
      containerPort: 8000,
      ...args,
      label: undefined,
      instanceId: undefined, offerId: undefined, machineId: undefined, gpuName: undefined, numGpus: undefined,
      pricePerHour: undefined, publicIp: undefined, port: undefined, sshHost: undefined, sshPort: undefined, status: undefined, paused: undefined, failure: undefined,
    };
    // The key's hash is secret too: a user-chosen (weak) key could be guessed from it offline.
    const secretOutputs = [...(opts?.additionalSecretOutputs ?? []), "secretEnvHash"];
    // Provider code: components/dynamic/registry.ts ("vast:Instance").
    super("vast:Instance", name, inputs, { ...opts, additionalSecretOutputs: secretOutputs });
  }
}
