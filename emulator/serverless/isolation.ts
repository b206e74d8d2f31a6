// Host side of an isolated container (./container.py runs the inside): the launch is wrapped in
// `unshare --net --mount`, the container's published ports are served on their host ports by
// relaying to Unix sockets in the instance dir, and the emulator's own port is offered inside
// through another socket. So only what a Docker host would expose is reachable from outside.
import { mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const CONTAINER_PY = fileURLToPath(new URL("./container.py", import.meta.url));
const SERVERLESS_BIN = fileURLToPath(new URL("./bin", import.meta.url));

export interface Isolated {
  argv: string[];
  env: Record<string, string>;
  stop(): void;
}

function pipeTo(client: Socket, target: () => Socket): void {
  const upstream = target();
  // Like docker-proxy: no Nagle on the relayed TCP side (else 40 ms delayed-ACK stalls per request).
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  upstream.on("error", () => client.destroy());
  client.on("error", () => upstream.destroy());
  client.pipe(upstream);
  upstream.pipe(client);
}

/**
 * Wraps `argv` to run in its own network and mount namespaces. `hostPorts` maps "3000/tcp" to the
 * host port that serves it; `emulatorPort` is made reachable inside on the same number.
 */
export function isolate(opts: { dir: string; python: string; argv: string[]; env: Record<string, string>; hostPorts: Record<string, number>; emulatorPort: number }): Isolated {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  };
  const hostDir = join(opts.dir, "host");
  rmSync(hostDir, { recursive: true, force: true });
  mkdirSync(hostDir, { recursive: true });
  const published: number[] = [];
  for (const [key, hostPort] of Object.entries(opts.hostPorts)) {
    if (!key.endsWith("/tcp")) continue;
    const port = Number(key.split("/")[0]);
    published.push(port);
    const s = createServer((c) => {
      track(c);
      pipeTo(c, () => connect(join(opts.dir, "ports", `${port}.sock`)));
    });
    s.on("error", () => undefined);
    s.listen(hostPort, "127.0.0.1");
    servers.push(s);
  }
  const inward = createServer((c) => {
    track(c);
    pipeTo(c, () => connect(opts.emulatorPort, "127.0.0.1"));
  });
  inward.on("error", () => undefined);
  inward.listen(join(hostDir, `${opts.emulatorPort}.sock`));
  servers.push(inward);
  const { VAST_EMULATOR_PORT_MAP: _map, ...env } = opts.env;
  return {
    argv: ["unshare", "--net", "--mount", "--fork", "--", opts.python, CONTAINER_PY, "--dir", opts.dir, "--publish", published.join(","), "--reach", String(opts.emulatorPort), "--", ...opts.argv],
    // Inside, ports are the container's own (no host-port rewriting); python3/pip have Vast's package.
    env: { ...env, VAST_EMULATOR_NETNS: "1", PATH: `${SERVERLESS_BIN}:${env.PATH ?? ""}` },
    stop() {
      servers.forEach((s) => s.close());
      sockets.forEach((s) => s.destroy());
    },
  };
}

/** A process inside an isolated worker's container: the first descendant of `pid` in another network namespace. */
export function containerProcess(pid: number): number {
  const host = readlinkSync("/proc/self/ns/net");
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift() as number;
    try {
      if (readlinkSync(`/proc/${p}/ns/net`) !== host) return p;
      for (const t of readdirSync(`/proc/${p}/task`)) queue.push(...readFileSync(`/proc/${p}/task/${t}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number));
    } catch {
      /* gone */
    }
  }
  throw new Error("worker container not found");
}
