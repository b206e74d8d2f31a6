// Small HTTP helpers shared by the Vast API and the admin API.
import type { IncomingMessage, ServerResponse } from "node:http";

export interface Reply {
  status: number;
  json?: unknown;
  text?: string;
  contentType?: string;
}

export const json = (status: number, body: unknown): Reply => ({ status, json: body });
export const text = (status: number, body: string, contentType = "text/plain"): Reply => ({ status, text: body, contentType });

export function send(res: ServerResponse, r: Reply): void {
  // Exactly "application/json", no charset: the legacy CLI refuses anything else (docs/vast-api.md §8.3).
  const body = r.json !== undefined ? JSON.stringify(r.json) : (r.text ?? "");
  const type = r.json !== undefined ? "application/json" : (r.contentType ?? "text/plain");
  res.writeHead(r.status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

const MAX_BODY = 8 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    const b = c as Buffer;
    size += b.length;
    if (size > MAX_BODY) throw new Error("request body too large");
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Empty body = `{}` (clients send `{}` or nothing on DELETE/PUT); undefined = not JSON. */
export function parseJson(raw: string): unknown {
  if (raw.trim() === "") return {};
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

export interface Match<T> {
  route: T;
  params: Record<string, string>;
}

/** Match a path against `/a/:id/b` patterns, with or without a trailing slash. */
export function matchPath<T extends { method: string; pattern: string }>(
  routes: T[],
  method: string,
  path: string,
): { match: Match<T> | null; pathKnown: boolean } {
  const segs = normalize(path).split("/");
  let pathKnown = false;
  for (const r of routes) {
    const ps = r.pattern.split("/");
    if (ps.length !== segs.length) continue;
    const params: Record<string, string> = {};
    if (!ps.every((p, i) => (p.startsWith(":") ? ((params[p.slice(1)] = decodeURIComponent(segs[i])), true) : p === segs[i]))) continue;
    pathKnown = true;
    if (r.method === method) return { match: { route: r, params }, pathKnown };
  }
  return { match: null, pathKnown };
}

export function normalize(path: string): string {
  const p = path.replace(/\/+$/, "");
  return p === "" ? "/" : p;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
