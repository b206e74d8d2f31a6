// The module Pulumi's dynamic-provider host imports for the serverless resources (components/dynamic).
// Its path and export names are written into every serverless stack's state by the loader text
// (components/dynamic/registry.ts): keep this file where it is, re-exporting the classes under these names.
export { VastServerlessEndpointProvider } from "./endpointProvider.ts";
export { VastWorkerGroupProvider } from "./workerGroupProvider.ts";
