// vast-reranker: a verified reranker endpoint on a rented Vast.ai GPU. See README.md.
import "./components/compileCache.ts"; // first: V8's code cache for every module loaded after it
import * as pulumi from "@pulumi/pulumi";
import { RerankerDeployment, loadDeploymentConfig } from "./components/rerankerDeployment.ts";
import { ServerlessReranker } from "./components/serverless/deployment.ts";

// Read and validated before any resource exists: a bad value fails at once, naming its key.
const config = loadDeploymentConfig(new pulumi.Config("vast-reranker"));

// vast-reranker:mode: instance (rented instances, the default) or serverless (a Vast Serverless endpoint).
const reranker = config.mode === "instance" ? new RerankerDeployment("reranker", { config }) : undefined;
const serverless = config.mode === "serverless" ? new ServerlessReranker("reranker", { config }) : undefined;

export const endpoint = reranker?.endpoint;
export const ip = reranker?.ip;
export const port = reranker?.port;
export const rerankUrl = reranker?.rerankUrl;
export const scoreUrl = reranker?.scoreUrl;
export const cohereBaseUrl = reranker?.cohereBaseUrl;
export const apiKey = reranker && pulumi.secret(reranker.apiKey);
export const model = reranker?.model ?? serverless?.model;
export const instanceId = reranker?.instanceId;
export const gpuName = reranker?.gpuName;
export const pricePerHour = reranker?.pricePerHour;
export const probeReport = reranker?.probeReport ?? serverless?.probeReport;
// Replicas (vast-reranker:replicas): every verified endpoint, replica 0 first (= endpoint above).
export const endpoints = reranker?.endpoints;
export const replicas = reranker?.replicas;
export const pricePerHourTotal = reranker?.pricePerHourTotal;
export const probeReports = reranker?.probeReports;
// vast-reranker:minReadyReplicas below replicas: replicas whose every boot attempt failed, with why.
export const failedReplicas = reranker?.failedReplicas;
// Serverless (docs/serverless.md): a consumer needs endpointName and endpointKey (secret) for Vast's client.
export const endpointName = serverless?.endpointName;
export const endpointId = serverless?.endpointId;
export const workerGroupId = serverless?.workerGroupId;
export const routeUrl = serverless?.routeUrl;
export const endpointKey = serverless && pulumi.secret(serverless.endpointKey);
