// Bad input: every config key driven with malformed values through the real engine. Each
// case must fail `pulumi preview` (or `up`) with a message naming the key, and the emulator must
// never see a rent call (`PUT /api/v0/asks/:id`) nor hold an instance.
//
// Cost: the CLI's own type check (integer, boolean, list keys) stops at the first bad key, so those
// run one per preview (fast: the program does not start). The program collects every problem of a
// tier (parse errors, then offer/launch validation) before throwing, and the provider's check
// names vast:apiUrl / vast:apiKey / env: cases of one tier share a preview, each asserted on its own.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, createTestProject, type TestProject } from "../helpers/engine.ts";
import { startEmulator } from "../../emulator/index.ts";
import type { RunningEmulator } from "../../emulator/types.ts";
import { FAST_BOOT, FAST_POLLS, STACK_SOURCES, liveInstances } from "../helpers/stack.ts";
import { exportState, recordScenario, rentCalls, runPulumi, summaryLine } from "../helpers/chaos.ts";

const SUITE = "security-bad-input";

interface Case {
  /** Config key without namespace for vast-reranker:*, or "vast:apiUrl". */
  key: string;
  value: unknown;
  expect: RegExp;
}

interface Batch {
  name: string;
  cases: Case[];
  command?: "preview" | "up";
  /** Valid settings the cases need (e.g. offerType for a bid). */
  extra?: Record<string, unknown>;
  /** Leave vast:apiKey out of the stack config (and VAST_API_KEY empty). */
  noApiKey?: boolean;
}

const typed = (key: string, type: string) => new RegExp(`configuration key 'vast-reranker:${key}' must be of type '${type.replace(/[<>]/g, (c) => `\\${c}`)}'`);

const BATCHES: Batch[] = [
  // The CLI checks the types Pulumi.yaml declares before the program runs (one error per run).
  ...[
    { key: "maxAttempts", value: "three", type: "integer" },
    { key: "replicas", value: "two", type: "integer" },
    { key: "race", value: "both", type: "integer" },
    { key: "bootTimeoutSeconds", value: "15m", type: "integer" },
    { key: "probeTimeoutSeconds", value: "ten", type: "integer" },
    { key: "maxModelLen", value: "512k", type: "integer" },
    { key: "hardened", value: "yes", type: "boolean" },
    { key: "replacePaused", value: "sometimes", type: "boolean" },
    { key: "extraArgs", value: "--gpu-memory-utilization 0.5", type: "array<string>" },
    { key: "regions", value: "US", type: "array<string>" },
    { key: "gpuNames", value: "RTX 4090", type: "array<string>" },
    { key: "coldWorkers", value: "one", type: "integer" },
    { key: "maxWorkers", value: "many", type: "integer" },
  ].map((c) => ({ name: `type of ${c.key}`, cases: [{ key: c.key, value: c.value, expect: typed(c.key, c.type) }] })),
  {
    name: "values that do not parse",
    cases: [
      { key: "offerType", value: "spot", expect: /vast-reranker:offerType must be "on-demand" or "interruptible" \(got "spot"\)/ },
      { key: "rankBy", value: "cheapest", expect: /vast-reranker:rankBy must be one of "balanced", "speed", "price", "dlperf_per_dollar" \(got "cheapest"\)/ },
      { key: "maxPricePerHour", value: "cheap", expect: /vast-reranker:maxPricePerHour must be a number \(got "cheap"\)/ },
      { key: "gpuRamGb", value: "16GB", expect: /vast-reranker:gpuRamGb must be a number \(got "16GB"\)/ },
      { key: "diskGb", value: "forty", expect: /vast-reranker:diskGb must be a number \(got "forty"\)/ },
      { key: "minReliability", value: "high", expect: /vast-reranker:minReliability must be a number \(got "high"\)/ },
      { key: "minCudaVersion", value: "12.x", expect: /vast-reranker:minCudaVersion must be a number \(got "12.x"\)/ },
      { key: "bidPricePerHour", value: "low", expect: /vast-reranker:bidPricePerHour must be a number \(got "low"\)/ },
      { key: "probeTimeoutSeconds", value: 5, expect: /vast-reranker:probeTimeoutSeconds must be >= 10 \(got 5\)/ },
      { key: "labelPrefix", value: " ", expect: /vast-reranker:labelPrefix is empty/ },
      { key: "replicas", value: 0, expect: /vast-reranker:replicas must be an integer from 1 to 5 \(got 0\)/ },
      { key: "minReadyReplicas", value: "most", expect: /vast-reranker:minReadyReplicas must be a number \(got "most"\)/ },
      { key: "race", value: 3, expect: /vast-reranker:race must be 1 \(off\) or 2 .* \(got 3\)/ },
      { key: "replaceOrder", value: "rolling", expect: /vast-reranker:replaceOrder must be "auto", "create-first" or "delete-first" \(got "rolling"\)/ },
    ],
  },
  {
    name: "offer selection and launch, first values",
    cases: [
      { key: "filter", value: "gpu_rma >= 16 num_gpus = 1", expect: /vast-reranker:filter: unknown field "gpu_rma": did you mean "gpu_ram"\?/ },
      { key: "gpuRamGb", value: 16000, expect: /vast-reranker:gpuRamGb is in GB \(got 16000, which looks like MB\): write 16/ },
      { key: "minReliability", value: 95, expect: /vast-reranker:minReliability must be within 0\.\.1 \(got 95\): write 0\.95 for 95%/ },
      { key: "maxPricePerHour", value: -1, expect: /vast-reranker:maxPricePerHour must be > 0 \(got -1\)/ },
      { key: "minCudaVersion", value: 890, expect: /vast-reranker:minCudaVersion is a CUDA version like 12\.1 \(got 890/ },
      { key: "regions", value: ["USA"], expect: /vast-reranker:regions takes 2-letter country codes \(got "USA"\)/ },
      { key: "gpuNames", value: [""], expect: /vast-reranker:gpuNames must be a non-empty list of strings/ },
      { key: "bidPricePerHour", value: 0.3, expect: /vast-reranker:bidPricePerHour only applies to interruptible offers/ },
      { key: "diskGb", value: 4, expect: /vast-reranker:diskGb must be at least 8 GB, the API minimum \(got 4\)/ },
      { key: "image", value: "vllm/vllm-openai:latest", expect: /vast-reranker:image "vllm\/vllm-openai:latest" uses :latest/ },
      { key: "extraArgs", value: ["serve", "--api-key", "sk-123"], expect: /vast-reranker:extraArgs: "serve" is not allowed[\s\S]*vast-reranker:extraArgs: "--api-key" is not allowed/ },
      { key: "minReadyReplicas", value: 2, expect: /vast-reranker:minReadyReplicas must be an integer from 1 to vast-reranker:replicas \(1\) \(got 2\)/ },
      { key: "maxAttempts", value: 0, expect: /vast-reranker:maxAttempts must be an integer from 1 to 20 \(got 0\)/ },
      { key: "bootTimeoutSeconds", value: 5, expect: /vast-reranker:bootTimeoutSeconds must be an integer >= 10 \(got 5\)/ },
      { key: "dtype", value: "fp64", expect: /vast-reranker:dtype: "fp64" is not one of/ },
      { key: "maxModelLen", value: 0, expect: /vast-reranker:maxModelLen: must be a positive integer, got 0/ },
      { key: "model", value: "--trust-remote-code", expect: /vast-reranker:model: "--trust-remote-code" starts with "-"/ },
      { key: "servedModelName", value: " ", expect: /vast-reranker:servedModelName: is empty/ },
    ],
  },
  {
    name: "offer selection and launch, second values",
    extra: { offerType: "interruptible" },
    cases: [
      { key: "filter", value: "gpu_ram >> 16", expect: /vast-reranker:filter: bad filter token "gpu_ram >> 16": unknown operator ">>"/ },
      { key: "gpuRamGb", value: 0, expect: /vast-reranker:gpuRamGb must be a positive number of GB \(got 0\)/ },
      { key: "maxPricePerHour", value: 0, expect: /vast-reranker:maxPricePerHour must be > 0 \(got 0\)/ },
      { key: "minReliability", value: -0.5, expect: /vast-reranker:minReliability must be within 0\.\.1 \(got -0\.5\)/ },
      { key: "minCudaVersion", value: -1, expect: /vast-reranker:minCudaVersion must be a positive CUDA version \(got -1\)/ },
      { key: "regions", value: ["us-east"], expect: /vast-reranker:regions takes 2-letter country codes \(got "us-east"\)/ },
      { key: "bidPricePerHour", value: 200, expect: /vast-reranker:bidPricePerHour must be between 0\.001 and 128 \$\/h \(got 200\)/ },
      { key: "diskGb", value: -40, expect: /vast-reranker:diskGb must be at least 8 GB, the API minimum \(got -40\)/ },
      { key: "image", value: " ", expect: /vast-reranker:image is empty/ },
      { key: "extraArgs", value: ["--host", "127.0.0.1", "--port", "9000"], expect: /vast-reranker:extraArgs: "--host" is not allowed[\s\S]*vast-reranker:extraArgs: "--port" is not allowed/ },
      { key: "maxAttempts", value: 50, expect: /vast-reranker:maxAttempts must be an integer from 1 to 20 \(got 50\)/ },
      { key: "bootTimeoutSeconds", value: 0, expect: /vast-reranker:bootTimeoutSeconds must be an integer >= 10 \(got 0\)/ },
    ],
  },
  {
    name: "untagged image, units in the filter",
    cases: [
      { key: "image", value: "vllm/vllm-openai", expect: /vast-reranker:image "vllm\/vllm-openai" has no tag/ },
      { key: "model", value: " ", expect: /vast-reranker:model is empty/ },
      { key: "filter", value: "compute_cap >= 7.5", expect: /vast-reranker:filter: compute_cap is capability x 100: write compute_cap >= 750 for 7\.5/ },
      // Tokens Vast's parse_env drops without a word: refused here, naming the token and the fix.
      { key: "env", value: "--privileged -p 8000:8000 -p http", expect: /vast-reranker:env has "--privileged", which Vast would silently drop [\s\S]*vast-reranker:env has "-p http", which Vast would silently drop \(after -p it accepts only 0-9 : t c p \/ u d\): write it like -p 8000:8000/ },
    ],
  },
  // `up` refuses as preview does, before any resource that costs money.
  {
    name: "up with a vulnerable image and MB in the filter",
    command: "up",
    cases: [
      { key: "image", value: "vllm/vllm-openai:v0.20.0", expect: /vast-reranker:image: "vllm\/vllm-openai:v0\.20\.0" is vLLM 0\.20\.0; versions < [\d.]+ are affected by CVE-2026-48746/ },
      { key: "filter", value: "gpu_ram >= 16000", expect: /vast-reranker:filter: gpu_ram gte 16000 asks for 16000 GB per GPU/ },
    ],
  },
  // The provider's check (during preview) names the connection settings and Vast's env limit together.
  {
    name: "provider check: URL scheme, missing key, env over Vast's limit",
    noApiKey: true,
    cases: [
      { key: "vast:apiUrl", value: "ftp://console.vast.ai", expect: /vast:apiUrl "ftp:\/\/console\.vast\.ai" is not an http\(s\) URL/ },
      { key: "vast:apiKey", value: undefined, expect: /no Vast API key: run `pulumi config set --secret vast:apiKey <key>`/ },
      { key: "env", value: `-p 8000:8000 -e HF_TOKEN=${"x".repeat(300)}`, expect: /env HF_TOKEN is 300 characters; Vast accepts 256 per variable/ },
    ],
  },
  // An unknown key in the project's namespace is refused with the closest known key (issue 20).
  {
    name: "unknown keys and a mode the program does not know",
    cases: [
      { key: "replica", value: 3, expect: /vast-reranker:replica is not a vast-reranker setting; did you mean vast-reranker:replicas\?/ },
      { key: "mode", value: "servrless", expect: /vast-reranker:mode must be "instance" or "serverless" \(got "servrless"\)/ },
    ],
  },
  // References that cannot work on any host fail before a rent, in both modes.
  {
    name: "an invalid digest and a model path (instance mode)",
    command: "up",
    cases: [
      { key: "image", value: "vllm/vllm-openai@sha256:zz", expect: /vast-reranker:image "vllm\/vllm-openai@sha256:zz" has an invalid sha256 digest/ },
      { key: "model", value: "../../etc/passwd", expect: /vast-reranker:model: "\.\.\/\.\.\/etc\/passwd" is neither a Hugging Face model id/ },
    ],
  },
  {
    name: "serverless: an invalid digest, a model with spaces",
    command: "up",
    extra: { mode: "serverless" },
    cases: [
      { key: "image", value: "@sha256:zz", expect: /vast-reranker:image "@sha256:zz" has an invalid sha256 digest/ },
      { key: "model", value: "BAAI/bge reranker", expect: /vast-reranker:model: "BAAI\/bge reranker" contains whitespace/ },
    ],
  },
  {
    name: "serverless: autoscaling knobs",
    command: "up",
    extra: { mode: "serverless" },
    cases: [
      { key: "endpointName", value: "my endpoint", expect: /vast-reranker:endpointName "my endpoint" is not a valid Vast endpoint name/ },
      { key: "minLoad", value: -1, expect: /vast-reranker:minLoad must be >= 0 \(got -1\)/ },
      { key: "targetUtil", value: 1.5, expect: /vast-reranker:targetUtil must be in \(0, 1\]/ },
      { key: "coldMult", value: "lots", expect: /vast-reranker:coldMult must be a number \(got "lots"\)/ },
      { key: "coldWorkers", value: 30, expect: /vast-reranker:coldWorkers \(30\) must not exceed vast-reranker:maxWorkers/ },
      { key: "maxQueueTime", value: 0, expect: /vast-reranker:maxQueueTime must be > 0 seconds/ },
      { key: "targetQueueTime", value: -5, expect: /vast-reranker:targetQueueTime must be > 0 seconds/ },
      { key: "inactivityTimeout", value: "never", expect: /vast-reranker:inactivityTimeout must be a number \(got "never"\)/ },
    ],
  },
  { name: "serverless: too many workers", extra: { mode: "serverless" }, cases: [{ key: "maxWorkers", value: 50, expect: /vast-reranker:maxWorkers must be an integer from 1 to 20 \(got 50\)/ }] },
  { name: "replicas above the bound", cases: [{ key: "replicas", value: 6, expect: /vast-reranker:replicas must be an integer from 1 to 5 \(got 6\)/ }] },
  { name: "vast:apiUrl without a scheme", cases: [{ key: "vast:apiUrl", value: "console.vast.ai", expect: /vast:apiUrl "console\.vast\.ai" is not an http\(s\) URL/ }] },
];

let emu: RunningEmulator;
const caseCount = BATCHES.reduce((n, b) => n + b.cases.length, 0);

beforeAll(async () => {
  emu = await startEmulator(FAST_BOOT);
}, 120_000);

afterAll(async () => {
  console.log(summaryLine(SUITE));
  await emu?.stop();
});

/**
 * A project whose stack config holds exactly the batch's settings. The stack's encryption salt and
 * encrypted vast:apiKey are kept; the rest of Pulumi.<stack>.yaml is written directly (much faster
 * than one `pulumi config set` per key).
 */
async function projectFor(b: Batch): Promise<TestProject> {
  const p = await createTestProject({
    sources: STACK_SOURCES, stackName: "bad", env: { ...FAST_POLLS, VAST_API_KEY: "", VAST_API_URL: "" },
    config: { "vast:apiUrl": { value: emu.url }, "vast:apiKey": { value: emu.apiKey, secret: true } },
  });
  const file = join(p.workDir, "Pulumi.bad.yaml");
  const text = readFileSync(file, "utf8");
  const salt = text.split("\n").find((l) => l.startsWith("encryptionsalt:"));
  const apiKeyBlock = /^ {2}vast:apiKey:\n {4}secure: .*$/m.exec(text)?.[0];
  if (!salt || !apiKeyBlock) throw new Error(`unexpected stack config file:\n${text}`);
  const lines = [salt, "config:"];
  if (!b.noApiKey) lines.push(apiKeyBlock);
  lines.push(`  vast:apiUrl: ${JSON.stringify(b.cases.find((c) => c.key === "vast:apiUrl")?.value ?? emu.url)}`);
  const settings: Array<[string, unknown]> = [...Object.entries(b.extra ?? {}), ...b.cases.map((c): [string, unknown] => [c.key, c.value])];
  for (const [key, value] of settings) {
    if (key.includes(":") || value === undefined) continue;
    lines.push(`  vast-reranker:${key}: ${JSON.stringify(value)}`);
  }
  writeFileSync(file, `${lines.join("\n")}\n`);
  return p;
}

it("drives every key of Pulumi.yaml except the free-form ones", () => {
  const declared = [...readFileSync(join(ROOT, "Pulumi.yaml"), "utf8").matchAll(/^ {2}vast-reranker:(\w+):/gm)].map((m) => m[1]);
  const driven = new Set(BATCHES.flatMap((b) => b.cases.map((c) => c.key)));
  // Any string is a valid rotation token; any route list is one the probe may tolerate (it matches
  // what it names). (A label prefix may be any non-empty string: it is slugged into the label.)
  const freeForm = ["apiKeyRotation", "probeExpectOpen"];
  // mode and the serverless knobs are driven above; the extra's mode counts too.
  for (const b of BATCHES) for (const k of Object.keys(b.extra ?? {})) driven.add(k);
  expect(declared.length).toBeGreaterThan(20);
  expect(declared.filter((k) => !driven.has(k) && !freeForm.includes(k))).toEqual([]);
  for (const k of ["vast:apiUrl", "vast:apiKey"]) expect(driven.has(k)).toBe(true);
});

// Each batch runs in its own project, concurrently. A config error now fails a preview in about the
// time of a good one (a few seconds); the timeout is a generous bound for a loaded machine, not a
// measure (docs/benchmarks.md has the bad-config ÷ good preview ratio).
describe.concurrent("malformed config fails before any rent, naming the key", () => {
  for (const b of BATCHES) {
    it(`${b.name}: ${b.cases.map((c) => c.key).join(", ")}`, async ({ expect }) => {
      const p = await projectFor(b);
      try {
        const args = b.command === "up" ? ["up", "--yes", "--skip-preview"] : ["preview"];
        const r = await runPulumi(p, args);
        const created = liveInstances(emu).length;
        for (const c of b.cases) recordScenario({ suite: SUITE, scenario: `${c.key}=${JSON.stringify(c.value)?.slice(0, 40)}`, leaked: created });
        expect(r.code, r.output).not.toBe(0);
        for (const c of b.cases) expect(r.output, `${c.key} = ${JSON.stringify(c.value)}`).toMatch(c.expect);
        // Reported as the message alone: not as an "unhandled exception" with a stack trace, whose
        // formatting took Pulumi's runner 20–50 s and ~3 GB on Node 22.23 (components/stackConfigError.ts).
        expect(r.output).not.toMatch(/unhandled exception/);
        expect(r.output).not.toMatch(/^\s+at .*:\d+:\d+\)?$/m);
        expect(rentCalls(emu)).toBe(0);
        expect(created).toBe(0);
        if (b.command === "up") {
          const types = (exportState(p).deployment.resources ?? []).map((res) => res.type);
          expect(types).not.toContain("pulumi-nodejs:dynamic/vast:Instance");
        }
      } finally {
        p.cleanup();
      }
    }, 180_000);
  }
});

describe("afterwards", () => {
  it(`the emulator never saw a rent call nor held an instance (${caseCount} cases)`, () => {
    expect(emu.routeCounts()["PUT /api/v0/asks/:id"] ?? 0).toBe(0);
    expect(emu.instances()).toEqual([]);
    expect(emu.routeCounts()["POST /api/v0/endptjobs"] ?? 0).toBe(0);
    expect(emu.serverless.state.endpoints.size).toBe(0);
  });
});
