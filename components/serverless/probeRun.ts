// The serverless readiness probe (entry point: probe.ts). Asks the engine's /route/ for a worker,
// sends the guide's rerank through it exactly as Vast's client does (components/client/serverless.ts:
// the route's signed auth data in the envelope, the endpoint key as Bearer and ?api_key=, TLS trusting
// the CA Vast's client trusts), checks the order, and proves the worker refuses what it must: the
// same signed auth data without the key, and a forged signature with it. Prints a JSON report; never
// the key.
import { GUIDE_DOCUMENTS, GUIDE_QUERY, GUIDE_RELEVANT, judgeRerank } from "../readiness/verdicts.ts";
import { EXIT, scrubSecrets } from "../readiness/report.ts";
import { ServerlessRerankClient } from "../client/serverless.ts";

interface Env {
  routeUrl: string;
  caUrl: string;
  name: string;
  key: string;
  model: string;
  deadlineMs: number;
}

function readEnv(e: NodeJS.ProcessEnv): Env | string {
  const need = ["SERVERLESS_ROUTE_URL", "SERVERLESS_CA_URL", "SERVERLESS_ENDPOINT_NAME", "SERVERLESS_ENDPOINT_KEY", "RERANKER_MODEL"];
  const missing = need.filter((k) => !e[k]);
  if (missing.length) return `missing ${missing.join(", ")}`;
  const deadline = Number(e.PROBE_DEADLINE_SECONDS ?? "900");
  return { routeUrl: e.SERVERLESS_ROUTE_URL as string, caUrl: e.SERVERLESS_CA_URL as string, name: e.SERVERLESS_ENDPOINT_NAME as string, key: e.SERVERLESS_ENDPOINT_KEY as string, model: e.RERANKER_MODEL as string, deadlineMs: (Number.isFinite(deadline) && deadline > 0 ? deadline : 900) * 1000 };
}

/** The probe; returns the exit code. */
export async function runProbe(env: Env, out: (s: string) => void): Promise<number> {
  const t0 = performance.now();
  const report: Record<string, unknown> = { ok: false, endpoint: env.name };
  const client = new ServerlessRerankClient({ routeUrl: env.routeUrl, caUrl: env.caUrl, endpointName: env.name, endpointKey: env.key, timeoutMs: env.deadlineMs });
  try {
    const payload = { model: env.model, query: GUIDE_QUERY, documents: GUIDE_DOCUMENTS };
    let served;
    try {
      served = await client.request("/v1/rerank", payload);
    } catch (e) {
      out(JSON.stringify({ ...report, reason: (e as Error).message }));
      return /deadline/.test((e as Error).message) ? EXIT.timeout : EXIT.failed;
    }
    const verdict = served.status === 200 ? judgeRerank(served.body, GUIDE_DOCUMENTS.length, GUIDE_RELEVANT) : { ok: false, problems: [`HTTP ${served.status} ${JSON.stringify(served.body).slice(0, 200)}`] };
    // Who may call: Vast's worker accepts any auth data Vast signed; ours also wants the key.
    const envelope = { auth_data: served.authData, payload, session_id: null };
    const replayWithoutKey = await client.rawWorkerPost(`${served.worker}/v1/rerank`, envelope, undefined);
    const forged = { ...envelope, auth_data: { ...served.authData, signature: Buffer.alloc(256, 1).toString("base64") } };
    const forgedSignature = await client.rawWorkerPost(`${served.worker}/v1/rerank`, forged, env.key);
    const refused = { replayWithoutKey, forgedSignature };
    const ok = verdict.ok && replayWithoutKey === 401 && forgedSignature === 401;
    Object.assign(report, { ok, worker: served.worker, readyAfterMs: Math.round(performance.now() - t0), rerank: verdict, refused });
    if (!verdict.ok) report.reason = `the guide's rerank through the route failed: ${(verdict.problems ?? []).join("; ")}`;
    else if (!ok) report.reason = `the worker served what it must refuse: ${JSON.stringify(refused)} (want 401 and 401)`;
    out(JSON.stringify(report));
    return ok ? EXIT.ok : EXIT.failed;
  } finally {
    await client.close();
  }
}

export async function runAsProgram(): Promise<void> {
  const env = readEnv(process.env);
  if (typeof env === "string") {
    process.stderr.write(`serverless probe: ${env}\n`);
    process.exit(EXIT.usage);
  }
  const code = await runProbe(env, (s) => process.stdout.write(`${scrubSecrets(s, [env.key])}\n`));
  if (code !== EXIT.ok) process.stderr.write("serverless probe failed (see the report above)\n");
  process.exit(code);
}
