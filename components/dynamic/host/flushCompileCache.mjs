// Preloaded into the dynamic-provider host: the engine stops the host with SIGINT, so Node never
// reaches the exit hook that writes its compile cache. Write it once the host has loaded.
import module from "node:module";
setImmediate(() => module.flushCompileCache?.());
