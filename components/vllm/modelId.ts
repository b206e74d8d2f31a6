// What vLLM is asked to load: a Hugging Face repository id ("namespace/name") or a plain name
// ("name"), by the Hub's own naming rules. Anything else — a path, a URL, whitespace — would only
// fail on the rented host (or read a file there): it is refused before any rent, in both modes.

/** Hub rule: letters, digits, `-`, `_`, `.`; no `--` or `..`; not starting or ending with `-` or `.`; ≤ 96 characters. */
const PART = /^(?![.-])(?!.*(?:--|\.\.))[A-Za-z0-9_.-]{1,96}(?<![.-])$/;

/** Why `model` is not a Hugging Face id or plain model name, or undefined when it is. */
export function modelIdProblem(model: string): string | undefined {
  const parts = model.split("/");
  if (/\s/.test(model)) return `"${model}" contains whitespace: a Hugging Face model id has none (e.g. BAAI/bge-reranker-base)`;
  if (parts.length > 2 || parts.some((p) => !PART.test(p))) {
    return `"${model}" is neither a Hugging Face model id ("namespace/name", e.g. BAAI/bge-reranker-base) nor a plain model name: letters, digits, "-", "_", "." only, no "..", no leading "/"`;
  }
  return undefined;
}
