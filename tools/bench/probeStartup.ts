// The readiness probe's wall time from its process start to its exit, against a stand-in that already
// serves (the case since the provider hands over a serving endpoint): interleaved runs of the probe of
// each project directory given, medians printed. Compares probe variants, e.g. a checkout of an older
// commit: node tools/bench/probeStartup.ts . /tmp/old-checkout [--runs 8]
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { parseArgs } from "node:util";
import { loadavg } from "node:os";
import { startEmulator } from "../../emulator/index.ts";
import { median } from "./report.ts";

const { values, positionals } = parseArgs({ options: { runs: { type: "string", default: "8" } }, allowPositionals: true });
const dirs = (positionals.length ? positionals : ["."]).map((d) => resolve(d));
const emu = await startEmulator({ pendingMs: 50, createdMs: 50, loadingMs: 100, modelLoadMs: 100 });
try {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the emulator's JSON, read loosely
  const call = async (path: string, body?: unknown, method = "GET"): Promise<any> => (await fetch(emu.url + path, { method, headers: { authorization: `Bearer ${emu.apiKey}`, "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined })).json();
  const [offer] = (await call("/api/v0/bundles/", { num_gpus: { eq: 1 }, direct_port_count: { gte: 1 }, cuda_max_good: { gte: 12.9 } }, "POST")).offers;
  const key = "k".repeat(64);
  const rented = await call(`/api/v0/asks/${offer.id}/`, { client_id: "me", image: "vllm/vllm-openai:v0.30.0-cu129", env: { "-p 8000:8000": "1", VLLM_API_KEY: key }, price: null, disk: 40, label: "probe-startup", onstart: null, runtype: "args", args: ["--model", "BAAI/bge-reranker-base"] }, "PUT");
  let port = 0;
  for (let t = 0; t < 600; t++) {
    port = Number((await call(`/api/v0/instances/${rented.new_contract}/`)).instances?.ports?.["8000/tcp"]?.[0]?.HostPort);
    if (port && (await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status, () => 0)) === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const env = { ...process.env, RERANKER_ENDPOINT: `http://127.0.0.1:${port}`, RERANKER_API_KEY: key, PROBE_EXPECT_OPEN: "1" };
  const times = new Map<string, number[]>(dirs.map((d) => [d, []]));
  const load0 = loadavg()[0];
  for (let k = 0; k < Number(values.runs); k++) {
    for (const d of k % 2 ? [...dirs].reverse() : dirs) {
      const t0 = performance.now();
      await promisify(execFile)(process.execPath, ["components/readiness/probe.ts"], { env, cwd: d });
      times.get(d)?.push(performance.now() - t0);
    }
  }
  console.log(`load average ${load0.toFixed(2)} → ${loadavg()[0].toFixed(2)}`);
  for (const [d, ts] of times) console.log(`${d}: median ${median(ts).toFixed(0)} ms (${ts.map((t) => t.toFixed(0)).join(", ")})`);
} finally {
  await emu.stop();
}
