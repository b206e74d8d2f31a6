// Load test for a deployed reranker: concurrent /v1/rerank requests, throughput and latency, over
// every replica: each request goes to the replica the failover client would pick (chooseReplica,
// power-of-two-choices on requests in flight; a replica whose request failed is skipped for the
// client's cool-down). No retries: a failed request is counted, per replica.
// Usage: npm run loadtest -- --stack dev  |  --url http://ip:port [--url …] (key in RERANKER_API_KEY)
// Serverless (vast-reranker:mode serverless): --stack finds routeUrl/endpointName/endpointKey, or
// --route-url <engine>/route/ --endpoint-name N (key in RERANKER_API_KEY); every request goes through
// the route as Vast's client does (components/client/serverless.ts), claiming --cost load units
// (default 25 per document, Vast's 100 for the guide's four). --duration S runs for S seconds instead
// of --requests.
import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import { Agent, request } from "undici";
import { chooseReplica } from "../../components/client/choice.ts";
import { formatReport, makeWorkloads, OVERHEAD_TARGET, overheadLine, progressBar, rng, summarize, type Sample, type Workload } from "./stats.ts";
import { ServerlessRerankClient } from "../../components/client/serverless.ts";

const { values } = parseArgs({
  options: {
    stack: { type: "string" },
    url: { type: "string", multiple: true },
    model: { type: "string" },
    requests: { type: "string", default: "200" },
    concurrency: { type: "string", default: "8" },
    docs: { type: "string", default: "20" },
    words: { type: "string", default: "40" },
    "compare-baseline": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    "route-url": { type: "string" },
    "endpoint-name": { type: "string" },
    "ca-url": { type: "string" },
    cost: { type: "string" },
    duration: { type: "string" },
  },
});

/** The client's default cool-down (components/client/failover.ts). */
const COOLDOWN_MS = 30_000;

/** Replicas' base URLs, or (serverless) the route URL with the endpoint's name. */
function target(): { endpoints: string[]; key: string; model: string; endpointName?: string } {
  if (values.stack) {
    const out = JSON.parse(execFileSync("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", values.stack], { encoding: "utf8" })) as { endpoint?: string; endpoints?: string[]; apiKey: string; model?: string; routeUrl?: string; endpointKey?: string; endpointName?: string };
    if (out.routeUrl) return { endpoints: [out.routeUrl], key: out.endpointKey ?? "", model: values.model ?? out.model ?? "BAAI/bge-reranker-base", endpointName: out.endpointName };
    const endpoints = out.endpoints?.length ? out.endpoints : out.endpoint ? [out.endpoint] : [];
    if (!endpoints.length) throw new Error(`stack ${values.stack} has no \`endpoints\` or \`endpoint\` output: run \`pulumi up\` first`);
    return { endpoints, key: out.apiKey, model: values.model ?? out.model ?? "BAAI/bge-reranker-base" };
  }
  if (values["route-url"]) {
    if (!values["endpoint-name"]) throw new Error("--route-url needs --endpoint-name (and the endpoint key in RERANKER_API_KEY)");
    return { endpoints: [values["route-url"]], key: process.env.RERANKER_API_KEY ?? "", model: values.model ?? "BAAI/bge-reranker-base", endpointName: values["endpoint-name"] };
  }
  const urls = (values.url ?? []).flatMap((u) => u.split(",")).map((u) => u.trim().replace(/\/+$/, "")).filter(Boolean);
  if (!urls.length) throw new Error("give --stack <name> or --url http://ip:port (repeat --url, or separate with commas, for several replicas; key in RERANKER_API_KEY)");
  return { endpoints: [...new Set(urls)], key: process.env.RERANKER_API_KEY ?? "", model: values.model ?? "BAAI/bge-reranker-base" };
}

const int = (name: keyof typeof values, min: number): number => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min} (got ${values[name]})`);
  return n;
};

type Sender = (w: Workload, endpoint: string) => Promise<number>;

/** --compare-baseline: rounds of (tool, bare undici) over the same requests; odd count for a true median. */
const BASELINE_ROUNDS = 5;

/** A status after which the client would move on and cool the replica down. */
const replicaFailed = (status: number) => status === 0 || status === 429 || status >= 500 && status !== 598;

/**
 * Runs the workload with `concurrency` workers, each request to the replica chooseReplica picks (the
 * draws seeded, so runs are comparable); returns samples and wall time. With `durationMs` the
 * workloads are reused in turn until the time is up.
 */
async function drive(send: Sender, work: Workload[], concurrency: number, showProgress: boolean, endpoints: string[], durationMs = 0): Promise<{ samples: Sample[]; seconds: number }> {
  const samples: Sample[] = [];
  const outstanding = new Map(endpoints.map((e) => [e, 0]));
  const failedAt = new Map<string, number>();
  const random = rng(1);
  let next = 0;
  const t0 = performance.now();
  const more = () => (durationMs > 0 ? performance.now() - t0 < durationMs : next < work.length);
  const tick = setInterval(() => showProgress && !durationMs && process.stderr.write(`\r${progressBar(samples.length, work.length)}`), 200);
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (more()) {
      const w = work[next++ % work.length];
      const views = endpoints.map((endpoint) => ({ endpoint, outstanding: outstanding.get(endpoint) as number, failedAt: failedAt.get(endpoint) }));
      const endpoint = chooseReplica(views, { strategy: "spread", now: Date.now(), cooldownMs: COOLDOWN_MS, random }) as string;
      outstanding.set(endpoint, (outstanding.get(endpoint) as number) + 1);
      const s = performance.now();
      const status = await send(w, endpoint).catch(() => 0); // 0 = network error
      samples.push({ ms: performance.now() - s, status, pairs: w.documents.length, endpoint });
      outstanding.set(endpoint, (outstanding.get(endpoint) as number) - 1);
      if (replicaFailed(status)) failedAt.set(endpoint, Date.now());
      else failedAt.delete(endpoint);
    }
  }));
  clearInterval(tick);
  if (showProgress && !durationMs) process.stderr.write(`\r${progressBar(samples.length, work.length)}\n`);
  return { samples, seconds: (performance.now() - t0) / 1000 };
}

export async function main(): Promise<void> {
  const t = target();
  const concurrency = int("concurrency", 1);
  const work = makeWorkloads(int("requests", 1), int("docs", 1), int("words", 1));
  const agent = new Agent({ connections: concurrency, keepAliveTimeout: 10_000 });
  const headers = { "content-type": "application/json", authorization: `Bearer ${t.key}` };
  // The tool's path: validates the answer (results length) like a real client would.
  const tool: Sender = async (w, endpoint) => {
    const res = await request(`${endpoint}/v1/rerank`, { method: "POST", headers, body: JSON.stringify({ model: t.model, query: w.query, documents: w.documents }), dispatcher: agent });
    const body = (await res.body.json()) as { results?: unknown[] };
    return res.statusCode === 200 && body.results?.length !== w.documents.length ? 598 : res.statusCode;
  };
  // A bare undici loop: same requests, nothing else.
  const bare: Sender = async (w, endpoint) => {
    const res = await request(`${endpoint}/v1/rerank`, { method: "POST", headers, body: JSON.stringify({ model: t.model, query: w.query, documents: w.documents }), dispatcher: agent });
    await res.body.dump();
    return res.statusCode;
  };
  const progress = process.stderr.isTTY && !values.json;
  const result: Record<string, unknown> = { endpoints: t.endpoints, concurrency, docsPerRequest: work[0].documents.length };
  let report;
  if (t.endpointName) {
    // Serverless: through the route, re-routing as Vast's client does; a 200 must hold every result.
    const routeUrl = t.endpoints[0];
    const caUrl = values["ca-url"] ?? (new URL(routeUrl).hostname === "run.vast.ai" ? undefined : `${new URL(routeUrl).origin}/static/jvastai_root.cer`);
    const client = new ServerlessRerankClient({ routeUrl, endpointName: t.endpointName, endpointKey: t.key, caUrl, timeoutMs: 600_000 });
    const cost = values.cost !== undefined ? Number(values.cost) : undefined;
    const routed: Sender = async (w) => {
      const r = await client.request("/v1/rerank", { model: t.model, query: w.query, documents: w.documents }, cost ?? 25 * w.documents.length);
      return r.status === 200 && (r.body as { results?: unknown[] }).results?.length !== w.documents.length ? 598 : r.status;
    };
    const run = await drive(routed, work, concurrency, progress, t.endpoints, Number(values.duration ?? 0) * 1000);
    await client.close();
    report = summarize(run.samples, run.seconds);
    result.cost = cost ?? "25 per document";
  } else if (!values["compare-baseline"]) {
    const run = await drive(tool, work, concurrency, progress, t.endpoints, Number(values.duration ?? 0) * 1000);
    report = summarize(run.samples, run.seconds, t.endpoints);
  } else {
    // Both paths warmed up (connections, JIT), then interleaved rounds that alternate which side goes
    // first; the overhead is the median of the per-round ratios, so a busy moment of the machine or
    // the server hits both sides of a round instead of skewing one median.
    // A whole untimed pass of each: a short warm-up left the first timed round ~30% slower (JIT).
    await drive(bare, work, concurrency, false, t.endpoints);
    await drive(tool, work, concurrency, false, t.endpoints);
    const rounds: Array<{ tool: { samples: Sample[]; seconds: number }; bare: { samples: Sample[]; seconds: number } }> = [];
    for (let round = 0; round < BASELINE_ROUNDS; round++) {
      if (round % 2 === 0) {
        const tr = await drive(tool, work, concurrency, false, t.endpoints);
        rounds.push({ tool: tr, bare: await drive(bare, work, concurrency, false, t.endpoints) });
      } else {
        const b = await drive(bare, work, concurrency, false, t.endpoints);
        rounds.push({ tool: await drive(tool, work, concurrency, false, t.endpoints), bare: b });
      }
    }
    const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const medianRun = (side: "tool" | "bare") => {
      const m = mid(rounds.map((r) => r[side].seconds));
      return rounds.map((r) => r[side]).find((r) => r.seconds === m) as { samples: Sample[]; seconds: number };
    };
    const mt = medianRun("tool");
    const mb = medianRun("bare");
    report = summarize(mt.samples, mt.seconds, t.endpoints);
    result.baseline = summarize(mb.samples, mb.seconds, t.endpoints);
    result.rounds = rounds.map((r) => ({ toolSeconds: r.tool.seconds, bareSeconds: r.bare.seconds }));
    result.overhead = mid(rounds.map((r) => r.tool.seconds / r.bare.seconds));
    result.overheadTarget = OVERHEAD_TARGET;
  }
  result.report = report;
  await agent.close();
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(formatReport(report));
    if (result.baseline) console.log(`${formatReport(result.baseline as typeof report, "bare undici")}\n${overheadLine(result.overhead as number)}`);
  }
  if (report.ok < report.requests) process.exitCode = 1;
}

await main();
