// Serverless readiness probe entry point: `node components/serverless/probe.ts` (run by a local.Command).
// Env: SERVERLESS_ROUTE_URL, SERVERLESS_CA_URL, SERVERLESS_ENDPOINT_NAME, SERVERLESS_ENDPOINT_KEY,
// RERANKER_MODEL, PROBE_DEADLINE_SECONDS. Exit: 0 ready, 1 a check failed, 2 bad env, 3 no worker in time.
// A dynamic import, as components/readiness/probe.ts does (no module-type warning in the output).
void import("./probeRun.ts").then((m) => m.runAsProgram());
