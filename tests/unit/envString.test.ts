import { describe, expect, it } from "vitest";
import { mergeEnv, parseEnvString } from "../../components/vast/instance/envString.ts";

describe("parseEnvString: the CLI's --env rules", () => {
  it("parses the guide's env string", () => {
    expect(parseEnvString("-p 8000:8000 -e VLLM_API_KEY=abc")).toStrictEqual({ "-p 8000:8000": "1", VLLM_API_KEY: "abc" });
  });

  it("keeps only port specs made of 0-9 : t c p / u d", () => {
    expect(parseEnvString("-p 8081:8081/udp -p 8000 -p 22:22/tcp")).toStrictEqual({
      "-p 8081:8081/udp": "1", "-p 8000": "1", "-p 22:22/tcp": "1",
    });
    expect(parseEnvString("-p 80:80/sctp -p 1.2.3.4:80:80 -p http")).toStrictEqual({});
  });

  it("splits -e on the first = and strips surrounding quotes from the value", () => {
    expect(parseEnvString("-e B=a=b=c -e C= -e D=\"quoted\" -e E='''x'''")).toStrictEqual({ B: "a=b=c", C: "", D: "quoted", E: "x" });
  });

  it("does not split inside quotes; quote characters stay in keys", () => {
    expect(parseEnvString("-e A='x y' -e B=\"1 2  3\" -p 1:1")).toStrictEqual({ A: "x y", B: "1 2  3", "-p 1:1": "1" });
    expect(parseEnvString("-e \"K=v w\"")).toStrictEqual({ '"K': "v w" });
  });

  it("drops -e tokens without =", () => {
    expect(parseEnvString("-e NOVALUE -e OK=1")).toStrictEqual({ OK: "1" });
  });

  it("handles -v, -n and -h", () => {
    expect(parseEnvString("-v /data:/data -v bad$path -n my-net -n Bad_Net -h billybob")).toStrictEqual({
      "-v /data:/data": "1", "-n my-net": "1", "-h": "billybob",
    });
  });

  it("ignores stray tokens and unknown flags", () => {
    expect(parseEnvString("--rm -it ubuntu -e A=1 junk -x 5 -e B=2")).toStrictEqual({ A: "1", B: "2" });
    expect(parseEnvString("")).toStrictEqual({});
  });

  it("has the double-space gotcha: a flag eats the empty token", () => {
    expect(parseEnvString("-e  K=V")).toStrictEqual({});
    expect(parseEnvString("-p 8000:8000  -e K=V")).toStrictEqual({ "-p 8000:8000": "1", K: "V" });
    expect(parseEnvString("-p  8000:8000")).toStrictEqual({ "-p ": "1" }); // the empty port spec passes the charset check
  });

  it("lets a flag consume the next flag as its value", () => {
    expect(parseEnvString("-e -p 8000:8000")).toStrictEqual({});
    expect(parseEnvString("-h -e A=1")).toStrictEqual({ "-h": "-e" });
  });

  it("later duplicates win; __proto__ stays a plain key", () => {
    expect(parseEnvString("-e A=1 -e A=2")).toStrictEqual({ A: "2" });
    const env = parseEnvString("-e __proto__=x");
    expect(Object.keys(env)).toStrictEqual(["__proto__"]);
    expect(env["__proto__"]).toBe("x");
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
