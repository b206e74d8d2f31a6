// VastLabelSweeper: the resource over VastLabelSweeperProvider (see labelSweeperProvider.ts for why
// it exists). Like VastInstance, its provider code is loaded by the dynamic-provider host.
import type * as pulumi from "@pulumi/pulumi";
import { ProjectDynamicResource } from "../../dynamic/projectProvider.ts";

export interface VastLabelSweeperArgs {
  apiUrl?: pulumi.Input<string>;
  labelPrefix: pulumi.Input<string>;
  stackName: pulumi.Input<string>;
  resourceName: pulumi.Input<string>;
}

export class VastLabelSweeper extends ProjectDynamicResource {
  declare public readonly nonce: pulumi.Output<string>;
  declare public readonly labelStem: pulumi.Output<string>;

  constructor(name: string, args: VastLabelSweeperArgs, opts?: pulumi.CustomResourceOptions) {
    // Provider code: components/dynamic/registry.ts ("vast:LabelSweeper").
    super("vast:LabelSweeper", name, { ...args, nonce: undefined, labelStem: undefined }, opts);
  }
}
