// Where the emulator reads a request exactly as Vast's server would by running Vast's own code (PyPI
// vastai, .cache/vastai-venv): a worker group's `search_params` string through vastai's query parser
// (the one `vastai search offers` uses), so the emulator and Vast's CLI read a filter the same way.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../runtime.ts";

export const VASTAI_PYTHON = process.env.VAST_EMULATOR_VASTAI_PYTHON || join(REPO_ROOT, ".cache", "vastai-venv", "bin", "python");

function vastaiMissing(): string | null {
  return existsSync(VASTAI_PYTHON) ? null : `no vastai venv at ${VASTAI_PYTHON} (run scripts/setup-vastai.sh)`;
}

const PARSE = `
import json, sys
from vastai.api.query import parse_query, offers_fields, offers_alias, offers_mult
print(json.dumps(parse_query(sys.argv[1], {}, offers_fields, offers_alias, offers_mult)))
`;

/** `search_params` (vastai's filter string) → the JSON offer query, or an error message. */
export function parseSearchParams(s: string): { query: Record<string, unknown> } | { error: string } {
  const missing = vastaiMissing();
  if (missing) return { error: missing };
  const r = spawnSync(VASTAI_PYTHON, ["-c", PARSE, s], { encoding: "utf8", timeout: 30_000 });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || "parse failed").trim().split("\n").slice(-1)[0] };
  return { query: JSON.parse(r.stdout) as Record<string, unknown> };
}
