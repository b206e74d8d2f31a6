// Vast Serverless in the emulator: the console routes (./console.ts), the engine's routes and loop
// (./autoscaler.ts), the CA (./tls.ts) and isolated worker containers (./isolation.ts), served by the
// emulator's one HTTP server (Vast's CLI sends the engine's calls to its server URL when that is not
// console.vast.ai, so one URL serves both).
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { json, matchPath, normalize, parseJson, readBody, send, text, type Reply } from "../http.ts";
import type { Ctx } from "../vast-api.ts";
import { Autoscaler, type ScalerTimings } from "./autoscaler.ts";
import * as c from "./console.ts";
import { isolate } from "./isolation.ts";
import { ServerlessState } from "./state.ts";
import { createAuthority, type Authority } from "./tls.ts";

export const DEFAULT_SCALER_TIMINGS: ScalerTimings = { tickMs: 1000, scaleDownMs: 30_000, loadWindowMs: 10_000 };
/** Where Vast's client downloads Vast's root certificate from (its SSL_CERT_URL), on this server. */
const ROOT_CERT_PATH = "/static/jvastai_root.cer";

type Auth = "account" | "none" | "engine";
interface Route {
  method: string;
  pattern: string;
  auth: Auth;
  run: (a: { body: unknown; id: number; url: URL; key: string | null }) => Reply | Promise<Reply>;
}

export interface Serverless {
  state: ServerlessState;
  autoscaler: Autoscaler;
  authority: Authority;
  handles(path: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
  reset(): void;
  stop(): void;
}

function keyOf(req: IncomingMessage, url: URL): string | null {
  const h = req.headers.authorization;
  const m = h ? /^\s*bearer\s+(.+?)\s*$/i.exec(h) : null;
  return m ? m[1] : url.searchParams.get("api_key");
}

export function createServerless(ctx: Ctx, workDir: string, python: string, timings: Partial<ScalerTimings> = {}): Serverless {
  const state = new ServerlessState();
  const autoscaler = new Autoscaler(state, ctx, { ...DEFAULT_SCALER_TIMINGS, ...timings });
  // Made on first use: most emulator runs never serve a serverless worker.
  let ca: Authority | null = null;
  const authority: Authority = {
    get certPem() {
      return (ca ??= createAuthority(join(workDir, "serverless-ca"))).certPem;
    },
    sign: (csr, ip) => (ca ??= createAuthority(join(workDir, "serverless-ca"))).sign(csr, ip),
  };
  const ops: c.ConsoleOps = { state, templates: ctx.templates, releaseWorkers: (f) => autoscaler.release(f, "deleted with its group") };
  ctx.instances.containerHook = (rec, argv, env) =>
    isolate({ dir: rec.dir, python, argv, env, hostPorts: rec.hostPorts, emulatorPort: Number(new URL(ctx.url()).port) });

  const endpointFor = (id: number, key: string | null) => {
    const ep = state.endpoints.get(id);
    return ep && (key === ep.api_key || (key !== null && ctx.keys.has(key))) ? ep : undefined;
  };
  const logs = (kind: "endpoint" | "group", id: number, tail: unknown) => {
    const lines = state.logs.get(`${kind}:${id}`) ?? [];
    const n = typeof tail === "number" && tail > 0 ? tail : lines.length;
    const t = lines.slice(-n).join("\n");
    return json(200, { info0: t, info1: t, trace: t, debug: t });
  };
  const routes: Route[] = [
    { method: "GET", pattern: "/api/v0/endptjobs", auth: "account", run: () => c.listEndpoints(ops) },
    { method: "POST", pattern: "/api/v0/endptjobs", auth: "account", run: (a) => c.createEndpoint(ops, a.body, a.key ?? "") },
    { method: "GET", pattern: "/api/v0/endptjobs/:id", auth: "account", run: (a) => c.getEndpoint(ops, a.id) },
    { method: "PUT", pattern: "/api/v0/endptjobs/:id", auth: "account", run: (a) => c.updateEndpoint(ops, a.id, a.body) },
    { method: "DELETE", pattern: "/api/v0/endptjobs/:id", auth: "account", run: (a) => c.deleteEndpoint(ops, a.id) },
    ...["workergroups", "autojobs"].flatMap((p): Route[] => [
      { method: "GET", pattern: `/api/v0/${p}`, auth: "account", run: () => c.listGroups(ops) },
      { method: "POST", pattern: `/api/v0/${p}`, auth: "account", run: (a) => c.createGroup(ops, a.body, a.key ?? "") },
      { method: "PUT", pattern: `/api/v0/${p}/:id`, auth: "account", run: (a) => c.updateGroup(ops, a.id, a.body, a.key ?? "") },
      { method: "DELETE", pattern: `/api/v0/${p}/:id`, auth: "account", run: (a) => c.deleteGroup(ops, a.id) },
    ]),
    { method: "GET", pattern: ROOT_CERT_PATH, auth: "none", run: () => text(200, authority.certPem, "application/x-x509-ca-cert") },
    { method: "POST", pattern: "/api/v0/sign_cert", auth: "none", run: (a) => signCert(a.url, a.body) },
    { method: "GET", pattern: "/pubkey", auth: "none", run: () => text(200, autoscaler.publicKeyPem) },
    { method: "POST", pattern: "/route", auth: "engine", run: (a) => autoscaler.route(a.body, a.key) },
    { method: "POST", pattern: "/worker_status", auth: "engine", run: (a) => autoscaler.workerStatus(a.body) },
    { method: "POST", pattern: "/delete_requests", auth: "engine", run: () => json(200, { success: true }) },
    {
      method: "POST", pattern: "/get_endpoint_workers", auth: "engine", run: (a) => {
        const b = (a.body ?? {}) as { id?: unknown; api_key?: unknown };
        const ep = endpointFor(Number(b.id), typeof b.api_key === "string" ? b.api_key : a.key);
        return ep ? json(200, autoscaler.workersReply(ep)) : json(200, { error_msg: "authenticate_endpoint_apikey_by_id: no such endpoint for this key" });
      },
    },
    ...(["get_endpoint_logs", "get_autogroup_logs"] as const).map((p): Route => ({
      method: "POST", pattern: `/${p}`, auth: "engine", run: (a) => {
        const b = (a.body ?? {}) as { id?: unknown; api_key?: unknown; tail?: unknown };
        const key = typeof b.api_key === "string" ? b.api_key : a.key;
        if (p === "get_endpoint_logs") return endpointFor(Number(b.id), key) ? logs("endpoint", Number(b.id), b.tail) : json(401, { error: "Authentication failed" });
        const g = state.groups.get(Number(b.id));
        return g && endpointFor(g.endpoint_id, key) ? logs("group", g.id, b.tail) : json(401, { error: "Authentication failed" });
      },
    })),
  ];

  // The worker's CSR is signed for the instance's public IP (what it advertises), as Vast's console does.
  function signCert(url: URL, body: unknown): Reply {
    const id = Number(url.searchParams.get("instance_id"));
    const rec = ctx.instances.recs.get(id);
    if (!rec || rec.destroyed || !state.workers.has(id)) return json(404, { success: false, error: "no_such_instance", msg: `Instance ${id} is not a serverless worker` });
    try {
      return text(200, authority.sign(String(body), "127.0.0.1"), "application/x-pem-file");
    } catch (e) {
      return json(400, { success: false, error: "invalid_csr", msg: (e as Error).message });
    }
  }

  return {
    state, autoscaler, authority,
    handles: (path) => matchPath(routes, "GET", path).pathKnown || ["POST", "PUT", "DELETE"].some((m) => matchPath(routes, m, path).pathKnown),
    async handle(req, res, url) {
      const method = req.method ?? "GET";
      const { match } = matchPath(routes, method, url.pathname);
      const key = keyOf(req, url);
      let reply: Reply;
      try {
        const raw = await readBody(req);
        const route = match ? `${method} ${match.route.pattern}` : `${method} ${normalize(url.pathname)}`;
        // Injected HTTP faults (emulator/README.md "Faults") apply to these routes too, e.g. "POST /api/v0/workergroups".
        const { delayMs, error } = ctx.faults.http(route, {});
        if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
        const body = match?.route.pattern === "/api/v0/sign_cert" ? raw : parseJson(raw);
        if (error) reply = json(error.status ?? 503, { success: false, error: "server_error", msg: `injected ${error.kind}` });
        else if (!match) reply = json(405, { detail: `Method "${method}" not allowed.` });
        else if (match.route.auth === "account" && !(key && ctx.keys.has(key))) reply = json(401, { success: false, error: "auth_error", msg: "Invalid user key" });
        else if (body === undefined) reply = json(400, { success: false, error: "invalid_request", msg: "JSON parse error" });
        else reply = await match.route.run({ body, id: Number(match.params.id), url, key });
      } catch (e) {
        reply = json(500, { success: false, error: "server_error", msg: `emulator error: ${(e as Error).message}` });
      }
      send(res, reply);
      const identity = key ? `key#${createHash("sha256").update(key).digest("hex").slice(0, 8)}` : "anonymous";
      const route = match ? `${method} ${match.route.pattern}` : `${method} ${normalize(url.pathname)}`;
      ctx.log.add({ ts: Date.now(), method, route, path: url.pathname + url.search.replace(/([?&]api_key=)[^&]*/g, "$1***"), status: reply.status, identity });
      if (ctx.verbose) process.stderr.write(`[vast-emulator] ${method} ${url.pathname} -> ${reply.status}\n`);
    },
    reset() {
      autoscaler.release(() => true, "emulator reset");
      state.clear();
    },
    stop() {
      autoscaler.stop();
    },
  };
}
