// How a Vast template becomes a create-instance body, and how settings sent alongside a template
// override it. Vast's rules (docs "Creating and Using Templates with API", precedence rules): request
// scalars (image, disk, runtype, …) override the template's; `env` is merged by key, the request's value
// winning; `extra_filters` is merged by key, the request's filter winning. Where Vast says nothing, the
// emulator's choice is listed in docs/vast-api.md §3.3.
import { parseEnvString } from "./validate.ts";

/** A stored template's launch fields (the keys `vastai create template` sends, plus the docs' `args_str`). */
export interface TemplateLaunchFields {
  image: string;
  tag: string | null;
  env: string | null;
  onstart: string | null;
  args_str: string | null;
  runtype: "args" | "ssh" | "jupyter";
  ssh_direct: boolean;
  jup_direct: boolean;
  recommended_disk_space: number | null;
}

/** Vast's default disk when a template names none ("Defaults to 8GB if not specified", OpenAPI create template). */
export const TEMPLATE_DEFAULT_DISK = 8;

/** `image` + `tag` (the docs: the tag "can also be included in the image field instead"): a tag already in the image wins. */
export function templateImage(image: string, tag: string | null): string {
  const last = image.split("/").pop() ?? image;
  return tag && !/[:@]/.test(last) ? `${image}:${tag}` : image;
}

/**
 * The instance runtype a template's flags mean, spelled as `vastai create instance` spells the same flags
 * (`get_runtype`: `--ssh` → "ssh_proxy", `--ssh --direct` → "ssh_direc ssh_proxy", …).
 */
export function templateRuntype(t: Pick<TemplateLaunchFields, "runtype" | "ssh_direct" | "jup_direct">): string {
  if (t.runtype === "jupyter") return t.jup_direct ? "jupyter_direc ssh_direc ssh_proxy" : "jupyter_proxy ssh_proxy";
  if (t.runtype === "ssh") return t.ssh_direct ? "ssh_direc ssh_proxy" : "ssh_proxy";
  return "args";
}

/** The create-instance body a template stands for on its own (env as the dict Vast's parse_env makes of its string). */
export function templateCreateBody(t: TemplateLaunchFields): Record<string, unknown> {
  return {
    client_id: "me",
    image: templateImage(t.image, t.tag),
    env: parseEnvString(t.env ?? ""),
    disk: t.recommended_disk_space ?? TEMPLATE_DEFAULT_DISK,
    onstart: t.onstart,
    runtype: templateRuntype(t),
    args_str: t.args_str,
    label: null,
  };
}

const envDict = (v: unknown): Record<string, string> => {
  if (typeof v === "string") return parseEnvString(v);
  if (v && typeof v === "object" && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x === null || x === undefined ? "" : String(x)]));
  return {};
};

/**
 * `over` (a create request, or a worker group's launch_args) laid over a template's body: a field sent
 * as null (the CLI sends most fields null) keeps the template's; `env` merges by key; an `args` list
 * replaces the template's `args_str` (both are the container's arguments).
 */
export function overTemplate(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null || v === undefined || k === "template_hash_id" || k === "template_id") continue;
    if (k === "env") out.env = { ...envDict(base.env), ...envDict(v) };
    else out[k] = v;
  }
  if (over.args !== null && over.args !== undefined) out.args_str = null;
  return out;
}

/** Offer filters: the template's `extra_filters`, then the worker group's own search, by key. */
export function mergeFilters(template: Record<string, unknown>, own: Record<string, unknown>): Record<string, unknown> {
  return { ...template, ...own };
}
