// Load test for a deployed reranker: concurrent /v1/rerank requests, throughput and latency.
// Usage: npm run loadtest -- --stack dev  |  --url http://ip:port (key in RERANKER_API_KEY)
// Serverless (vast-reranker:mode serverless): --stack finds routeUrl/endpointName/endpointKey, or
// --route-url <engine>/route/ --endpoint-name N (key in RERANKER_API_KEY); every request goes through
// the route as Vast's client does (components/client/serverless.ts), claiming --cost load units
// (default 25 per document, Vast's 100 for the guide's four). --duration S runs for S seconds instead
// of --requests.
import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import { Agent, request } from "undici";
import { formatReport, makeWorkloads, progressBar, summarize, type Sample, type Workload } from "./stats.ts";
import { ServerlessRerankClient } from "../../components/client/serverless.ts";

const { values } = parseArgs({
  options: {
    stack: { type: "string" },
    url: { type: "string" },
    model: { type: "string" },
    requests: { type: "string", default: "200" },
    concurrency: { type: "string", default: "8" },
    docs: { type: "string", default: "20" },
    words: { type: "string", default: "40" },
    "compare-baseline": { type: "boolean", default: false },
    "route-url": { type: "string" },
    "endpoint-name": { type: "string" },
    "ca-url": { type: "string" },
    cost: { type: "string" },
    duration: { type: "string" },
    json: { type: "boolean", default: false },
  },
});

function target(): { url: string; key: string; model: string; endpointName?: string } {
  if (values.stack) {
    const out = JSON.parse(execFileSync("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", values.stack], { encoding: "utf8" })) as Record<string, string>;
    if (out.routeUrl) return { url: out.routeUrl, key: out.endpointKey, model: values.model ?? out.model, endpointName: out.endpointName };
    return { url: out.endpoint, key: out.apiKey, model: values.model ?? out.model };
  }
  if (values["route-url"]) {
    if (!values["endpoint-name"]) throw new Error("--route-url needs --endpoint-name (and the endpoint key in RERANKER_API_KEY)");
    return { url: values["route-url"], key: process.env.RERANKER_API_KEY ?? "", model: values.model ?? "BAAI/bge-reranker-base", endpointName: values["endpoint-name"] };
  }
  if (!values.url) throw new Error("give --stack <name> or --url http://ip:port (with RERANKER_API_KEY set)");
  return { url: values.url, key: process.env.RERANKER_API_KEY ?? "", model: values.model ?? "BAAI/bge-reranker-base" };
}

const int = (name: keyof typeof values, min: number): number => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min} (got ${values[name]})`);
  return n;
};

type Sender = (w: Workload) => Promise<number>;

/** --compare-baseline: rounds of (tool, bare undici) over the same requests; odd count for a true median. */
const BASELINE_ROUNDS = 5;

/** Runs `total` requests with `concurrency` workers; returns samples and wall time. */
async function drive(send: Sender, work: Workload[], concurrency: number, showProgress: boolean, durationMs = 0): Promise<{ samples: Sample[]; seconds: number }> {
  const samples: Sample[] = [];
  let next = 0;
  const t0 = performance.now();
  // --duration: the workloads are reused in turn until the time is up.
  if (durationMs > 0) {
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (performance.now() - t0 < durationMs) {
        const w = work[next++ % work.length];
        const s = performance.now();
        const status = await send(w).catch(() => 0);
        samples.push({ ms: performance.now() - s, status, pairs: w.documents.length });
      }
    }));
    return { samples, seconds: (performance.now() - t0) / 1000 };
  }
  const tick = setInterval(() => showProgress && process.stderr.write(`\r${progressBar(samples.length, work.length)}`), 200);
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < work.length) {
      const w = work[next++];
      const s = performance.now();
      const status = await send(w).catch(() => 0); // 0 = network error
      samples.push({ ms: performance.now() - s, status, pairs: w.documents.length });
    }
  }));
  clearInterval(tick);
  if (showProgress) process.stderr.write(`\r${progressBar(samples.length, work.length)}\n`);
  return { samples, seconds: (performance.now() - t0) / 1000 };
}

export async function main(): Promise<void> {
  const t = target();
  const concurrency = int("concurrency", 1);
  const work = makeWorkloads(int("requests", 1), int("docs", 1), int("words", 1));
  const agent = new Agent({ connections: concurrency, keepAliveTimeout: 10_000 });
  const headers = { "content-type": "application/json", authorization: `Bearer ${t.key}` };
  const rerankUrl = `${t.url}/v1/rerank`;
  // The tool's path: validates the answer (results length) like a real client would.
  const tool: Sender = async (w) => {
    const res = await request(rerankUrl, { method: "POST", headers, body: JSON.stringify({ model: t.model, query: w.query, documents: w.documents }), dispatcher: agent });
    const body = (await res.body.json()) as { results?: unknown[] };
    return res.statusCode === 200 && body.results?.length !== w.documents.length ? 598 : res.statusCode;
  };
  // A bare undici loop: same requests, nothing else.
  const bare: Sender = async (w) => {
    const res = await request(rerankUrl, { method: "POST", headers, body: JSON.stringify({ model: t.model, query: w.query, documents: w.documents }), dispatcher: agent });
    await res.body.dump();
    return res.statusCode;
  };
  const progress = process.stderr.isTTY && !values.json;
  const result: Record<string, unknown> = { target: t.url, concurrency, docsPerRequest: work[0].documents.length };
  let report;
  if (t.endpointName) {
    // Serverless: through the route, re-routing as Vast's client does; a 200 must hold every result.
    const caUrl = values["ca-url"] ?? (new URL(t.url).hostname === "run.vast.ai" ? undefined : `${new URL(t.url).origin}/static/jvastai_root.cer`);
    const client = new ServerlessRerankClient({ routeUrl: t.url, endpointName: t.endpointName, endpointKey: t.key, caUrl, timeoutMs: 600_000 });
    const cost = values.cost !== undefined ? Number(values.cost) : undefined;
    const routed: Sender = async (w) => {
      const r = await client.request("/v1/rerank", { model: t.model, query: w.query, documents: w.documents }, cost ?? 25 * w.documents.length);
      return r.status === 200 && (r.body as { results?: unknown[] }).results?.length !== w.documents.length ? 598 : r.status;
    };
    const run = await drive(routed, work, concurrency, progress, Number(values.duration ?? 0) * 1000);
    await client.close();
    report = summarize(run.samples, run.seconds);
    result.cost = cost ?? "25 per document";
  } else if (!values["compare-baseline"]) {
    const run = await drive(tool, work, concurrency, progress);
    report = summarize(run.samples, run.seconds);
  } else {
    // Both paths warmed up (connections, JIT), then interleaved rounds that alternate which side goes
    // first; the overhead is the median of the per-round ratios, so a busy moment of the machine or
    // the server hits both sides of a round instead of skewing one median.
    // A whole untimed pass of each: a short warm-up left the first timed round ~30% slower (JIT).
    await drive(bare, work, concurrency, false);
    await drive(tool, work, concurrency, false);
    const rounds: Array<{ tool: { samples: Sample[]; seconds: number }; bare: { samples: Sample[]; seconds: number } }> = [];
    for (let round = 0; round < BASELINE_ROUNDS; round++) {
      if (round % 2 === 0) {
        const t = await drive(tool, work, concurrency, false);
        rounds.push({ tool: t, bare: await drive(bare, work, concurrency, false) });
      } else {
        const b = await drive(bare, work, concurrency, false);
        rounds.push({ tool: await drive(tool, work, concurrency, false), bare: b });
      }
    }
    const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const medianRun = (side: "tool" | "bare") => {
      const m = mid(rounds.map((r) => r[side].seconds));
      return rounds.map((r) => r[side]).find((r) => r.seconds === m) as { samples: Sample[]; seconds: number };
    };
    const mt = medianRun("tool");
    const mb = medianRun("bare");
    report = summarize(mt.samples, mt.seconds);
    result.baseline = summarize(mb.samples, mb.seconds);
    result.rounds = rounds.map((r) => ({ toolSeconds: r.tool.seconds, bareSeconds: r.bare.seconds }));
    result.overhead = mid(rounds.map((r) => r.tool.seconds / r.bare.seconds));
  }
  result.report = report;
  await agent.close();
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(formatReport(report));
    if (result.baseline) console.log(`${formatReport(result.baseline as typeof report, "bare undici")}\noverhead: ${(result.overhead as number).toFixed(3)}× the bare loop`);
  }
  if (report.ok < report.requests) process.exitCode = 1;
}

await main();
