// Readiness probe entry point: `node components/readiness/probe.ts` (run by a local.Command).
// Env: RERANKER_ENDPOINT, RERANKER_API_KEY, RERANKER_MODEL, PROBE_DEADLINE_SECONDS (900),
// PROBE_POLL_MS (250), PROBE_REQUEST_TIMEOUT_MS (30000), PROBE_EXPECT_OPEN, PROBE_HARDENED,
// PROBE_SKIP_REASON (set: report {ok:false, skipped:true} and exit 0 — a replica whose boot failed).
// Exit: 0 ready, 1 a check failed, 2 bad env, 3 /health not 200 before the deadline.
//
// Only a dynamic import on purpose: the file then loads quietly whether or not package.json says
// "type": "module" (without it, static imports would print MODULE_TYPELESS_PACKAGE_JSON into the
// probe's output).
void import("./run.ts").then((m) => m.runAsProgram());
