// VastLabelSweeper: the resource over VastLabelSweeperProvider (see labelSweeperProvider.ts for why
// it exists). Like VastInstance, its provider code is loaded by the dynamic-provider host.
import type * as pulumi from "@pulumi/pulumi";
import { ProjectDynamicResource, type ProjectProviderRef } from "../../dynamic/projectProvider.ts";

export const VAST_LABEL_SWEEPER_PROVIDER: ProjectProviderRef = {
  module: "components/vast/providers.ts",
  className: "VastLabelSweeperProvider",
  methods: ["configure", "create", "diff", "update", "read", "delete"],
};

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
    super(VAST_LABEL_SWEEPER_PROVIDER, "vast", "LabelSweeper", name, { ...args, nonce: undefined, labelStem: undefined }, opts);
  }
}
