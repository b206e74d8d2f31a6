// One table of env strings (tests/fixtures/env-string-cases.json) for the two independent readers of
// the env string — the product's (components/vast/instance/envString.ts) and the emulator's
// (emulator/validate.ts) — and for Vast's own parse_env (vastai 1.9.1), which both must follow.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseEnvString, readEnvString } from "../../components/vast/instance/envString.ts";
import { parseEnvString as emulatorParseEnvString } from "../../emulator/validate.ts";
import { ROOT, runVastaiPython } from "./venv.ts";

interface Case {
  env: string;
  parsed: Record<string, string>;
  refused: string[];
  why: string;
}

const TABLE = join(ROOT, "tests", "fixtures", "env-string-cases.json");
const { cases } = JSON.parse(readFileSync(TABLE, "utf8")) as { cases: Case[] };
const entries = (o: Record<string, string>) => Object.entries(o);

describe("the env-string table", () => {
  it("matches Vast's own parse_env on every case (key order included)", () => {
    const out = runVastaiPython(
      "import json, sys\nfrom vastai.utils import parse_env\ncases = json.load(sys.stdin)['cases']\nprint(json.dumps([list(parse_env(c['env']).items()) for c in cases]))",
      readFileSync(TABLE, "utf8"),
    );
    const vast = JSON.parse(out) as Array<Array<[string, string]>>;
    expect(vast).toHaveLength(cases.length);
    cases.forEach((c, i) => expect(entries(c.parsed), c.why).toEqual(vast[i]));
  });

  it.each(cases.map((c) => [c.why, c] as const))("product: %s", (_why, c) => {
    expect(entries(parseEnvString(c.env))).toEqual(entries(c.parsed));
    const { env, problems } = readEnvString(c.env);
    expect(entries(env)).toEqual(entries(c.parsed));
    expect(problems).toHaveLength(c.refused.length);
    c.refused.forEach((text, i) => expect(problems[i]).toContain(text));
  });

  it.each(cases.map((c) => [c.why, c] as const))("emulator: %s", (_why, c) => {
    expect(entries(emulatorParseEnvString(c.env))).toEqual(entries(c.parsed));
  });
});
