// Request parity with Vast's own SDK (PyPI vastai 1.9.1): the product and the SDK do the same
// operations (search, rent, show, list, label, logs, destroy) through a recording proxy in front of
// the emulator, and every difference in method, path (trailing slash included), query keys, body keys
// or value types must be listed, with its reason, in docs/vast-api.md §9.2 — and every listed one
// must still occur.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator/index.ts";
import * as vast from "../../components/vast/api/client.ts";
import { readInstanceLog } from "../../components/vast/api/logs.ts";
import { createRequest, type VastInstanceInputs } from "../../components/vast/instance/instanceLogic.ts";
import { buildOfferQuery, type OfferSelection } from "../../components/vast/offers/offerQuery.ts";
import type { Offer } from "../../components/vast/api/types.ts";
import { startRecorder, type Recorded, type Recorder } from "./recorder.ts";
import { ROOT, runVastai } from "./venv.ts";

const OPS = ["search", "rent", "show", "list", "label", "logs", "destroy"] as const;
const FILTER = "compute_cap >= 750 gpu_ram >= 16 num_gpus = 1 static_ip = true direct_port_count >= 1 verified = true rentable = true";
const DISK = 10;

let emu: RunningEmulator;
let rec: Recorder;
beforeAll(async () => {
  emu = await startEmulator({ pendingMs: 50, createdMs: 50, loadingMs: 100 });
  rec = await startRecorder(emu.url);
});
afterAll(async () => {
  await rec?.close();
  await emu?.stop();
});

/** A JSON value's type, recursively for arrays (element types) — objects are compared key by key. */
function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `array<${[...new Set(v.map(typeOf))].sort().join("|")}>`;
  return typeof v;
}

/** Differences between two JSON values, as "<where> <key path> (product only|sdk only)" or "… <key>: <type> vs <type>". */
function jsonDiffs(where: string, a: unknown, b: unknown, path = ""): string[] {
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const out: string[] = [];
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const p = path ? `${path}.${k}` : k;
      if (!(k in b)) out.push(`${where} ${p} (product only)`);
      else if (!(k in a)) out.push(`${where} ${p} (sdk only)`);
      else out.push(...jsonDiffs(where, a[k], b[k], p));
    }
    return out;
  }
  const ta = isObj(a) ? "object" : typeOf(a);
  const tb = isObj(b) ? "object" : typeOf(b);
  return ta === tb ? [] : [`${where} ${path || "(whole)"}: ${ta} in the product, ${tb} in the sdk`];
}

/** A query value as the server reads it: JSON when it parses (the SDK JSON-encodes non-strings), else a string. */
function queryValues(path: string): Record<string, unknown> {
  const q = new URL(path, "http://x").searchParams;
  return Object.fromEntries([...q.keys()].map((k) => {
    const raw = q.get(k) ?? "";
    try {
      return [k, JSON.parse(raw)];
    } catch {
      return [k, raw];
    }
  }));
}

function requestDiffs(op: string, mine: Recorded[], theirs: Recorded[]): string[] {
  if (mine.length !== theirs.length) return [`${op}: ${mine.length} requests in the product, ${theirs.length} in the sdk`];
  return mine.flatMap((m, i) => {
    const t = theirs[i]!;
    const out: string[] = [];
    // Ids differ (each client rents its own offer): compared as {id}; the trailing slash is kept.
    const shape = (p: string) => p.split("?")[0]!.replace(/\/\d+(?=\/|$)/g, "/{id}");
    const pm = shape(m.path);
    const pt = shape(t.path);
    if (m.method !== t.method) out.push(`${op}: method ${m.method} in the product, ${t.method} in the sdk`);
    if (pm !== pt) out.push(`${op}: path ${pm} in the product, ${pt} in the sdk`);
    const qDiffs = jsonDiffs(`${op}: query`, queryValues(m.path), queryValues(t.path));
    // Query values are compared one level deep: their inner keys are data (a label filter), not shape.
    out.push(...qDiffs.filter((d) => !/query \w+\./.test(d)));
    const body = (r: Recorded) => (r.body ? JSON.parse(r.body) : undefined);
    out.push(...jsonDiffs(`${op}: body`, body(m), body(t)));
    return out;
  });
}

/** The allowed differences: the backticked first column of the table in docs/vast-api.md §9.2, with their reasons. */
function listedDifferences(): Map<string, string> {
  const doc = readFileSync(join(ROOT, "docs", "vast-api.md"), "utf8");
  const start = doc.indexOf("Requests compared with Vast's SDK");
  const section = doc.slice(start, doc.indexOf("\n### ", start));
  const rows = [...section.matchAll(/^\| `([^`]+)` \| ([^|]*) \|$/gm)];
  return new Map(rows.map((r) => [r[1]!, r[2]!.trim()]));
}

describe("request parity with Vast's SDK", () => {
  it("every difference in method, path, query keys, body keys or value types is listed with its reason, and every listed one occurs", async () => {
    const [mineOffer, theirOffer] = (await vast.searchOffers({ apiUrl: emu.url, apiKey: emu.apiKey }, { direct_port_count: { gte: 1 }, order: [["dph_total", "asc"]], limit: 2 }));
    const inputs: VastInstanceInputs = {
      labelPrefix: "vast-reranker", stackName: "parity", resourceName: "r", nonce: "n", label: "vast-reranker.parity.r.n.0",
      selection: { filter: FILTER, diskGb: DISK } satisfies OfferSelection,
      image: "vastai/base-image:cuda-12.4.1-auto", env: { "-p 8000:8000": "1", HF_HOME: "/data" }, secretEnv: { VLLM_API_KEY: "k".repeat(64) },
      runtype: "args", onstart: "/bin/sh", args: ["-c", "echo serving"], containerPort: 8000, maxAttempts: 1, bootTimeoutSeconds: 60,
    };
    const opts: vast.VastClientOptions = { apiUrl: rec.url, apiKey: emu.apiKey, maxAttempts: 1 };
    const mark = (name: string) => fetch(`${rec.url}/_mark/${name}`);
    rec.clear();

    // The product: the client calls the provider makes for these operations.
    await mark("search");
    await vast.searchOffers(opts, buildOfferQuery(inputs.selection));
    await mark("rent");
    const rented = await vast.rentOffer(opts, mineOffer!.id, createRequest(inputs, mineOffer as Offer, inputs.label!));
    if (rented.kind !== "rented") throw new Error(JSON.stringify(rented));
    await mark("show");
    await vast.showInstance(opts, rented.instanceId);
    await mark("list");
    await vast.findInstancesByLabel(opts, inputs.label!);
    await mark("label");
    await vast.setInstanceLabel(opts, rented.instanceId, `${inputs.label}.relabelled`);
    await mark("logs");
    await readInstanceLog(opts, rented.instanceId, "daemon"); // the boot's own log read (components/vast/api/logs.ts)
    await mark("destroy");
    await vast.destroyInstance(opts, rented.instanceId);
    await mark("end");
    const mine = new Map(rec.groups());

    // Vast's SDK: the same operations, same inputs.
    rec.clear();
    const spec = {
      filter: FILTER, disk: DISK, offer: theirOffer!.id, image: inputs.image, env: { ...inputs.env, ...inputs.secretEnv }, label: inputs.label,
      onstart: inputs.onstart, runtype: inputs.runtype, args: inputs.args,
    };
    const sdk = await runVastai("python", [join(ROOT, "tests", "vastai", "sdk_requests.py"), rec.url, emu.apiKey, JSON.stringify(spec)]);
    expect(sdk.code, sdk.stderr).toBe(0);
    const theirs = new Map(rec.groups());

    for (const op of OPS) {
      expect(mine.get(op)?.length, `product ${op}`).toBeGreaterThan(0);
      expect(theirs.get(op)?.length, `sdk ${op}`).toBeGreaterThan(0);
    }
    const found = OPS.flatMap((op) => requestDiffs(op, mine.get(op)!, theirs.get(op)!));
    const listed = listedDifferences();
    expect(found.filter((d) => !listed.has(d)), "differences not listed in docs/vast-api.md §9.2").toEqual([]);
    expect([...listed.keys()].filter((d) => !found.includes(d)), "listed differences that no longer occur").toEqual([]);
    for (const [d, reason] of listed) expect(reason.length, `reason for ${d}`).toBeGreaterThan(20);

    // Both name themselves: Vast's SDK as vastai-sdk/<version>, the product as vast-reranker/<package.json version>.
    const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
    for (const r of OPS.flatMap((op) => mine.get(op)!)) {
      expect(r.headers["user-agent"]).toBe(`vast-reranker/${version}`);
      expect(r.headers.authorization).toBe(`Bearer ${emu.apiKey}`);
    }
    for (const r of OPS.flatMap((op) => theirs.get(op)!)) expect(r.headers["user-agent"]).toBe("vastai-sdk/1.9.1");
  }, 120_000);
});
