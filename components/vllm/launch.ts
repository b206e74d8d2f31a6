// How the vLLM container is started on Vast (runtype "args"). Pure functions, no I/O.
// Hardened: onstart "/bin/sh" + args ["-c", script]; the script writes the API-key guard
// (guard.py, embedded) to a temp dir and execs `vllm serve ... --middleware vast_guard.ApiKeyGuard`.
// Unhardened: the image ENTRYPOINT (`vllm serve`) gets the args, as in the reference guide.
// In both cases the key travels only in the env dict (VLLM_API_KEY), never in args/onstart.
// The stack's defaults (model, image, max length, dtype) live in Pulumi.yaml's `config:` block only;
// this module takes every value from the spec. Why the pinned image is vllm/vllm-openai:v0.30.0-cu129:
// >= 0.22.0 fixes CVE-2026-48746 (Host-header auth bypass); 0.30.0 is the newest release with several
// independent public pins of the exact `v0.30.0` / `-cu129` tags (reported "on Docker Hub, checked
// 2026-09-26"); since v0.20.0 the unsuffixed tags are CUDA 13 builds that need driver >= 580, while
// the cu129 build of the same release runs on the far larger set of CUDA 12.9 Vast hosts. Pair an
// image with an offer filter `cuda_max_good >= minCudaForImage(image)`.
import { GUARD_CLASS, GUARD_MODULE, GUARD_SOURCE_GZIP_BASE64 } from "./guardSource.ts";
import { imageProblem, imageTag, launchSizeProblem } from "../vast/instance/validate.ts";
import { modelIdProblem } from "./modelId.ts";

const VLLM_PORT = 8000;
/** First vLLM release with the CVE-2026-48746 fix. */
const MIN_VLLM_VERSION = "0.22.0";
const GUARD_MIDDLEWARE = `${GUARD_MODULE}.${GUARD_CLASS}`;

export interface VllmLaunchSpec {
  image: string;
  model: string;
  /** Name clients send as "model"; default: the model id (as vLLM does). */
  servedModelName?: string;
  /** `--max-model-len` (bge-reranker-base: 512, its position limit). */
  maxModelLen: number;
  /** `--dtype` (e.g. half: fp16 works on Turing, which has no bf16). */
  dtype: string;
  extraArgs?: string[];
  hardened: boolean;
}

export interface VastLaunch {
  runtype: "args";
  onstart: string | null;
  args: string[];
  env: Record<string, string>;
}

export interface SpecProblem {
  property: string;
  reason: string;
}

const DTYPES = ["auto", "half", "float16", "bfloat16", "float", "float32"];
// Flags that would break the deployment or leak the key if passed through extraArgs.
const FORBIDDEN_ARGS: Record<string, string> = {
  serve: "the image ENTRYPOINT is already `vllm serve`; repeating it fails with `unrecognized arguments: serve`",
  "--api-key": "would put the key in the visible command line; the key is passed as env VLLM_API_KEY",
  "--port": `the instance maps container port ${VLLM_PORT}; changing vLLM's port breaks the endpoint`,
  "--host": "vLLM must listen on 0.0.0.0 for the mapped port to reach it",
  "--root-path": "the guard's allow-list (/health, /ping, /version) is root-relative",
  "--model": "the model is the `model` property",
  "--served-model-name": "set it with the `servedModelName` property",
  "--max-model-len": "set it with the `maxModelLen` property",
  "--dtype": "set it with the `dtype` property",
};

/** POSIX sh single-quoting; plain words stay unquoted for a readable Vast console. */
export function shQuote(s: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** [major, minor, patch] of a vllm/vllm-openai-style tag `v0.30.0[-suffix]`, else undefined. */
export function parseVllmImageVersion(image: string): [number, number, number] | undefined {
  const tag = imageTag(image);
  const m = tag === undefined ? null : /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[.+-]|$)/.exec(tag);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

/**
 * Lowest CUDA version the host driver must support for this image (Vast `cuda_max_good`),
 * or undefined when unknown. `-cuNNN` tags say it; unsuffixed release tags of the vLLM image are CUDA 13
 * builds since v0.20.0.
 */
export function minCudaForImage(image: string): number | undefined {
  const tag = imageTag(image) ?? "";
  const suffix = /-cu(\d{2})(\d)(?:-|$)/.exec(tag);
  if (suffix) return Number(`${suffix[1]}.${suffix[2]}`);
  const v = parseVllmImageVersion(image);
  if (image.startsWith("vllm/vllm-openai:") && v && compareVersions(v, [0, 20, 0]) >= 0) return 13.0;
  return undefined;
}

/** The argv after `vllm serve` (model positional: `--model` is deprecated for `vllm serve`). */
export function vllmServeArgs(spec: VllmLaunchSpec): string[] {
  const args = [
    spec.model,
    "--served-model-name", spec.servedModelName ?? spec.model,
    "--max-model-len", String(spec.maxModelLen),
    "--dtype", spec.dtype,
  ];
  if (spec.hardened) args.push("--middleware", GUARD_MIDDLEWARE);
  return args.concat(spec.extraArgs ?? []);
}

/** The /bin/sh script of the hardened launch. Reads the key only from the environment. */
function hardenedScript(serveArgs: string[]): string {
  return [
    "set -eu",
    // Fail closed before loading the model if the key is missing.
    'if [ -z "${VLLM_API_KEY:-}" ]; then echo "vast-reranker: VLLM_API_KEY is empty; refusing to start" >&2; exit 78; fi',
    'd="${TMPDIR:-/tmp}/vast-guard"',
    'mkdir -p "$d"',
    `echo ${GUARD_SOURCE_GZIP_BASE64} | base64 -d | gzip -dc > "$d/${GUARD_MODULE}.py"`,
    'export PYTHONPATH="$d${PYTHONPATH:+:$PYTHONPATH}"',
    `exec vllm serve ${serveArgs.map(shQuote).join(" ")}`,
  ].join("\n");
}

/** The Vast create-body fields for the vLLM container. */
export function buildVllmLaunch(spec: VllmLaunchSpec, apiKey: string, extraEnv: Record<string, string> = {}): VastLaunch {
  if (!apiKey) throw new Error("buildVllmLaunch: apiKey is empty");
  if ("VLLM_API_KEY" in extraEnv) throw new Error("buildVllmLaunch: extraEnv must not set VLLM_API_KEY");
  const env = { [`-p ${VLLM_PORT}:${VLLM_PORT}`]: "1", VLLM_API_KEY: apiKey, ...extraEnv };
  const serveArgs = vllmServeArgs(spec);
  if (!spec.hardened) return { runtype: "args", onstart: null, args: serveArgs, env };
  return { runtype: "args", onstart: "/bin/sh", args: ["-c", hardenedScript(serveArgs)], env };
}

/** Problems with a spec, each naming the offending property; empty when valid. */
export function validateVllmLaunchSpec(spec: VllmLaunchSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const add = (property: string, reason: string) => problems.push({ property, reason });
  const image = (spec.image ?? "").trim();
  const unpinned = imageProblem(image); // the pinning rule, shared with the provider's check
  if (unpinned) add("image", `image ${unpinned}`);
  else {
    const v = parseVllmImageVersion(image);
    if (v && compareVersions(v, [0, 22, 0]) < 0) {
      add("image", `"${image}" is vLLM ${v.join(".")}; versions < ${MIN_VLLM_VERSION} are affected by CVE-2026-48746 (API-key bypass through the Host header)`);
    }
  }
  if (!spec.model?.trim()) add("model", "model is empty: set a Hugging Face model id, or `pulumi config rm vast-reranker:model` for the one in Pulumi.yaml");
  else if (spec.model.startsWith("-")) add("model", `"${spec.model}" starts with "-" and would be read as a flag`);
  else {
    const bad = modelIdProblem(spec.model);
    if (bad) add("model", bad);
  }
  if (spec.servedModelName !== undefined && !spec.servedModelName.trim()) add("servedModelName", "is empty");
  const len = spec.maxModelLen;
  if (len !== undefined && !(Number.isInteger(len) && len > 0)) add("maxModelLen", `must be a positive integer, got ${len}`);
  if (spec.dtype !== undefined && !DTYPES.includes(spec.dtype)) add("dtype", `"${spec.dtype}" is not one of ${DTYPES.join(", ")}`);
  for (const arg of spec.extraArgs ?? []) {
    const flag = arg.split("=", 1)[0];
    const why = FORBIDDEN_ARGS[flag];
    if (why) add("extraArgs", `"${flag}" is not allowed: ${why}`);
  }
  if (problems.length === 0) {
    const tooLong = launchSizeProblem(buildVllmLaunch(spec, "x")); // the size rule, shared with the provider's check
    if (tooLong) add("extraArgs", tooLong);
  }
  return problems;
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}
