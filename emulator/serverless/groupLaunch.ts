// What a worker group launches and which offers it may rent: its template (`template_hash` or
// `template_id`, as `vastai create workergroup` sends them, vastai/api/endpoints.py) and/or its
// `launch_args` ("Additional CLI-style arguments to pass when launching worker instances", Vast's
// OpenAPI for /autojobs/), laid over the template by Vast's precedence rules for a create request
// with a template (../templateLaunch.ts). Either way the result is one create-instance body, which the
// autoscaler rents exactly as it rents a launch_args-only group. Choices: docs/vast-api.md §10.
import type { TemplateRec, Templates } from "../templates.ts";
import { overTemplate, templateCreateBody } from "../templateLaunch.ts";
import { createBodyFromLaunchArgs, readLaunchArgs } from "./launchArgs.ts";

export interface GroupLaunch {
  /** The create-instance body every worker of the group is rented with. */
  body: Record<string, unknown>;
  template: TemplateRec | null;
  /** The template's offer filters (`extra_filters`), under the group's own search_params. */
  filters: Record<string, unknown>;
}

const given = (v: unknown) => v !== null && v !== undefined && v !== "";

/** The group's launch from a create/update body, or the reason it is refused. `owner`: the caller's account key. */
export function groupLaunch(templates: Templates, owner: string, b: Record<string, unknown>): GroupLaunch | string {
  const hasArgs = typeof b.launch_args === "string" && b.launch_args.trim() !== "";
  let template: TemplateRec | null = null;
  if (given(b.template_hash) || given(b.template_id)) {
    // Both given must name the same template; the hash alone is what the CLI's examples send.
    template = templates.find(owner, { hash: b.template_hash, id: b.template_id }) ?? null;
    if (!template) return "Template not found";
  }
  if (!template) {
    if (!hasArgs) return "launch_args (or a template) is required";
    const launch = createBodyFromLaunchArgs(b.launch_args as string);
    return "error" in launch ? `launch_args: ${launch.error}` : { body: launch.body, template: null, filters: {} };
  }
  let body = templateCreateBody(template);
  if (hasArgs) {
    const read = readLaunchArgs(b.launch_args as string);
    if ("error" in read) return `launch_args: ${read.error}`;
    body = overTemplate(body, read.fields);
  }
  return { body, template, filters: { ...template.extra_filters } };
}
