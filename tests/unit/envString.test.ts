import { describe, expect, it } from "vitest";
import { mergeEnv, parseEnvString, readEnvString } from "../../components/vast/instance/envString.ts";

// What parse_env makes of each string is pinned in tests/fixtures/env-string-cases.json (checked against
// Vast's own parse_env in tests/vastai/envStringCases.test.ts); here: the problems' wording.
describe("readEnvString: what Vast would drop is refused, with the fix", () => {
  it("names the dropped token and says what to write instead", () => {
    expect(readEnvString("--privileged -p 8000:8000").problems).toEqual([
      `has "--privileged", which Vast would silently drop (Vast's parse_env reads only -e KEY=VALUE, -p <ports>, -v <volume>, -n <network> and -h <hostname>): remove it, or put it after -e as KEY=VALUE`,
    ]);
    expect(readEnvString("-p http").problems).toEqual([`has "-p http", which Vast would silently drop (after -p it accepts only 0-9 : t c p / u d): write it like -p 8000:8000`]);
    expect(readEnvString("-e HF_TOKEN").problems).toEqual([`has "-e HF_TOKEN" without "=", which Vast would silently drop: write -e HF_TOKEN=<value>`]);
  });

  it("accepts the guide's strings", () => {
    expect(readEnvString("-p 8000:8000 -e VLLM_API_KEY=abc -e HF_HOME='/data/hf cache'")).toEqual({
      env: { "-p 8000:8000": "1", VLLM_API_KEY: "abc", HF_HOME: "/data/hf cache" }, problems: [],
    });
  });
});

describe("mergeEnv", () => {
  it("merges left to right, later wins, skipping undefined", () => {
    expect(mergeEnv({ A: "1", B: "1" }, undefined, { B: "2", C: "2" }, {})).toStrictEqual({ A: "1", B: "2", C: "2" });
    expect(mergeEnv()).toStrictEqual({});
  });

  it("combines the guide's string with extra env", () => {
    const env = mergeEnv(parseEnvString("-p 8000:8000 -e VLLM_API_KEY=old"), { VLLM_API_KEY: "new", HF_TOKEN: "t" });
    expect(env).toStrictEqual({ "-p 8000:8000": "1", VLLM_API_KEY: "new", HF_TOKEN: "t" });
  });

  it("does not mutate its inputs", () => {
    const a = { A: "1" };
    mergeEnv(a, { A: "2" });
    expect(a).toStrictEqual({ A: "1" });
  });
});
