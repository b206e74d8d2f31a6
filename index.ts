// vast-reranker: a verified reranker endpoint on a rented Vast.ai GPU. See README.md.
import { enableCompileCache } from "node:module";
import { Config } from "@pulumi/pulumi/config.js";
import { secret } from "@pulumi/pulumi/output.js";
import { RerankerDeployment, loadDeploymentConfig } from "./components/rerankerDeployment.ts";

// V8's code cache for the SDK modules loaded from here on (≈ 0.2 s less start-up per run; Node checks
// each entry against the source, NODE_DISABLE_COMPILE_CACHE=1 turns it off). See docs/benchmarks.md.
enableCompileCache(".cache/node-compile-cache");
const projectConfig = new Config("vast-reranker");
// Read and validated before any resource exists: a bad value fails at once, naming its key.
const config = loadDeploymentConfig(projectConfig);

const reranker = new RerankerDeployment("reranker", { config });

export const endpoint = reranker.endpoint;
export const ip = reranker.ip;
export const port = reranker.port;
export const rerankUrl = reranker.rerankUrl;
export const scoreUrl = reranker.scoreUrl;
export const cohereBaseUrl = reranker.cohereBaseUrl;
export const apiKey = secret(reranker.apiKey);
export const model = reranker.model;
export const instanceId = reranker.instanceId;
export const gpuName = reranker.gpuName;
export const pricePerHour = reranker.pricePerHour;
export const probeReport = reranker.probeReport;
