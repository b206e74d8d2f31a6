// Serverless benchmark (vast-reranker:mode = serverless) against the emulator, printing four numbers:
//  1. time from `pulumi up` to the first verified request through the route (the readiness probe's);
//  2. the autoscaler's reaction time under load: load starts on one hot worker, until a second is ready;
//  3. latency added per request by route + worker: our client through /route/ and the TLS worker
//     vs calling vLLM directly inside the worker's container (p50, p99; same vLLM, same host);
//  4. the cost of the idle endpoint per hour: cold workers bill storage only (Vast: stopped instances).
// Run: node tools/bench/serverless.ts [--requests N] [--runtime standin|vllm]. Stops everything it
// started (emulator, workers, pulumi) when done, on failure and on SIGINT/SIGTERM.
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { parseArgs } from "node:util";
import { startEmulator } from "../../emulator/index.ts";
import type { RunningEmulator } from "../../emulator/types.ts";
import { containerProcess } from "../../emulator/serverless/isolation.ts";
import { ServerlessRerankClient } from "../../components/client/serverless.ts";
import { GUIDE_DOCUMENTS, GUIDE_QUERY } from "../../components/readiness/verdicts.ts";
import { pulumiCli } from "./procs.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const execP = promisify(execFile);
const GUIDE = { model: "BAAI/bge-reranker-base", query: GUIDE_QUERY, documents: GUIDE_DOCUMENTS };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];


/** N sequential reranks straight to vLLM on the container's loopback, measured inside the container (after one warm-up). */
async function directLatencies(pid: number, n: number): Promise<number[]> {
  const script = `const b=JSON.stringify(${JSON.stringify(GUIDE)});const out=[];(async()=>{for(let i=-1;i<${n};i++){const t=performance.now();const r=await fetch("http://127.0.0.1:18000/v1/rerank",{method:"POST",headers:{"content-type":"application/json"},body:b});await r.text();if(r.status!==200)throw new Error("HTTP "+r.status);if(i>=0)out.push(performance.now()-t)}console.log(JSON.stringify(out))})()`;
  const { stdout } = await execP("nsenter", ["-t", String(containerProcess(pid)), "-n", "--", process.execPath, "-e", script], { timeout: 600_000, maxBuffer: 16 << 20 });
  return JSON.parse(stdout) as number[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { requests: { type: "string", default: "200" }, runtime: { type: "string", default: "standin" } } });
  const n = Number(values.requests);
  const runtime = values.runtime === "vllm" ? "vllm" : "standin";
  const base = mkdtempSync(join(tmpdir(), "vr-bench-serverless-"));
  let emu: RunningEmulator | undefined;
  let destroy: (() => Promise<unknown>) | undefined;
  const stopAll = async () => {
    await destroy?.().catch(() => undefined);
    await emu?.stop();
    rmSync(base, { recursive: true, force: true });
  };
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => void stopAll().then(() => process.exit(130)));
  try {
    // The emulator's default boot timings (pull 3 s, model load 2 s) and engine timings (1 s decisions).
    emu = await startEmulator({ runtime });
    const dir = join(base, "project");
    mkdirSync(dir, { recursive: true });
    for (const s of ["Pulumi.yaml", "package.json"]) copyFileSync(join(ROOT, s), join(dir, s));
    for (const s of ["index.ts", "components", "node_modules"]) symlinkSync(join(ROOT, s), join(dir, s));
    const env: NodeJS.ProcessEnv = { ...process.env, PULUMI_BACKEND_URL: `file://${join(base, "backend")}`, PULUMI_CONFIG_PASSPHRASE: "vast-reranker-bench" };
    for (const k of ["VAST_API_URL", "VAST_API_KEY", "PULUMI_CONFIG_PASSPHRASE_FILE"]) delete env[k];
    mkdirSync(join(base, "backend"));
    const must = async (args: string[]) => {
      const r = await pulumiCli([...args, "--stack", "bench", "--non-interactive"], dir, env);
      if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${r.code}:\n${r.out.split("\n").slice(-30).join("\n")}`);
      return r;
    };
    await pulumiCli(["stack", "init", "bench", "--non-interactive"], dir, env);
    for (const [k, v] of [["vast:apiUrl", emu.url], ["vast-reranker:mode", "serverless"], ["vast-reranker:maxWorkers", "2"], ["vast-reranker:coldWorkers", "0"], ["vast-reranker:coldMult", "0"], ["vast-reranker:probeTimeoutSeconds", "900"]]) await must(["config", "set", k, v]);
    await must(["config", "set", "--secret", "vast:apiKey", emu.apiKey]);
    destroy = () => must(["destroy", "--yes", "--skip-preview", "--suppress-progress"]);

    // 1. pulumi up → first verified request through the route.
    const up = await must(["up", "--yes", "--skip-preview", "--suppress-progress"]);
    const outs = JSON.parse((await must(["stack", "output", "--json", "--show-secrets"])).stdout) as Record<string, string | number>;
    const probe = JSON.parse(outs.probeReport as string) as { readyAfterMs: number };
    console.log(`1. pulumi up → first verified request through the route: ${(up.ms / 1000).toFixed(1)} s (the probe waited ${(probe.readyAfterMs / 1000).toFixed(1)} s of it for a worker)`);

    const client = new ServerlessRerankClient({ routeUrl: outs.routeUrl as string, endpointName: outs.endpointName as string, endpointKey: outs.endpointKey as string, caUrl: `${emu.url}/static/jvastai_root.cer`, timeoutMs: 600_000 });
    const workers = () => [...emu!.serverless.state.workers.values()].filter((w) => emu!.serverless.autoscaler.workerState(w) === "idle");

    // 3. Added latency: sequential requests through route + worker and straight to vLLM in the
    //    container, interleaved in 10 rounds so both see the same machine load.
    await client.request("/v1/rerank", GUIDE);
    const worker = emu.instances().find((i) => !i._emulator.destroyed && i.actual_status === "running");
    const viaRoute: number[] = [];
    const direct: number[] = [];
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < Math.ceil(n / 10); i++) {
        const t = performance.now();
        // Cost 1: the latency rounds must not claim enough load to scale the endpoint (number 2 does).
        const r = await client.request("/v1/rerank", GUIDE, 1);
        if (r.status !== 200) throw new Error(`through the route: HTTP ${r.status}`);
        viaRoute.push(performance.now() - t);
      }
      direct.push(...(await directLatencies(worker?._emulator.pid as number, Math.ceil(n / 10))));
    }

    // 2. Reaction: closed-loop load claiming more than one worker's benchmarked capacity; no cold worker
    //    waits (coldWorkers 0, coldMult 0), so the engine must rent, boot and load a new one.
    const perf = workers()[0]?.status?.max_perf ?? 100;
    let stop = false;
    const t0 = performance.now();
    let failed = 0;
    const load = Promise.all(Array.from({ length: 3 }, async () => {
      while (!stop) if ((await client.request("/v1/rerank", GUIDE, Math.ceil(perf)).catch(() => ({ status: 0 }))).status !== 200) failed++;
    }));
    while (workers().length < 2 && performance.now() - t0 < 600_000) await sleep(100);
    const reaction = performance.now() - t0;
    stop = true;
    await load;
    // A second worker not ready within the cap is reported as such, with what the rented ones were doing.
    const reached = workers().length >= 2;
    const states = emu.instances().map((i) => `${i.id} ${i.actual_status ?? "null"}`).join(", ");
    const took = reached ? `${(reaction / 1000).toFixed(1)} s` : `not within ${(reaction / 1000).toFixed(0)} s (instances: ${states})`;
    console.log(`2. autoscaler reaction under load (1 → 2 ready workers, engine decides every ${emu.serverless.autoscaler.timings.tickMs} ms): ${took}; failed requests during scale-up: ${failed}`);
    const added = (p: number) => pct(viaRoute, p) - pct(direct, p);
    console.log(`3. latency added by route + worker (n=${n}, ${runtime}): p50 ${added(50).toFixed(1)} ms (${pct(viaRoute, 50).toFixed(1)} vs ${pct(direct, 50).toFixed(1)} direct), p99 ${added(99).toFixed(1)} ms (${pct(viaRoute, 99).toFixed(1)} vs ${pct(direct, 99).toFixed(1)} direct)`);

    // 4. The idle endpoint: coldWorkers stopped workers on the offers the group rents bill storage only.
    const rented = emu.instances().map((i) => i);
    const storage = rented.map((i) => ((i as unknown as { storage_cost?: number }).storage_cost ?? 0) * 40 / (30 * 24));
    const perWorker = storage.length ? storage.reduce((a, b) => a + b, 0) / storage.length : 0;
    console.log(`4. idle endpoint (the default coldWorkers 1, diskGb 40, no hot worker): $${perWorker.toFixed(4)}/h (storage of one stopped worker: ${rented[0] ? `$${(rented[0] as unknown as { storage_cost?: number }).storage_cost}/GB/month on a ${rented[0].gpu_name}` : "n/a"}); a hot worker adds its GPU price ($${rented[0]?.dph_total ?? "?"}/h)`);
    await client.close();
  } finally {
    await stopAll();
  }
}

await main();
