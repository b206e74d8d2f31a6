// The module Pulumi's dynamic-provider host imports for every Vast resource (components/dynamic):
// one module, so the first resource checked (the sweeper, registered first) loads the instance
// provider's code too, while the program is still starting.
export { VastInstanceProvider } from "./instanceProvider.ts";
export { VastLabelSweeperProvider } from "./labelSweeperProvider.ts";
