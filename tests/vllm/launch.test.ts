import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import {
  buildVllmLaunch, minCudaForImage, parseVllmImageVersion, shQuote, validateVllmLaunchSpec, type VllmLaunchSpec,
} from "../../components/vllm/launch.ts";
import { launchSize, VAST_LAUNCH_LIMIT } from "../../components/vast/instance/validate.ts";
import { projectDefaults } from "../helpers/projectConfig.ts";
import { GUARD_SOURCE_GZIP_BASE64, GUARD_SOURCE_SHA256 } from "../../components/vllm/guardSource.ts";
import { GUARD_PY, venvPython } from "./python.ts";

const KEY = "f00dfeedcafe" + "0123456789abcdef".repeat(3) + "beef";
/** The image Pulumi.yaml pins by default. */
const DEFAULT_VLLM_IMAGE = projectDefaults().image;
const SPEC: VllmLaunchSpec = { image: DEFAULT_VLLM_IMAGE, model: "BAAI/bge-reranker-base", maxModelLen: 512, dtype: "half", hardened: true };
const tmp = mkdtempSync(path.join(tmpdir(), "launch-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("guardSource.ts", () => {
  it("is in sync with guard.py (regenerate: node tools/vllm/generate-guard-source.ts)", () => {
    const py = readFileSync(GUARD_PY);
    expect(gunzipSync(Buffer.from(GUARD_SOURCE_GZIP_BASE64, "base64")).equals(py)).toBe(true);
    expect(GUARD_SOURCE_SHA256).toBe(createHash("sha256").update(py).digest("hex"));
  });
});

describe("buildVllmLaunch", () => {
  it("hardened: /bin/sh -c script that execs vllm serve with the guard middleware", () => {
    const l = buildVllmLaunch(SPEC, KEY, { HF_HOME: "/workspace/hf" });
    expect(l.runtype).toBe("args");
    expect(l.onstart).toBe("/bin/sh");
    expect(l.args).toHaveLength(2);
    expect(l.args[0]).toBe("-c");
    expect(l.args[1]).toContain("exec vllm serve BAAI/bge-reranker-base --served-model-name BAAI/bge-reranker-base --max-model-len 512 --dtype half --middleware vast_guard.ApiKeyGuard");
    expect(l.env).toEqual({ "-p 8000:8000": "1", VLLM_API_KEY: KEY, HF_HOME: "/workspace/hf" });
  });

  it("unhardened: the image ENTRYPOINT (vllm serve) gets the args; no onstart, no middleware", () => {
    const l = buildVllmLaunch({ ...SPEC, hardened: false, maxModelLen: 256, dtype: "auto", extraArgs: ["--enforce-eager"] }, KEY);
    expect(l).toEqual({
      runtype: "args", onstart: null,
      args: ["BAAI/bge-reranker-base", "--served-model-name", "BAAI/bge-reranker-base", "--max-model-len", "256", "--dtype", "auto", "--enforce-eager"],
      env: { "-p 8000:8000": "1", VLLM_API_KEY: KEY },
    });
  });

  it("never puts the key in args or onstart", () => {
    for (const hardened of [true, false]) {
      const l = buildVllmLaunch({ ...SPEC, hardened, servedModelName: "reranker" }, KEY);
      expect(JSON.stringify([l.args, l.onstart])).not.toContain(KEY);
      expect(JSON.stringify([l.args, l.onstart])).not.toContain(KEY.slice(0, 16));
    }
  });

  it("refuses an empty key and a VLLM_API_KEY override in extraEnv", () => {
    expect(() => buildVllmLaunch(SPEC, "")).toThrow(/apiKey is empty/);
    expect(() => buildVllmLaunch(SPEC, KEY, { VLLM_API_KEY: "other" })).toThrow(/VLLM_API_KEY/);
  });

  it("fits Vast's 4096-character limit with room to spare", () => {
    const size = launchSize(buildVllmLaunch(SPEC, KEY));
    expect(size).toBeLessThan(VAST_LAUNCH_LIMIT - 600);
  });

  it("shQuote keeps plain words and single-quotes the rest", () => {
    expect(shQuote("BAAI/bge-reranker-base")).toBe("BAAI/bge-reranker-base");
    expect(shQuote("a b")).toBe("'a b'");
    expect(shQuote("it's $HOME `x`")).toBe(`'it'\\''s $HOME \`x\`'`);
    expect(shQuote("")).toBe("''");
  });
});

describe("validateVllmLaunchSpec", () => {
  const problems = (over: Partial<VllmLaunchSpec>) => validateVllmLaunchSpec({ ...SPEC, ...over });
  const props = (over: Partial<VllmLaunchSpec>) => problems(over).map((p) => p.property);

  it("accepts the defaults and pinned >= 0.22 tags or digests", () => {
    expect(problems({})).toEqual([]);
    expect(problems({ hardened: false })).toEqual([]);
    for (const image of ["vllm/vllm-openai:v0.22.0", "vllm/vllm-openai:v0.33.0", "vllm/vllm-openai@sha256:" + "a".repeat(64), "registry:5000/me/vllm:prod"]) {
      expect(problems({ image }), image).toEqual([]);
    }
  });

  it.each([
    ["", /is empty/],
    ["vllm/vllm-openai", /has no tag/],
    ["registry:5000/vllm/vllm-openai", /has no tag/],
    ["vllm/vllm-openai:latest", /moving tag/],
    ["vllm/vllm-openai:latest-cu129", /moving tag/],
    ["vllm/vllm-openai:nightly", /moving tag/],
    ["vllm/vllm-openai:v0.21.1", /vLLM 0\.21\.1.*CVE-2026-48746/],
    ["vllm/vllm-openai:v0.8.5.post1", /CVE-2026-48746/],
  ])("image %j is an error naming image", (image, why) => {
    const p = problems({ image });
    expect(p.map((x) => x.property)).toEqual(["image"]);
    expect(p[0].reason).toMatch(why);
  });

  it("names model, servedModelName, maxModelLen, dtype", () => {
    expect(props({ model: "" })).toEqual(["model"]);
    expect(props({ model: "--help" })).toEqual(["model"]);
    expect(props({ servedModelName: " " })).toEqual(["servedModelName"]);
    for (const maxModelLen of [0, -1, 1.5, Number.NaN]) expect(props({ maxModelLen }), String(maxModelLen)).toEqual(["maxModelLen"]);
    expect(props({ dtype: "fp8" })).toEqual(["dtype"]);
  });

  it.each([["serve"], ["--api-key"], ["--api-key=abc"], ["--port=9000"], ["--host"], ["--model"], ["--root-path"]])("extraArgs %j is refused", (arg) => {
    const p = problems({ extraArgs: ["--enforce-eager", arg] });
    expect(p.map((x) => x.property)).toEqual(["extraArgs"]);
    expect(p[0].reason).toContain(arg.split("=")[0]);
  });

  it("refuses a launch over 4096 characters, naming extraArgs", () => {
    const p = problems({ extraArgs: ["--hf-overrides", JSON.stringify({ pad: "x".repeat(1500) })] });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ property: "extraArgs" });
    expect(p[0].reason).toMatch(/4096/);
    expect(problems({ hardened: false, extraArgs: ["--hf-overrides", JSON.stringify({ pad: "x".repeat(1500) })] })).toEqual([]);
  });
});

describe("image helpers", () => {
  it("parses vLLM versions and CUDA requirements", () => {
    expect(parseVllmImageVersion(DEFAULT_VLLM_IMAGE)).toEqual([0, 30, 0]);
    expect(parseVllmImageVersion("vllm/vllm-openai:v0.9.0.1")).toEqual([0, 9, 0]);
    expect(parseVllmImageVersion("me/img:prod")).toBeUndefined();
    expect(minCudaForImage(DEFAULT_VLLM_IMAGE)).toBe(12.9);
    expect(minCudaForImage("vllm/vllm-openai:v0.30.0")).toBe(13.0);
    expect(minCudaForImage("vllm/vllm-openai:v0.19.1-cu130")).toBe(13.0);
    expect(minCudaForImage("me/img:prod")).toBeUndefined();
  });
});

// The hardened script run for real by /bin/sh, with a fake `vllm` that records what it got and
// imports the middleware named by --middleware with the venv Python.
describe("hardened script under /bin/sh", () => {
  const bin = path.join(tmp, "bin");
  const fake = `#!${venvPython()}
import asyncio, importlib, json, os, sys
argv = sys.argv[1:]
out = {"argv": argv, "pythonpath": os.environ.get("PYTHONPATH", "")}
name = argv[argv.index("--middleware") + 1]
mod = importlib.import_module(name.rsplit(".", 1)[0])
cls = getattr(mod, name.rsplit(".", 1)[1])
out["module_file"] = mod.__file__
async def call(headers):
    seen = []
    async def app(scope, receive, send): seen.append("app")
    async def send(m): seen.append(m.get("status", "body"))
    await cls(app)({"type": "http", "method": "POST", "path": "/rerank", "headers": headers}, None, send)
    return seen
out["no_key"] = asyncio.run(call([]))
out["key"] = asyncio.run(call([(b"authorization", b"Bearer " + os.environ["VLLM_API_KEY"].encode())]))
json.dump(out, open(os.environ["FAKE_VLLM_RECORD"], "w"))
`;
  const run = (spec: VllmLaunchSpec, env: Record<string, string>, name: string) => {
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, "vllm"), fake);
    chmodSync(path.join(bin, "vllm"), 0o755);
    const l = buildVllmLaunch(spec, KEY);
    const record = path.join(tmp, `${name}.json`);
    const home = path.join(tmp, name);
    mkdirSync(home, { recursive: true });
    const r = spawnSync(l.onstart!, l.args, {
      env: { PATH: `${bin}:/usr/bin:/bin`, TMPDIR: home, FAKE_VLLM_RECORD: record, ...env },
      encoding: "utf8",
    });
    return { r, record, home, rec: () => JSON.parse(readFileSync(record, "utf8")) };
  };

  it("writes the guard, sets PYTHONPATH and execs vllm serve with the exact args; the module loads and guards", () => {
    const spec = { ...SPEC, model: "org/it's a \"model\" $HOME", servedModelName: "name with space", extraArgs: ["--hf-overrides", '{"a": "b c"}'] };
    const { r, rec, home } = run(spec, { VLLM_API_KEY: KEY, PYTHONPATH: "/opt/keep" }, "ok");
    expect(r.stderr).not.toMatch(/Traceback/);
    expect(r.status).toBe(0);
    const out = rec();
    expect(out.argv).toEqual(["serve", spec.model, "--served-model-name", "name with space", "--max-model-len", "512", "--dtype", "half", "--middleware", "vast_guard.ApiKeyGuard", "--hf-overrides", '{"a": "b c"}']);
    expect(out.pythonpath).toBe(`${home}/vast-guard:/opt/keep`);
    expect(out.module_file).toBe(`${home}/vast-guard/vast_guard.py`);
    expect(readFileSync(out.module_file).equals(readFileSync(GUARD_PY))).toBe(true);
    expect(out.no_key).toEqual([401, "body"]);
    expect(out.key).toEqual(["app"]);
    expect(JSON.stringify(out.argv)).not.toContain(KEY);
  });

  it("refuses to start vLLM when VLLM_API_KEY is empty", () => {
    const { r, record } = run(SPEC, { VLLM_API_KEY: "" }, "nokey");
    expect(r.status).toBe(78);
    expect(r.stderr).toContain("VLLM_API_KEY is empty; refusing to start");
    expect(existsSync(record)).toBe(false);
  });

  it("uses $TMPDIR, else /tmp (not run here: it would write to the shared /tmp)", () => {
    const l = buildVllmLaunch(SPEC, KEY);
    expect(l.args[1]).toContain('d="${TMPDIR:-/tmp}/vast-guard"');
  });
});
