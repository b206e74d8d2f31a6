// A second stack that consumes the reranker: StackReference → endpoint + key → a real rerank call.
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";

const config = new pulumi.Config();
const reranker = new pulumi.StackReference(config.require("rerankerStack"));

const endpoint = reranker.requireOutput("cohereBaseUrl") as pulumi.Output<string>;
const apiKey = reranker.requireOutput("apiKey") as pulumi.Output<string>; // stays secret
const model = reranker.requireOutput("model") as pulumi.Output<string>;
// Every replica (vast-reranker:replicas); a stack deployed before replicas existed has only `endpoint`.
const endpoints = pulumi.all([reranker.getOutput("endpoints"), endpoint]).apply(([list, first]) => (Array.isArray(list) && list.length ? (list as string[]) : [first]));

const documents = [
  "Deep learning is a subset of machine learning that uses neural networks with many layers",
  "The weather is nice today",
  "Deep learning enables computers to learn from large amounts of data",
  "I like pizza",
];

// Re-runs when the endpoint changes (a replaced instance), like any dependent service would.
const rerank = new command.local.Command("rerank", {
  create: "node rerank.ts",
  environment: {
    RERANKER_ENDPOINT: endpoint,
    RERANKER_ENDPOINTS: endpoints.apply((l) => JSON.stringify(l)),
    RERANKER_API_KEY: apiKey,
    RERANKER_MODEL: model,
    QUERY: config.get("query") ?? "What is Deep Learning?",
    DOCUMENTS: JSON.stringify(documents),
  },
  triggers: [endpoints],
  logging: "stdout",
}, { additionalSecretOutputs: ["stderr"] });

// rerank.ts prints only ranked documents and scores, never the key.
const ranking = pulumi.unsecret(rerank.stdout).apply((s) => JSON.parse(s) as Array<{ index: number; score: number; text: string }>);
export const rerankEndpoint = endpoint;
export const rerankEndpoints = endpoints;
export const topDocument = ranking.apply((r) => r[0].text);
export const scores = ranking.apply((r) => r.map((x) => x.score));
