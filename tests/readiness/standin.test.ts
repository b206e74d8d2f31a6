// End to end without Pulumi: the launch built by components/vllm/launch.ts, executed by /bin/sh
// with the emulator's `vllm` shim (its Starlette stand-in honours --middleware and stock auth),
// then the probe program against it. Hardened must pass; the guide's unhardened launch must fail.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildVllmLaunch } from "../../components/vllm/launch.ts";
import { projectDefaults } from "../helpers/projectConfig.ts";
import { freePort } from "./fakeReranker.ts";
import { venvPython } from "../vllm/python.ts";

const ROOT = path.resolve(__dirname, "..", "..");
const SHIM_DIR = path.join(ROOT, "emulator", "standin", "bin");
const KEY = "a11ce" + "0b".repeat(29) + "ccc";
const tmp = mkdtempSync(path.join(tmpdir(), "standin-e2e-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  rmSync(tmp, { recursive: true, force: true });
});

function run(cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, out })));
}

async function launch(hardened: boolean) {
  const d = projectDefaults(); // the stack's defaults: image, model, max length, dtype
  const l = buildVllmLaunch({ image: d.image, model: d.model, maxModelLen: Number(d.maxModelLen), dtype: d.dtype, hardened }, KEY);
  const port = await freePort();
  const home = mkdtempSync(path.join(tmp, "i-"));
  // As the emulator runs an instance: the create body's env, a per-instance TMPDIR/HOME, the shim on PATH.
  const env = {
    PATH: `${SHIM_DIR}:/usr/bin:/bin`, HOME: home, TMPDIR: home, VAST_EMULATOR_PORT_MAP: `8000=${port}`,
    VAST_EMULATOR_PYTHON: venvPython(), VAST_EMULATOR_MODEL_LOAD_MS: "700", VLLM_API_KEY: l.env.VLLM_API_KEY,
  };
  const child = l.onstart === null
    ? spawn(path.join(SHIM_DIR, "vllm"), ["serve", ...l.args], { env, stdio: "ignore" }) // the image ENTRYPOINT
    : spawn(l.onstart, l.args, { env, stdio: "ignore" });
  children.push(child);
  return port;
}

const probeEnv = (port: number, more: Record<string, string> = {}) => ({
  PATH: process.env.PATH ?? "", RERANKER_ENDPOINT: `http://127.0.0.1:${port}`, RERANKER_API_KEY: KEY,
  PROBE_DEADLINE_SECONDS: "20", ...more,
});

describe("launch + emulator stand-in + probe", () => {
  it("hardened launch passes the probe", async () => {
    const port = await launch(true);
    const r = await run(process.execPath, ["components/readiness/probe.ts"], probeEnv(port, { PROBE_HARDENED: "true" }));
    expect(r.out).not.toContain(KEY);
    expect(r.code, r.out).toBe(0);
    expect(JSON.parse(r.out).auth).toMatchObject({ open: [], tricks: [], keyRejected: [] });
  });

  it("the guide's unhardened launch fails, naming the open routes", async () => {
    const port = await launch(false);
    const r = await run(process.execPath, ["components/readiness/probe.ts"], probeEnv(port, { PROBE_HARDENED: "false" }));
    expect(r.out).not.toContain(KEY);
    expect(r.code).toBe(1);
    expect(r.out.split("\n")[0]).toMatch(/^readiness failed: routes open without a key: .*POST \/rerank, POST \/score, POST \/invocations.* — the deployment is unhardened \(hardened=false\)/);
  });
});
