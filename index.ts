// vast-reranker: a verified reranker endpoint on a rented Vast.ai GPU. See README.md.
import "./components/compileCache.ts"; // first: V8's code cache for every module loaded after it
import * as pulumi from "@pulumi/pulumi";
import { RerankerDeployment, loadDeploymentConfig } from "./components/rerankerDeployment.ts";

// Read and validated before any resource exists: a bad value fails at once, naming its key.
const config = loadDeploymentConfig(new pulumi.Config("vast-reranker"));

const reranker = new RerankerDeployment("reranker", { config });

export const endpoint = reranker.endpoint;
export const ip = reranker.ip;
export const port = reranker.port;
export const rerankUrl = reranker.rerankUrl;
export const scoreUrl = reranker.scoreUrl;
export const cohereBaseUrl = reranker.cohereBaseUrl;
export const apiKey = pulumi.secret(reranker.apiKey);
export const model = reranker.model;
export const instanceId = reranker.instanceId;
export const gpuName = reranker.gpuName;
export const pricePerHour = reranker.pricePerHour;
export const probeReport = reranker.probeReport;
// Replicas (vast-reranker:replicas): every verified endpoint, replica 0 first (= endpoint above).
export const endpoints = reranker.endpoints;
export const replicas = reranker.replicas;
export const pricePerHourTotal = reranker.pricePerHourTotal;
export const probeReports = reranker.probeReports;
// vast-reranker:minReadyReplicas below replicas: replicas whose every boot attempt failed, with why.
export const failedReplicas = reranker.failedReplicas;
