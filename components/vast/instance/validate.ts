// Validation rules for what a Vast instance is asked to run, each in one place: the provider's check()
// (before any paid call) and the program's validateDeployment (components/rerankerDeployment.ts)
// both call these, so a value is judged the same way wherever it is checked.
import { validateOfferSelection } from "../offers/offerValidation.ts";
import type { VastInstanceInputs } from "./instanceLogic.ts";
import { imageReferenceProblem } from "./imageReference.ts";

export interface InputFailure {
  property: string;
  reason: string;
}

/** The tag of an image reference (`name:tag[@digest]`), or undefined when it has none. */
export function imageTag(image: string): string | undefined {
  const name = image.split("@", 1)[0];
  const slash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  return colon > slash ? name.slice(colon + 1) : undefined;
}

/**
 * Images must be pinned: a moving tag makes a replacement silently change the server. The reason
 * reads after "image" ("vast-reranker:image is empty: …"); undefined when the reference is pinned.
 */
export function imageProblem(image: unknown): string | undefined {
  const ref = typeof image === "string" ? image.trim() : "";
  if (!ref) return "is empty: set a pinned image, or `pulumi config rm vast-reranker:image` for the one Pulumi.yaml pins";
  if (/\s/.test(ref)) return `"${ref}" contains whitespace`;
  const invalid = imageReferenceProblem(ref);
  if (invalid) return invalid;
  const tag = imageTag(ref);
  if (tag === undefined) return ref.includes("@") ? undefined : `"${ref}" has no tag: pin a version, e.g. ${ref}:<version>`;
  if (/^(latest|nightly|main)(\b|$)/.test(tag)) return `"${ref}" uses :${tag}, a moving tag: pin a version so every deploy runs the same server`;
  return undefined;
}

/** Vast's limit on args + args_str + onstart, in characters (docs/vast-api.md §3.1). */
export const VAST_LAUNCH_LIMIT = 4096;

/** Characters counted against VAST_LAUNCH_LIMIT: args as sent (JSON, conservative) + onstart. */
export function launchSize(launch: { args: string[] | null | undefined; onstart: string | null | undefined }): number {
  return JSON.stringify(launch.args ?? []).length + (launch.onstart?.length ?? 0);
}

/** The launch-size rule; undefined when it fits. */
export function launchSizeProblem(launch: { args: string[] | null | undefined; onstart: string | null | undefined }): string | undefined {
  const size = launchSize(launch);
  return size > VAST_LAUNCH_LIMIT ? `the launch is ${size} characters (args + onstart); Vast allows ${VAST_LAUNCH_LIMIT}: shorten vast-reranker:extraArgs` : undefined;
}

/** Vast's limit on the whole env (recorded 400: "invalid env arguments, total length > 32KB"). */
const VAST_ENV_LIMIT = 32 * 1024;

/**
 * The env-size rule; undefined when it fits. How Vast measures "total length" is not known: the env
 * as JSON (keys, values, quotes, separators) is at least as long as any sensible measure, so an env
 * this accepts is not refused for its size (an assumption, docs/vast-api.md "Assumptions").
 */
export function envSizeProblem(env: Record<string, unknown>): string | undefined {
  const size = JSON.stringify(env).length;
  return size > VAST_ENV_LIMIT ? `makes an env of ${size} characters; Vast refuses more than 32 KB ("invalid env arguments, total length > 32KB"): shorten vast-reranker:env` : undefined;
}

function positiveInt(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v > 0;
}

/** The rules for maxAttempts and bootTimeoutSeconds. */
export function bootSettingsProblems(i: { maxAttempts: unknown; bootTimeoutSeconds: unknown }): InputFailure[] {
  const out: InputFailure[] = [];
  if (!positiveInt(i.maxAttempts) || i.maxAttempts > 20) out.push({ property: "maxAttempts", reason: `vast-reranker:maxAttempts must be an integer from 1 to 20 (got ${i.maxAttempts})` });
  if (!positiveInt(i.bootTimeoutSeconds) || i.bootTimeoutSeconds < 10) out.push({ property: "bootTimeoutSeconds", reason: `vast-reranker:bootTimeoutSeconds must be an integer >= 10 (got ${i.bootTimeoutSeconds}); image pulls take minutes` });
  return out;
}

/** "vast-reranker:<key> …": reasons that already start with the key are not prefixed twice. */
export function configMessage(property: string, reason: string): string {
  return reason.startsWith(property) ? `vast-reranker:${reason}` : `vast-reranker:${property}: ${reason}`;
}

export function validateInstanceInputs(i: VastInstanceInputs, unknown: string): InputFailure[] {
  const isUnknown = (v: unknown) => v === unknown || (typeof v === "string" && v.includes(unknown));
  const out: InputFailure[] = [];
  if (i.selection && !isUnknown(i.selection)) {
    for (const f of validateOfferSelection(i.selection)) out.push({ property: `selection.${f.property}`, reason: configMessage(f.property, f.reason) });
  } else if (!i.selection) {
    out.push({ property: "selection", reason: "missing offer selection" });
  }
  if (!isUnknown(i.image)) {
    const p = imageProblem(i.image);
    if (p) out.push({ property: "image", reason: `vast-reranker:image ${p}` });
  }
  if (i.apiUrl !== undefined && !isUnknown(i.apiUrl)) {
    try {
      const u = new URL(i.apiUrl);
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("scheme");
    } catch {
      out.push({ property: "apiUrl", reason: `vast:apiUrl "${i.apiUrl}" is not an http(s) URL, e.g. https://console.vast.ai or http://127.0.0.1:8081 for the emulator` });
    }
  }
  out.push(...bootSettingsProblems(i));
  if (!positiveInt(i.containerPort) || i.containerPort > 65535) out.push({ property: "containerPort", reason: `containerPort must be 1-65535 (got ${i.containerPort})` });
  if (!isUnknown(i.onstart) && !(i.args ?? []).some(isUnknown)) {
    const tooLong = launchSizeProblem(i);
    if (tooLong) out.push({ property: "args", reason: tooLong });
  }
  const allEnv = { ...(i.env ?? {}), ...(i.secretEnv ?? {}) };
  const tooBig = Object.values(allEnv).some(isUnknown) ? undefined : envSizeProblem(allEnv);
  if (tooBig) out.push({ property: "env", reason: `vast-reranker:env ${tooBig}` });
  for (const [k, v] of Object.entries(allEnv)) {
    if (isUnknown(v)) continue;
    if (typeof v !== "string") out.push({ property: "env", reason: `env ${k} must be a string` });
    else if (v.length > 256 && !k.startsWith("-")) out.push({ property: "env", reason: `env ${k} is ${v.length} characters; Vast accepts 256 per variable` });
  }
  return out;
}
