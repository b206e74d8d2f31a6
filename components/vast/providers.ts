// The module Pulumi's dynamic-provider host imports for every Vast resource (components/dynamic):
// one module, so the first resource checked loads the other provider's code too.
// Its path (components/vast/providers.ts) and the export names are written into every stack's state
// by the loader text (components/dynamic/registry.ts): keep this file where it is, re-exporting the
// classes under these names, when the code behind it moves.
export { VastInstanceProvider } from "./instance/instanceProvider.ts";
export { VastLabelSweeperProvider } from "./sweeper/labelSweeperProvider.ts";
