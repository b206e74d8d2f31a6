// Vast's own PyPI `vastai` (pinned in tests/vastai/requirements.lock, installed by scripts/setup-vastai.sh)
// as a test oracle and client: run its Python, SDK and CLI.
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..", "..");
const VENV_BIN = join(ROOT, ".cache", "vastai-venv", "bin");

function bin(name: "python" | "vastai"): string {
  const p = join(VENV_BIN, name);
  if (!existsSync(p)) throw new Error(`${p} missing: run \`bash scripts/setup-vastai.sh\``);
  return p;
}

/** A throw-away HOME: no user's Vast key file is read, nothing is written outside it. */
function withHome<T>(run: (env: NodeJS.ProcessEnv) => T, done: (home: string) => void): T {
  const home = mkdtempSync(join(tmpdir(), "vastai-home-"));
  const env = {
    PATH: process.env.PATH ?? "", HOME: home, XDG_CONFIG_HOME: join(home, ".config"), PYTHONDONTWRITEBYTECODE: "1",
    // The test run's tag (tests/setup/processSweep.ts): a process left behind is swept at the end.
    ...(process.env.VR_TEST_RUN ? { VR_TEST_RUN: process.env.VR_TEST_RUN } : {}),
  };
  try {
    return run(env);
  } finally {
    done(home);
  }
}
const removeHome = (home: string) => rmSync(home, { recursive: true, force: true });

/** Runs `code` in the vastai venv with `input` on stdin; returns stdout. Blocks: for pure functions only. */
export function runVastaiPython(code: string, input = ""): string {
  return withHome((env) => {
    try {
      return execFileSync(bin("python"), ["-c", code], { input, encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 1024 * 1024, env });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`vastai python failed: ${err.stderr || err.message}`, { cause: e });
    }
  }, removeHome);
}

/** Runs the venv's python (a script and its args) or `vastai` CLI without blocking this process (an emulator may answer it). */
export async function runVastai(what: "python" | "vastai", args: string[], timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  let home = "";
  const env = withHome((e) => e, (h) => (home = h));
  try {
    return await new Promise((resolve) => {
      execFile(bin(what), args, { encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
      });
    });
  } finally {
    removeHome(home);
  }
}
