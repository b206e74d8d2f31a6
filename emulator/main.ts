// Standalone emulator: `node emulator/main.ts [flags]` (npm run emulator -- [flags]).
// stdout line 1: VAST_API_URL=http://127.0.0.1:<port>, line 2: VAST_API_KEY=<key>; the rest goes to stderr.
// Runs until SIGINT/SIGTERM, then kills every instance server and exits.
import { parseArgs } from "node:util";
import { startEmulator, type EmulatorOptions } from "./index.ts";

const USAGE = `usage: node emulator/main.ts [options]
  --port N                 listen port on 127.0.0.1 (0 = free)       env VAST_EMULATOR_PORT
  --api-key K              accepted key (repeatable; default random)  env VAST_API_KEY
  --market FILE            offers JSON (default emulator/market.json) env VAST_EMULATOR_MARKET
  --pending-ms N           actual_status null phase                   env VAST_EMULATOR_PENDING_MS
  --created-ms N           "created" phase                            env VAST_EMULATOR_CREATED_MS
  --loading-ms N           "loading" phase                            env VAST_EMULATOR_LOADING_MS
  --model-load-ms N        vLLM stand-in model load (refused until)   env VAST_EMULATOR_MODEL_LOAD_MS
  --linger-deleted-ms N    deleted record still shown as "unloaded"   env VAST_EMULATOR_LINGER_DELETED_MS
  --read-lag-ms N          GET says null right after create           env VAST_EMULATOR_READ_LAG_MS
  --missing-key-status S   401 or 403 for a request without a key     env VAST_EMULATOR_MISSING_KEY_STATUS
  --rate-limits R          "vast" | "off" | JSON {"<route>"|"*": ms}  env VAST_EMULATOR_RATE_LIMITS
  --legacy-instance-list M "gone" (410) | "list"                      env VAST_EMULATOR_LEGACY_INSTANCE_LIST
  --work-dir DIR           instance dirs and logs (kept on exit)      env VAST_EMULATOR_WORK_DIR
  --python PATH            python with starlette+uvicorn              env VAST_EMULATOR_PYTHON
  --runtime R              "standin" (fast default) | "vllm" (real    env VAST_EMULATOR_RUNTIME
                           vLLM CPU build; scripts/setup-vllm.sh)
  --verbose                log every API request to stderr            env VAST_EMULATOR_VERBOSE=1
`;

const NUMERIC: Array<[flag: string, env: string, key: keyof EmulatorOptions]> = [
  ["pending-ms", "VAST_EMULATOR_PENDING_MS", "pendingMs"],
  ["created-ms", "VAST_EMULATOR_CREATED_MS", "createdMs"],
  ["loading-ms", "VAST_EMULATOR_LOADING_MS", "loadingMs"],
  ["model-load-ms", "VAST_EMULATOR_MODEL_LOAD_MS", "modelLoadMs"],
  ["linger-deleted-ms", "VAST_EMULATOR_LINGER_DELETED_MS", "lingerDeletedMs"],
  ["read-lag-ms", "VAST_EMULATOR_READ_LAG_MS", "readLagMs"],
  ["missing-key-status", "VAST_EMULATOR_MISSING_KEY_STATUS", "missingKeyStatus"],
  ["port", "VAST_EMULATOR_PORT", "port"],
];

function fail(msg: string): never {
  process.stderr.write(`vast-emulator: ${msg}\n${USAGE}`);
  process.exit(2);
}

function parseRateLimits(v: string): EmulatorOptions["rateLimits"] {
  if (v === "vast" || v === "off") return v as unknown as EmulatorOptions["rateLimits"]; // checkSettings expands these
  try {
    return JSON.parse(v) as EmulatorOptions["rateLimits"];
  } catch {
    return fail(`--rate-limits: not "vast", "off" or JSON: ${v}`);
  }
}

function options(argv: string[], env: NodeJS.ProcessEnv): EmulatorOptions {
  const strings = ["market", "rate-limits", "legacy-instance-list", "work-dir", "python", "runtime", ...NUMERIC.map(([f]) => f)];
  const { values } = parseArgs({
    args: argv,
    options: {
      ...Object.fromEntries(strings.map((s) => [s, { type: "string" as const }])),
      "api-key": { type: "string", multiple: true },
      verbose: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const v = values as Record<string, string | string[] | boolean | undefined>;
  const opts: Record<string, unknown> = {};
  for (const [flag, name, key] of NUMERIC) {
    const raw = (v[flag] as string | undefined) ?? env[name];
    if (raw === undefined || raw === "") continue;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) fail(`--${flag} must be a number >= 0, got ${raw}`);
    opts[key] = n;
  }
  const keys = (v["api-key"] as string[] | undefined) ?? (env.VAST_API_KEY ? [env.VAST_API_KEY] : undefined);
  if (keys) opts.apiKeys = keys;
  const str = (flag: string, name: string) => (v[flag] as string | undefined) ?? (env[name] || undefined);
  opts.marketFile = str("market", "VAST_EMULATOR_MARKET");
  opts.workDir = str("work-dir", "VAST_EMULATOR_WORK_DIR");
  opts.python = str("python", "VAST_EMULATOR_PYTHON");
  const runtime = str("runtime", "VAST_EMULATOR_RUNTIME");
  if (runtime !== undefined && runtime !== "standin" && runtime !== "vllm") fail(`--runtime must be "standin" or "vllm", got ${runtime}`);
  opts.runtime = runtime;
  opts.legacyInstanceList = str("legacy-instance-list", "VAST_EMULATOR_LEGACY_INSTANCE_LIST");
  const rl = str("rate-limits", "VAST_EMULATOR_RATE_LIMITS");
  if (rl) opts.rateLimits = parseRateLimits(rl);
  opts.verbose = v.verbose === true || env.VAST_EMULATOR_VERBOSE === "1";
  return opts as EmulatorOptions;
}

async function main(): Promise<void> {
  let opts: EmulatorOptions;
  try {
    opts = options(process.argv.slice(2), process.env);
  } catch (e) {
    fail((e as Error).message);
  }
  const emu = await startEmulator(opts).catch((e: Error) => fail(e.message));
  let stopping = false;
  const shutdown = (sig: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`[vast-emulator] ${sig}: stopping instance servers\n`);
    emu.stop().then(
      () => process.exit(0),
      (e: Error) => {
        process.stderr.write(`[vast-emulator] stop failed: ${e.message}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  // Printed only now: a supervisor may stop the emulator as soon as it has read the URL.
  process.stdout.write(`VAST_API_URL=${emu.url}\nVAST_API_KEY=${emu.apiKey}\n`);
  process.stderr.write(`[vast-emulator] listening on ${emu.url} (admin API: ${emu.url}/_emulator/); Ctrl-C to stop\n`);
}

void main();
