// The module Pulumi's dynamic-provider host imports for every Vast resource (components/dynamic):
// one module, so the first resource checked (the sweeper, registered first) loads the instance
// provider's code too, while the program is still starting.
// Its path (components/vast/providers.ts) and the class names are written into every stack's state
// by the loader text: keep this file where it is when the code behind it moves.
export { VastInstanceProvider } from "./instance/instanceProvider.ts";
export { VastLabelSweeperProvider } from "./sweeper/labelSweeperProvider.ts";
