// The emulated Vast.ai REST API (docs/vast-api.md; §8 is the checklist).
import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { OfferQuery } from "../components/vast/api/types.ts";
import { INSTANCE_KINDS, thresholdText, type Faults, type RateLimiter, type RequestLog, type Scope } from "./faults.ts";
import { json, matchPath, normalize, parseJson, readBody, send, sleep, text, type Reply } from "./http.ts";
import type { Instances } from "./instances.ts";
import { QueryError } from "./query.ts";
import { SEARCH_DIRECTIVES, type Market } from "./market.ts";
import type { FaultSpec, Settings } from "./types.ts";
import { validateCreate } from "./validate.ts";
import { ListError, listV1, toWire } from "./wire.ts";
import { requestLogs as logsRequested } from "./logs.ts";
import { listed, lostAnswer } from "./lagFaults.ts";
import { readLog } from "./runtime.ts";
import { templateRef, withTemplate, type Templates } from "./templates.ts";

export interface Ctx {
  settings: Settings;
  keys: Set<string>;
  market: Market;
  instances: Instances;
  faults: Faults;
  limiter: RateLimiter;
  log: RequestLog;
  /** Vast templates, per account key (templates.ts): instance create and worker groups read them. */
  templates: Templates;
  url: () => string;
  verbose: boolean;
}

interface Call {
  ctx: Ctx;
  /** The caller's API key ("" on the routes that need none): instances belong to the key that rented them. */
  key: string;
  url: URL;
  params: Record<string, string>;
  body: unknown;
}

interface Route {
  method: string;
  pattern: string;
  auth: boolean;
  handler: (c: Call) => Reply | Promise<Reply>;
}

const fail = (status: number, error: string, msg: string, extra: Record<string, unknown> = {}): Reply =>
  json(status, { success: false, error, msg, ...extra });
const noSuchInstance = (id: number | string) => fail(404, "no_such_instance", `Instance ${id} not found.`);

/** Bare filter values are refused, as recorded (filters must be operator objects, reference §2). */
function bareFilters(query: unknown): Reply | undefined {
  if (!query || typeof query !== "object" || Array.isArray(query)) return undefined;
  const bare = Object.entries(query).filter(([k, v]) => !SEARCH_DIRECTIVES.has(k) && (v === null || typeof v !== "object" || Array.isArray(v))).map(([k]) => k);
  return bare.length ? fail(400, "bad_request", bare.map((k) => `q.${k}: Input should be a valid dictionary`).join("; ")) : undefined;
}

function search(c: Call, query: unknown): Reply {
  const bare = bareFilters(query);
  if (bare) return bare;
  try {
    return json(200, { offers: c.ctx.market.search(query as OfferQuery) });
  } catch (e) {
    if (e instanceof QueryError) return fail(400, "invalid_request", e.message);
    throw e;
  }
}

function unwrapQ(body: unknown): unknown {
  const q = (body as { q?: unknown } | null)?.q;
  return q && typeof q === "object" ? q : body;
}

function instanceId(c: Call): number | null {
  return /^\d+$/.test(c.params.id) ? Number(c.params.id) : null;
}

function create(c: Call): Reply {
  if (!/^\d+$/.test(c.params.id)) return fail(400, "invalid_args", "error 400/3467: Invalid args: 'id' is required and must be a valid offer ID");
  const askId = Number(c.params.id);
  // template_hash_id: the template's launch, the request's fields laid over it (templates.ts).
  const applied = withTemplate(c.ctx.templates, c.key, c.body);
  if ("error" in applied) return fail(400, "invalid_args", `error 400/3467: ${applied.error}`, { ask_id: askId });
  const req = validateCreate(askId, applied.body);
  if ("status" in req) return json(req.status, req.body);
  req.template = templateRef(applied.template);
  const { market, faults, instances } = c.ctx;
  const known = market.all().find((o) => o.id === askId);
  const offer = market.available(askId);
  const unknown = () => fail(404, "invalid_args", `error 404/3603: no_such_ask Instance type by id ${askId} is not available.`, { ask_id: askId });
  // Renting an ask already rented answers 410 no_such_ask (recorded); the body's wording is ours.
  const taken = () => fail(410, "no_such_ask", `Instance type by id ${askId} is no longer available.`, { ask_id: askId });
  if (!offer) return known?.rented ? taken() : unknown();
  if (faults.take(["offer_taken"], { offerId: askId, machineId: offer.machine_id }).length) {
    market.take(askId); // someone else rented it between search and create
    return taken();
  }
  const scope: Scope = { offerId: askId, machineId: offer.machine_id, instanceId: instances.nextInstanceId() };
  // A bid below the host's minimum, or a bid the host has not taken yet (bid_pending): the contract exists.
  const pending = req.price !== null && (req.price < offer.min_bid || faults.take(["bid_pending"], scope).length > 0);
  const boot: FaultSpec[] = faults.take(INSTANCE_KINDS, scope);
  market.take(askId);
  const rec = instances.create(c.key, offer, req, boot, pending);
  // Every rent answer carries the instance's own key (64 hex, recorded); a pending bid answers
  // success false with the live contract and nothing else (recorded shape).
  const instanceKey = randomBytes(32).toString("hex");
  return json(200, { success: !pending, new_contract: rec.id, instance_api_key: instanceKey });
}

function show(c: Call): Reply {
  const id = instanceId(c);
  if (id === null) return fail(400, "invalid_args", "invalid instance_id");
  const rec = c.ctx.instances.visible(id, c.key);
  return json(200, { instances: rec ? toWire(rec) : null });
}

function manage(c: Call): Reply {
  const id = instanceId(c);
  if (id === null) return fail(400, "invalid_args", "invalid instance_id");
  const rec = c.ctx.instances.owned(id, c.key);
  if (!rec) return noSuchInstance(id);
  const b = (c.body ?? {}) as { label?: unknown; state?: unknown };
  if (b.state !== undefined && b.state !== "running" && b.state !== "stopped") {
    return fail(400, "invalid_args", `invalid state ${JSON.stringify(b.state)}; use "running" or "stopped"`);
  }
  if (b.label !== undefined) {
    if (b.label !== null && typeof b.label !== "string") return fail(400, "invalid_args", "label must be a string");
    if (typeof b.label === "string" && b.label.length > 1024) {
      return fail(400, "label_too_long", "Please limit label length to 1024 characters, ideally less than 128.");
    }
    rec.label = b.label;
  }
  if (b.state === "running" || b.state === "stopped") c.ctx.instances.setState(rec, b.state);
  if (b.label !== undefined && b.state === undefined) return json(200, { success: true, msg: `label for ${id} set to '${b.label ?? ""}'` });
  return json(200, { success: true });
}

async function destroy(c: Call): Promise<Reply> {
  const id = instanceId(c);
  if (id === null) return fail(400, "invalid_args", "invalid instance_id");
  const rec = c.ctx.instances.owned(id, c.key);
  if (!rec) return noSuchInstance(id);
  await c.ctx.instances.destroy(rec);
  return json(200, { success: true });
}

function listLegacy(c: Call): Reply {
  if (c.ctx.settings.legacyInstanceList === "gone") return json(410, { success: false, msg: "Use /api/v1/instances/ instead" });
  const all = c.ctx.instances.live(c.key).map((r) => toWire(r));
  return json(200, { instances_found: all.length, instances: all });
}

function list(c: Call): Reply {
  try {
    return json(200, listV1(c.ctx.instances.live(c.key).filter((r) => listed(r)), c.url.searchParams)); // list_lag: lagFaults.ts
  } catch (e) {
    if (e instanceof ListError) return fail(400, e.code, e.message);
    throw e;
  }
}

function requestLogs(c: Call): Reply {
  const id = instanceId(c);
  const rec = id === null ? undefined : c.ctx.instances.owned(id, c.key);
  if (!rec) return noSuchInstance(c.params.id);
  return logsRequested(rec, c.body, c.ctx.url(), readLog(rec.logFile), c.ctx.instances.tail?.timeScale); // logs.ts
}

const user = (): Reply =>
  json(200, { id: 1, username: "emulator", email: "emulator@localhost", balance: 100.0, credit: 100.0, ssh_key: null, can_pay: true });

const ROUTES: Route[] = [
  { method: "POST", pattern: "/api/v0/bundles", auth: false, handler: (c) => search(c, unwrapQ(c.body)) },
  { method: "GET", pattern: "/api/v0/bundles", auth: false, handler: (c) => search(c, parseJson(c.url.searchParams.get("q") ?? "{}")) },
  { method: "PUT", pattern: "/api/v0/search/asks", auth: false, handler: (c) => search(c, unwrapQ(c.body)) },
  { method: "PUT", pattern: "/api/v0/asks/:id", auth: true, handler: create },
  { method: "GET", pattern: "/api/v0/instances/:id", auth: true, handler: show },
  { method: "PUT", pattern: "/api/v0/instances/:id", auth: true, handler: manage },
  { method: "DELETE", pattern: "/api/v0/instances/:id", auth: true, handler: destroy },
  { method: "GET", pattern: "/api/v0/instances", auth: true, handler: listLegacy },
  { method: "GET", pattern: "/api/v1/instances", auth: true, handler: list },
  { method: "PUT", pattern: "/api/v0/instances/request_logs/:id", auth: true, handler: requestLogs },
  { method: "GET", pattern: "/api/v0/users/current", auth: true, handler: user },
  { method: "POST", pattern: "/api/v0/template", auth: true, handler: (c) => c.ctx.templates.create(c.key, c.body) },
  { method: "GET", pattern: "/api/v0/template", auth: true, handler: (c) => c.ctx.templates.search(c.key, c.url) },
  { method: "DELETE", pattern: "/api/v0/template", auth: true, handler: (c) => c.ctx.templates.remove(c.key, c.body) },
  { method: "PUT", pattern: "/api/v1/template", auth: true, handler: (c) => c.ctx.templates.update(c.key, c.body) },
];

function apiKey(req: IncomingMessage, url: URL): string | null {
  const h = req.headers.authorization;
  if (h) {
    const [scheme, ...rest] = h.trim().split(/\s+/);
    if (scheme.toLowerCase() === "bearer" && rest.length) return rest.join(" ");
  }
  return url.searchParams.get("api_key");
}

function scopeOf(ctx: Ctx, pattern: string, params: Record<string, string>): Scope {
  const id = Number(params.id);
  if (!Number.isFinite(id)) return {};
  if (pattern.startsWith("/api/v0/asks")) return { offerId: id, machineId: ctx.market.all().find((o) => o.id === id)?.machine_id };
  const rec = ctx.instances.recs.get(id);
  return { instanceId: id, machineId: rec?.offer.machine_id, offerId: rec?.offer.id };
}

function faultReply(kind: string, status: number | undefined, route: string, settings: Settings): Reply {
  if (kind === "http_429") {
    const ms = settings.rateLimits[route] ?? settings.rateLimits["*"] ?? 2000;
    return text(429, `API requests too frequent endpoint threshold=${thresholdText(ms || 2000)}`);
  }
  const s = status ?? 503;
  const reason = s === 502 ? "Bad Gateway" : s === 504 ? "Gateway Time-out" : s === 500 ? "Internal Server Error" : "Service Temporarily Unavailable";
  return text(s, `<html>\r\n<head><title>${s} ${reason}</title></head>\r\n<body>\r\n<center><h1>${s} ${reason}</h1></center>\r\n</body>\r\n</html>\r\n`, "text/html");
}

export async function handleVast(ctx: Ctx, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const method = req.method ?? "GET";
  const { match, pathKnown } = matchPath(ROUTES, method, url.pathname);
  const route = match ? `${method} ${match.route.pattern}` : `${method} ${normalize(url.pathname)}`;
  const key = apiKey(req, url);
  // A digest, not a prefix: the log (admin API, verbose stderr) must not reveal any part of a key.
  const identity = key ? `key#${createHash("sha256").update(key).digest("hex").slice(0, 8)}` : "anonymous";
  let reply: Reply;
  try {
    const raw = await readBody(req);
    const { delayMs, error } = ctx.faults.http(route, match ? scopeOf(ctx, match.route.pattern, match.params) : {});
    if (delayMs) await sleep(delayMs);
    const body = parseJson(raw);
    if (error) reply = faultReply(error.kind, error.status, route, ctx.settings);
    else if (!match) reply = pathKnown ? json(405, { detail: `Method "${method}" not allowed.` }) : fail(404, "not_found", `${normalize(url.pathname)} is not an emulated route`);
    else if (match.route.auth && !key) reply = fail(ctx.settings.missingKeyStatus, "auth_error", "Authentication credentials were not provided.");
    else if (match.route.auth && !ctx.keys.has(key as string)) reply = fail(401, "auth_error", "Invalid user key");
    else {
      const limited = ctx.limiter.check(route, key ?? "anonymous", ctx.settings.rateLimits);
      if (limited) reply = text(429, `API requests too frequent endpoint threshold=${thresholdText(limited)}`);
      else if (body === undefined) reply = fail(400, "invalid_request", "JSON parse error: the request body is not valid JSON");
      else reply = await match.route.handler({ ctx, key: key ?? "", url, params: match.params, body });
      const lost = reply.status < 300 && match ? ctx.faults.afterSuccess(route, scopeOf(ctx, match.route.pattern, match.params)) : null;
      if (lost) reply = lostAnswer(lost); // carried out, answer lost (lagFaults.ts)
    }
  } catch (e) {
    reply = fail(500, "server_error", `emulator error: ${(e as Error).message}`);
  }
  send(res, reply);
  const path = url.pathname + url.search.replace(/([?&]api_key=)[^&]*/g, "$1***");
  ctx.log.add({ ts: Date.now(), method, route, path, status: reply.status, identity });
  if (ctx.verbose) process.stderr.write(`[vast-emulator] ${method} ${path} -> ${reply.status}\n`);
}
