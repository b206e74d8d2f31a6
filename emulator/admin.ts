// The emulator's own admin API under /_emulator/ (no auth: it only listens on loopback).
import type { IncomingMessage, ServerResponse } from "node:http";
import { VAST_RATE_LIMITS } from "./faults.ts";
import { json, matchPath, parseJson, readBody, send, text, type Reply } from "./http.ts";
import type { FaultSpec, RunningEmulator, Settings } from "./types.ts";
import { serveUpload } from "./logs.ts";

const TIMING_KEYS = ["pendingMs", "createdMs", "loadingMs", "modelLoadMs", "lingerDeletedMs", "readLagMs"] as const;

/** Validate a settings patch (admin API, CLI and options share it). Throws on bad input. */
export function checkSettings(patch: unknown): Partial<Settings> {
  if (!patch || typeof patch !== "object" || Array.isArray(patch)) throw new Error("config must be a JSON object");
  const p = patch as Record<string, unknown>;
  const out: Partial<Settings> = {};
  for (const [k, v] of Object.entries(p)) {
    if ((TIMING_KEYS as readonly string[]).includes(k)) {
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new Error(`${k} must be a number >= 0 (ms)`);
      out[k as (typeof TIMING_KEYS)[number]] = v;
    } else if (k === "missingKeyStatus") {
      if (v !== 401 && v !== 403) throw new Error("missingKeyStatus must be 401 or 403");
      out.missingKeyStatus = v;
    } else if (k === "legacyInstanceList") {
      if (v !== "gone" && v !== "list") throw new Error('legacyInstanceList must be "gone" or "list"');
      out.legacyInstanceList = v;
    } else if (k === "rateLimits") {
      if (v === "vast") out.rateLimits = { ...VAST_RATE_LIMITS };
      else if (v === null || v === "off") out.rateLimits = {};
      else if (typeof v === "object" && !Array.isArray(v) && Object.values(v).every((x) => typeof x === "number" && x >= 0)) {
        out.rateLimits = { ...(v as Record<string, number>) };
      } else throw new Error('rateLimits must be "vast", "off", or {"<METHOD> <route>" | "*": minIntervalMs}');
    } else throw new Error(`unknown config key ${k}`);
  }
  return out;
}

interface AdminRoute {
  method: string;
  pattern: string;
  handler: (emu: RunningEmulator, body: unknown, params: Record<string, string>, url: URL) => Reply | Promise<Reply>;
}

const ok = (extra: Record<string, unknown> = {}) => json(200, { success: true, ...extra });

const ROUTES: AdminRoute[] = [
  { method: "GET", pattern: "/_emulator/health", handler: (e) => ok({ url: e.url, instances: e.instances().filter((i) => !i._emulator.destroyed).length }) },
  { method: "GET", pattern: "/_emulator/faults", handler: (e) => json(200, { faults: e.faults() }) },
  {
    method: "POST",
    pattern: "/_emulator/faults",
    handler: (e, body) => ok({ faults: (Array.isArray(body) ? body : [body]).map((s) => e.injectFault(s as FaultSpec)) }),
  },
  { method: "DELETE", pattern: "/_emulator/faults", handler: (e) => (e.clearFaults(), ok()) },
  { method: "GET", pattern: "/_emulator/requests", handler: (e) => json(200, { entries: e.requestLog(), counts: e.routeCounts() }) },
  { method: "DELETE", pattern: "/_emulator/requests", handler: (e) => (e.clearRequestLog(), ok()) },
  { method: "GET", pattern: "/_emulator/instances", handler: (e) => json(200, { instances: e.instances() }) },
  {
    method: "GET",
    pattern: "/_emulator/instances/:id/logs",
    handler: (e, _b, p, url) => {
      const lines = e.instanceLogs(Number(p.id)).split("\n");
      const tail = Number(url.searchParams.get("tail") ?? 0);
      return text(200, (tail > 0 ? lines.slice(-tail - 1) : lines).join("\n"), "text/plain; charset=utf-8");
    },
  },
  // A request_logs result URL (S3 on real Vast; logs.ts): unauthenticated, 403 until uploaded.
  { method: "GET", pattern: "/_emulator/log-uploads/:name", handler: (_e, _b, p) => serveUpload(p.name) },
  { method: "GET", pattern: "/_emulator/config", handler: (e) => json(200, e.configure({})) },
  { method: "POST", pattern: "/_emulator/config", handler: (e, body) => json(200, e.configure(checkSettings(body))) },
  { method: "GET", pattern: "/_emulator/market", handler: (e) => json(200, { offers: e.market() }) },
  { method: "POST", pattern: "/_emulator/market", handler: (e, body) => ok({ offers: e.replaceMarket(body) }) },
  { method: "POST", pattern: "/_emulator/reset", handler: async (e) => (await e.reset(), ok()) },
];

export async function handleAdmin(emu: RunningEmulator, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  let reply: Reply;
  try {
    const body = parseJson(await readBody(req));
    const { match, pathKnown } = matchPath(ROUTES, req.method ?? "GET", url.pathname);
    if (!match) reply = json(pathKnown ? 405 : 404, { success: false, error: "not_found", msg: `no admin route ${req.method} ${url.pathname}` });
    else if (body === undefined) reply = json(400, { success: false, error: "invalid_request", msg: "body is not JSON" });
    else reply = await match.route.handler(emu, body, match.params, url);
  } catch (e) {
    reply = json(400, { success: false, error: "invalid_request", msg: (e as Error).message });
  }
  send(res, reply);
}
