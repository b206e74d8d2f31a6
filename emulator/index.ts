// Programmatic start/stop of the local Vast.ai emulator (see emulator/README.md).
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkSettings, handleAdmin } from "./admin.ts";
import { checkFault, Faults, INSTANCE_KINDS, RateLimiter, RequestLog } from "./faults.ts";
import { Instances } from "./instances.ts";
import { loadMarketFile, Market, parseMarket } from "./market.ts";
import { checkTail } from "./tail.ts";
import { Templates } from "./templates.ts";
import { defaultPython, INSTANCE_RUNTIMES, readLog, realVllmMissing } from "./runtime.ts";
import type { AdminInstance, EmulatorOptions, FaultSpec, RunningEmulator, Settings, StoredFault } from "./types.ts";
import { handleVast, type Ctx } from "./vast-api.ts";
import { toWire } from "./wire.ts";
import { createServerless } from "./serverless/index.ts";

export type { AdminInstance, EmulatorOptions, FaultKind, FaultSpec, LogEntry, RunningEmulator, Settings, StoredFault, Timings } from "./types.ts";
export { VAST_RATE_LIMITS } from "./faults.ts";

const DEFAULT_MARKET_FILE = join(dirname(fileURLToPath(import.meta.url)), "market.json");

const DEFAULT_SETTINGS: Settings = {
  pendingMs: 500,
  createdMs: 1000,
  loadingMs: 3000,
  modelLoadMs: 2000,
  lingerDeletedMs: 0,
  readLagMs: 0,
  missingKeyStatus: 401,
  rateLimits: {},
  legacyInstanceList: "gone",
};

function generateApiKey(): string {
  return randomBytes(32).toString("hex"); // Vast keys are 64 hex characters
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  const settings: Settings = { ...DEFAULT_SETTINGS };
  const patch: Record<string, unknown> = {};
  for (const k of Object.keys(DEFAULT_SETTINGS)) {
    const v = (opts as Record<string, unknown>)[k];
    if (v !== undefined) patch[k] = v;
  }
  Object.assign(settings, checkSettings(patch));
  const keys = opts.apiKeys?.length ? [...opts.apiKeys] : [generateApiKey()];
  const marketFile = opts.marketFile ?? DEFAULT_MARKET_FILE;
  const market = new Market(loadMarketFile(marketFile));
  const ownsWorkDir = !opts.workDir;
  const workDir = opts.workDir ?? mkdtempSync(join(tmpdir(), "vast-emulator-"));
  const runtime = opts.runtime ?? "standin";
  if (!INSTANCE_RUNTIMES.includes(runtime)) throw new Error(`runtime must be one of ${INSTANCE_RUNTIMES.join(", ")}, got ${String(runtime)}`);
  const missing = runtime === "vllm" ? realVllmMissing() : null;
  if (missing) throw new Error(`runtime "vllm": ${missing}; run scripts/setup-vllm.sh`);
  const python = opts.python ?? defaultPython();
  if (runtime === "standin" && !existsSync(python)) {
    process.stderr.write(`[vast-emulator] warning: ${python} not found; run scripts/setup-python.sh or vLLM instances will fail\n`);
  }
  const instances = new Instances(settings, { runtime, python, workDir }, (offerId) => market.relist(offerId));
  if (opts.tail) instances.tail = checkTail(opts.tail);
  const faults = new Faults();
  const limiter = new RateLimiter();
  const log = new RequestLog();
  let url = "";
  const templates = new Templates();
  const ctx: Ctx = { settings, keys: new Set(keys), market, instances, faults, limiter, log, templates, url: () => url, verbose: !!opts.verbose };
  const serverless = createServerless(ctx, workDir, python, opts.serverless);

  const adminView = (id: number): AdminInstance | null => {
    const r = instances.recs.get(id);
    if (!r) return null;
    return {
      ...toWire(r),
      _emulator: {
        destroyed: r.destroyed,
        vanished: r.vanished,
        pid: r.proc?.pid ?? null,
        logFile: existsSync(r.logFile) ? r.logFile : null,
        faults: [...r.faults.keys()],
        offerId: r.offer.id,
        createdAt: r.createdAt,
        destroyedAt: r.destroyedAt,
        // When the endpoint serves under the tailed model: running + model load; null = never (or not yet running).
        tail: r.plan ? { fate: r.plan.fate.kind, factor: r.plan.fate.factor, servesAt: r.plan.fate.kind === "never_serve" || r.runningSince === null ? null : r.runningSince + r.plan.modelLoadMs } : null,
      },
    };
  };

  const sockets = new Set<import("node:net").Socket>();
  const ref: { emu: RunningEmulator | null } = { emu: null }; // set once listening
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://127.0.0.1");
    const handler = u.pathname === "/_emulator" || u.pathname.startsWith("/_emulator/") ? handleAdmin(ref.emu as RunningEmulator, req, res, u)
      : serverless.handles(u.pathname) ? serverless.handle(req, res, u) : handleVast(ctx, req, res, u);
    handler.catch((e: Error) => {
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ success: false, error: "server_error", msg: e.message }));
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  url = `http://127.0.0.1:${port}`;
  serverless.autoscaler.start();

  let stopping: Promise<void> | null = null;
  const emu: RunningEmulator = {
    url,
    apiKey: keys[0],
    apiKeys: keys,
    port,
    stop() {
      stopping ??= (async () => {
        serverless.stop();
        const closed = new Promise<void>((r) => server.close(() => r()));
        sockets.forEach((s) => s.destroy());
        await instances.shutdown();
        await closed;
        if (ownsWorkDir) rmSync(workDir, { recursive: true, force: true });
      })();
      return stopping;
    },
    serverless,
    requestLog: () => log.list(),
    routeCounts: () => log.routeCounts(),
    clearRequestLog: () => log.clear(),
    instances: () => [...instances.recs.keys()].map((id) => adminView(id) as AdminInstance),
    instanceLogs: (id) => readLog(instances.recs.get(id)?.logFile ?? null),
    faults: () => faults.all(),
    injectFault(spec: FaultSpec): StoredFault {
      const f = checkFault(spec);
      const rec = f.instanceId !== undefined ? instances.recs.get(f.instanceId) : undefined;
      if (rec && !rec.destroyed && INSTANCE_KINDS.includes(f.kind)) {
        instances.applyFault(rec, f); // an existing instance: applied now, not stored
        return { ...f, id: 0, remaining: 0 };
      }
      return faults.add(f);
    },
    clearFaults: () => faults.clear(),
    market: () => market.all(),
    setTail(model) {
      instances.tail = model === null ? null : checkTail(model);
    },
    configure(p) {
      Object.assign(settings, checkSettings(p));
      limiter.clear();
      return { ...settings };
    },
    replaceMarket(offers: unknown): number {
      market.reset(parseMarket(offers));
      return market.all().length;
    },
    async reset() {
      serverless.reset();
      templates.clear();
      await instances.shutdown();
      for (const r of instances.recs.values()) rmSync(r.dir, { recursive: true, force: true });
      instances.clear();
      faults.clear();
      limiter.clear();
      log.clear();
      market.reset(loadMarketFile(marketFile));
    },
  };
  ref.emu = emu;
  return emu;
}
