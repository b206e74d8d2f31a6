// Where each dynamic provider's code lives: the one file that names it (components/dynamic/README.md).
//
// The loader text (projectProvider.ts) writes a provider's module path and export name into every
// resource's `__provider`, in its inputs and its outputs, and Pulumi keeps using the copy in the
// outputs for `refresh` and `destroy` until the resource is next updated. So each pair below is a
// stable interface, read back from stacks deployed long ago:
//   - to move a provider class, keep `module` re-exporting it under `exportName` (today's
//     components/vast/providers.ts is such a re-export), or add the new pair here and keep the old
//     one in RECORDED_IN_STATE, still resolving;
//   - never remove a pair from RECORDED_IN_STATE: tests/dynamic/registry.test.ts loads each one and
//     runs a recorded loader text's delete against the emulator.
import type { ProviderMethod } from "./projectProvider.ts";

export interface RegisteredProvider {
  /** Module path relative to the project root (the directory holding Pulumi.yaml). */
  module: string;
  /** Exported class; constructed once per provider-host process with no arguments. */
  exportName: string;
  /**
   * The ResourceProvider methods the class implements. The host decides by presence (e.g. no
   * `update` → outputs are wiped), so this must list exactly the class's methods (tested).
   */
  methods: readonly ProviderMethod[];
}

/** Stable names (the resource's `<module>:<type>` in `pulumi-nodejs:dynamic/<module>:<type>`) → code. */
export const PROVIDERS = {
  "vast:Instance": {
    module: "components/vast/providers.ts",
    exportName: "VastInstanceProvider",
    methods: ["configure", "check", "diff", "create", "read", "update", "delete"],
  },
  "vast:LabelSweeper": {
    module: "components/vast/providers.ts",
    exportName: "VastLabelSweeperProvider",
    methods: ["configure", "create", "diff", "update", "read", "delete"],
  },
  "vast:ServerlessEndpoint": {
    module: "components/serverless/providers.ts",
    exportName: "VastServerlessEndpointProvider",
    methods: ["configure", "check", "diff", "create", "read", "update", "delete"],
  },
  "vast:ServerlessWorkerGroup": {
    module: "components/serverless/providers.ts",
    exportName: "VastWorkerGroupProvider",
    methods: ["configure", "check", "diff", "create", "read", "update", "delete"],
  },
} as const satisfies Record<string, RegisteredProvider>;

export type ProviderName = keyof typeof PROVIDERS;

/** Every (module, exportName) a released version wrote into state: each must keep resolving. */
export const RECORDED_IN_STATE: readonly { module: string; exportName: string }[] = [
  { module: "components/vast/providers.ts", exportName: "VastInstanceProvider" },
  { module: "components/vast/providers.ts", exportName: "VastLabelSweeperProvider" },
  { module: "components/serverless/providers.ts", exportName: "VastServerlessEndpointProvider" },
  { module: "components/serverless/providers.ts", exportName: "VastWorkerGroupProvider" },
];
