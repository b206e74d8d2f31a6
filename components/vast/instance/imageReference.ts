// Docker's image-reference grammar (distribution/reference): what a host's `docker pull` accepts.
// A reference that breaks it fails only on the rented host ("invalid reference format"), after the
// rent: it is refused here, before any paid call, in both modes.

/** Registry host: DNS labels or an IPv4 address, optional port; or a bracketed IPv6 address. */
const HOST = String.raw`(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?`;
/** One path component: lowercase alphanumerics, separated by `.`, `_`, `__` or runs of `-`. */
const COMPONENT = String.raw`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`;
const TAG = String.raw`[\w][\w.-]{0,127}`;
const DIGEST = String.raw`[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`;
const REFERENCE = new RegExp(String.raw`^(?:${HOST}/)?${COMPONENT}(?:/${COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`);

/** Why `ref` is not a valid image reference, or undefined when it is. */
export function imageReferenceProblem(ref: string): string | undefined {
  if (ref.length > 255 + 128 + 80) return `"${ref.slice(0, 40)}…" is too long for an image reference`;
  const at = ref.indexOf("@");
  if (at >= 0) {
    const digest = ref.slice(at + 1);
    const m = /^([^:]*):(.*)$/.exec(digest);
    if (!m) return `"${ref}" has a digest without an algorithm ("@sha256:<64 hex>")`;
    if (m[1] === "sha256" && !/^[0-9a-f]{64}$/.test(m[2])) return `"${ref}" has an invalid sha256 digest: it must be 64 lowercase hex characters`;
    if (at === 0) return `"${ref}" has a digest but no image name`;
  }
  if (!REFERENCE.test(ref)) {
    const name = ref.split("@", 1)[0];
    const path = name.replace(/:[^/]*$/, "");
    if (/[A-Z]/.test(path.slice(path.indexOf("/") + 1))) return `"${ref}" is not a valid image reference: repository names must be lowercase`;
    return `"${ref}" is not a valid image reference (docker would answer "invalid reference format"), e.g. vllm/vllm-openai:v0.30.0-cu129`;
  }
  return undefined;
}
