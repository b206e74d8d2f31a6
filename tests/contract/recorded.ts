// Recorded Vast answers (../shared/vast-recorded, beside the repository; SOURCES.md there says where each
// comes from) and a replay server that answers the product's client with them, recording what it asked.
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { join, resolve } from "node:path";

export const RECORDED_DIR = resolve(import.meta.dirname, "../../../shared/vast-recorded");

/** Every recorded file name (SOURCES.md aside). */
export function recordedFiles(): string[] {
  return readdirSync(RECORDED_DIR).filter((f) => f !== "SOURCES.md").sort();
}

export function recordedText(name: string): string {
  return readFileSync(join(RECORDED_DIR, name), "utf8");
}

/** JSON, or JSONC as the authors wrote it (`// notes`, trailing commas). */
export function recorded<T = unknown>(name: string): T {
  const text = recordedText(name);
  if (!name.endsWith(".jsonc")) return JSON.parse(text) as T;
  const plain = text.replace(/\/\/[^\n]*/g, "").replace(/,(\s*[}\]])/g, "$1");
  return JSON.parse(plain) as T;
}

export interface Asked {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Replay {
  url: string;
  asked: Asked[];
  close(): Promise<void>;
}

/** Answers the n-th request with answers[n] (the last one repeats), as JSON with the given status. */
export async function replay(answers: Array<{ status: number; body: string }>): Promise<Replay> {
  const asked: Asked[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      asked.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body });
      const a = answers[Math.min(asked.length - 1, answers.length - 1)]!;
      res.writeHead(a.status, { "Content-Type": "application/json" });
      res.end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    asked,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
