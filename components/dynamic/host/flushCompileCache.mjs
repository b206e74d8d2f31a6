// Preloaded into the dynamic-provider host. The engine stops the host with SIGINT, so Node never
// reaches the exit hook that writes its compile cache: write it once the host's modules have loaded
// (the host loads them synchronously, so this runs after them), and again later for late loads.
import module from "node:module";
import { setImmediate, setTimeout } from "node:timers";

const flush = () => module.flushCompileCache?.();
setImmediate(flush);
setTimeout(flush, 2_000).unref();
