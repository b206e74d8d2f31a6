// check()-time validation of VastInstance inputs: every problem named by its config key, before any paid call.
import { validateOfferSelection } from "../offers/offerValidation.ts";
import type { VastInstanceInputs } from "./instanceLogic.ts";

export interface InputFailure {
  property: string;
  reason: string;
}

/** Image references must be pinned: a moving tag makes a replacement silently change the server. */
export function imageProblem(image: unknown): string | undefined {
  if (typeof image !== "string" || !image.trim()) return "is empty: set a pinned image such as vllm/vllm-openai:v0.33.0";
  if (/\s/.test(image)) return `"${image}" contains whitespace`;
  const lastPart = image.split("/").pop() ?? "";
  if (image.includes("@sha256:")) return undefined;
  if (!lastPart.includes(":")) return `"${image}" has no tag: pin a version, e.g. ${image}:v0.33.0`;
  if (lastPart.endsWith(":latest")) return `"${image}" uses :latest: pin a version so every deploy runs the same server`;
  return undefined;
}

/** "vast-reranker:<key> …": reasons that already start with the key are not prefixed twice. */
export function configMessage(property: string, reason: string): string {
  return reason.startsWith(property) ? `vast-reranker:${reason}` : `vast-reranker:${property}: ${reason}`;
}

function positiveInt(v: unknown): boolean {
  return typeof v === "number" && Number.isInteger(v) && v > 0;
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
  if (!positiveInt(i.maxAttempts) || i.maxAttempts > 20) out.push({ property: "maxAttempts", reason: `vast-reranker:maxAttempts must be an integer from 1 to 20 (got ${i.maxAttempts})` });
  if (!positiveInt(i.bootTimeoutSeconds) || i.bootTimeoutSeconds < 10) out.push({ property: "bootTimeoutSeconds", reason: `vast-reranker:bootTimeoutSeconds must be an integer >= 10 (got ${i.bootTimeoutSeconds}); image pulls take minutes, 900 is a sane default` });
  if (!positiveInt(i.containerPort) || i.containerPort > 65535) out.push({ property: "containerPort", reason: `containerPort must be 1-65535 (got ${i.containerPort})` });
  const launchChars = (i.onstart ?? "").length + (i.args ?? []).join(" ").length;
  if (launchChars > 4096) out.push({ property: "args", reason: `onstart + args are ${launchChars} characters; Vast accepts at most 4096: shorten vast-reranker:extraArgs` });
  for (const [k, v] of Object.entries({ ...(i.env ?? {}), ...(i.secretEnv ?? {}) })) {
    if (isUnknown(v)) continue;
    if (typeof v !== "string") out.push({ property: "env", reason: `env ${k} must be a string` });
    else if (v.length > 256 && !k.startsWith("-")) out.push({ property: "env", reason: `env ${k} is ${v.length} characters; Vast accepts 256 per variable` });
  }
  return out;
}
