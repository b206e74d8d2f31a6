// V8's code cache for the program (index.ts imports this module first, so it covers everything
// loaded after it, @pulumi/pulumi above all): Node's public API, Node >= 22.1. The SDK load is most
// of a preview's program time and takes about half as long from the cache (docs/benchmarks.md).
// The cache lives where Node puts it by default (NODE_COMPILE_CACHE, else <tmpdir>/node-compile-cache);
// Node checks each entry against its source file, and NODE_DISABLE_COMPILE_CACHE=1 turns it off.
import { enableCompileCache } from "node:module";

enableCompileCache();
