// Helpers for tests that run Python for real: the project venv (scripts/setup-python.sh) or
// VAST_EMULATOR_PYTHON; a subprocess that prints its port on the first stdout line.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import http from "node:http";
import path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");
export const GUARD_PY = path.join(ROOT, "components", "vllm", "guard.py");

export function venvPython(): string {
  const py = process.env.VAST_EMULATOR_PYTHON ?? path.join(ROOT, ".cache", "venv", "bin", "python");
  if (!existsSync(py)) throw new Error(`${py} missing: run \`bash scripts/setup-python.sh\``);
  return py;
}

export interface Served {
  port: number;
  child: ChildProcess;
  stderr: () => string;
  stop: () => Promise<void>;
}

/** Spawns `python args...`, resolves with the port it prints first; rejects if it exits. */
export function servePython(args: string[], env: Record<string, string>): Promise<Served> {
  const child = spawn(venvPython(), args, { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d) => {
      out += d;
      const line = out.split("\n");
      if (line.length > 1) {
        resolve({
          port: Number(line[0]),
          child,
          stderr: () => err,
          stop: () => new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once("exit", () => done());
            child.kill("SIGTERM");
          }),
        });
      }
    });
    child.once("exit", (code) => reject(new Error(`python exited ${code} before serving: ${err}`)));
  });
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Raw HTTP request: the path and Host header go on the wire exactly as given. */
export function rawRequest(port: number, method: string, rawPath: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path: rawPath, headers, setHost: !("host" in headers) }, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (data += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
    });
    req.on("error", reject);
    req.end(body);
  });
}
