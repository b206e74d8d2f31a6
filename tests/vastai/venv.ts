// Vast's own PyPI `vastai` (pinned in tests/vastai/requirements.lock, installed by scripts/setup-vastai.sh)
// as a test oracle: run Python in its venv.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..", "..");
export const VASTAI_PYTHON = join(ROOT, ".cache", "vastai-venv", "bin", "python");
export const VASTAI_CLI = join(ROOT, ".cache", "vastai-venv", "bin", "vastai");

export function vastaiPython(): string {
  if (!existsSync(VASTAI_PYTHON)) throw new Error(`${VASTAI_PYTHON} missing: run \`bash scripts/setup-vastai.sh\``);
  return VASTAI_PYTHON;
}

/** Runs `code` in the vastai venv with `input` on stdin; returns stdout. Throws with stderr on failure. */
export function runVastaiPython(code: string, input = "", env: Record<string, string> = {}, timeoutMs = 120_000): string {
  try {
    return execFileSync(vastaiPython(), ["-c", code], {
      input, encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024,
      // No user config (API key files) and no network: the tests give the URL and key explicitly.
      env: { PATH: process.env.PATH ?? "", HOME: join(ROOT, ".cache"), XDG_CONFIG_HOME: join(ROOT, ".cache", "vastai-test-config"), PYTHONDONTWRITEBYTECODE: "1", ...env },
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`vastai python failed: ${err.stderr || err.message}`, { cause: e });
  }
}
