// A recording proxy in front of the emulator: every request (method, raw path, headers, body) is kept,
// then forwarded and answered as the emulator answers it. `GET /_mark/<name>` is not forwarded: it
// starts a new group, so two clients' requests for the same operation can be put side by side.
import { createServer, request, type IncomingHttpHeaders } from "node:http";

export interface Recorded {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Recorder {
  url: string;
  /** Requests per mark, in order (requests before the first mark are under ""). */
  groups(): Map<string, Recorded[]>;
  clear(): void;
  close(): Promise<void>;
}

export async function startRecorder(target: string): Promise<Recorder> {
  const to = new URL(target);
  let groups = new Map<string, Recorded[]>([["", []]]);
  let current = "";
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const path = req.url ?? "/";
      const mark = /^\/_mark\/([^/?]+)/.exec(path);
      if (mark) {
        current = decodeURIComponent(mark[1]);
        groups.set(current, []);
        res.writeHead(204).end();
        return;
      }
      groups.get(current)!.push({ method: req.method ?? "", path, headers: req.headers, body: body.toString("utf8") });
      const fwd = request({ host: to.hostname, port: to.port, method: req.method, path, headers: { ...req.headers, host: to.host } }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      fwd.on("error", (e) => res.writeHead(502).end(String(e)));
      fwd.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    groups: () => groups,
    clear: () => {
      groups = new Map([["", []]]);
      current = "";
    },
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
