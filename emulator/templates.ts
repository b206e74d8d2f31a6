// Vast templates, stored per account key: `POST /api/v0/template/` (create), `GET /api/v0/template/`
// (search, `select_filters`), `PUT /api/v1/template/` (a new version), `DELETE /api/v0/template/`, as
// PyPI vastai 1.9.1 sends them (vastai/api/offers.py create_template, search_templates,
// update_template, resolve_template_id, delete_template) and Vast's OpenAPI describes the answers.
// What a template launches: ./templateLaunch.ts. Choices where Vast is silent: docs/vast-api.md §3.3.
import { createHash } from "node:crypto";
import { json, type Reply } from "./http.ts";
import { QueryError, rowMatches } from "./query.ts";
import { templateCreateBody, overTemplate, type TemplateLaunchFields } from "./templateLaunch.ts";

export interface TemplateRec extends TemplateLaunchFields {
  id: number;
  hash_id: string;
  name: string;
  href: string | null;
  repo: string | null;
  use_ssh: boolean;
  jupyter_dir: string | null;
  use_jupyter_lab: boolean;
  docker_login_repo: string | null;
  extra_filters: Record<string, unknown>;
  readme: string | null;
  readme_visible: boolean;
  desc: string | null;
  private: boolean;
  created_at: number;
  count_created: number;
}

const bad = (msg: string, status = 400, error = "invalid_args"): Reply => json(status, { success: false, error, msg });
const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
/** The emulator's one account id (GET /users/current answers id 1 to every key). */
const CREATOR_ID = 1;

/** The template's content in a fixed order: its hash is Vast's "content-based" hash_id (32 hex). */
function contentHash(t: Omit<TemplateRec, "id" | "hash_id" | "created_at" | "count_created">): string {
  const keys = Object.keys(t).sort() as (keyof typeof t)[];
  return createHash("md5").update(JSON.stringify(keys.map((k) => [k, t[k]]))).digest("hex");
}

/** A template body as the CLI/SDK sends it → the stored fields, or the reason it is refused. */
function fieldsFrom(b: Record<string, unknown>): Omit<TemplateRec, "id" | "hash_id" | "created_at" | "count_created"> | string {
  if (typeof b.name !== "string" || !b.name.trim() || b.name.length > 256) return "Missing or invalid template name";
  if (typeof b.image !== "string" || !b.image.trim()) return "image is required";
  if (b.image.length > 1024) return "image must be at most 1024 characters";
  const runtype = b.runtype ?? "args";
  if (runtype !== "args" && runtype !== "ssh" && runtype !== "jupyter") return `runtype must be ssh, jupyter or args, not ${JSON.stringify(runtype)}`;
  for (const k of ["env", "onstart", "args_str", "tag"]) if (b[k] !== null && b[k] !== undefined && typeof b[k] !== "string") return `${k} must be a string`;
  const ef = b.extra_filters ?? {};
  if (typeof ef !== "object" || Array.isArray(ef)) return "extra_filters must be an object of offer filters";
  // The CLI sends --disk_space as a string ("20"); the SDK a number.
  const rd = b.recommended_disk_space;
  const disk = rd === null || rd === undefined || rd === "" ? null : Number(rd);
  if (disk !== null && !Number.isFinite(disk)) return "recommended_disk_space must be a number (GB)";
  return {
    name: b.name, image: b.image.trim(), tag: str(b.tag), href: str(b.href), repo: str(b.repo), env: str(b.env), onstart: str(b.onstart),
    args_str: str(b.args_str), runtype, ssh_direct: b.ssh_direct === true, jup_direct: b.jup_direct === true, use_ssh: b.use_ssh === true,
    jupyter_dir: str(b.jupyter_dir), use_jupyter_lab: b.use_jupyter_lab === true, docker_login_repo: str(b.docker_login_repo),
    extra_filters: ef as Record<string, unknown>, recommended_disk_space: disk, readme: str(b.readme), readme_visible: b.readme_visible !== false,
    desc: str(b.desc), private: b.private !== false,
  };
}

/** What an instance shows of the template it was launched from (template_id / template_hash_id / template_name). */
export type TemplateRef = { id: number; hash_id: string; name: string };

export function templateRef(t: TemplateRec | null): TemplateRef | null {
  return t ? { id: t.id, hash_id: t.hash_id, name: t.name } : null;
}

export class Templates {
  private recs = new Map<number, TemplateRec>();
  private owners = new Map<number, string>();
  private nextId = 51000;

  /** Search rows: every column; `extra_filters` as the JSON text Vast's own code parses (vastai/cli/commands/benchmarks.py). */
  row(t: TemplateRec): Record<string, unknown> {
    return { ...t, extra_filters: JSON.stringify(t.extra_filters), creator_id: CREATOR_ID, recommended: false, default_tag: t.tag, recent_create_date: t.created_at };
  }

  /** The caller's own templates, then public ones (resolve_template_id: "the caller's own template wins"). */
  visible(key: string): TemplateRec[] {
    const all = [...this.recs.values()];
    return [...all.filter((t) => this.owners.get(t.id) === key), ...all.filter((t) => this.owners.get(t.id) !== key && !t.private)];
  }

  find(key: string, by: { hash?: unknown; id?: unknown }): TemplateRec | undefined {
    const id = typeof by.id === "number" ? by.id : typeof by.id === "string" && /^\d+$/.test(by.id) ? Number(by.id) : null;
    const hash = typeof by.hash === "string" && by.hash ? by.hash : null;
    if (hash === null && id === null) return undefined;
    return this.visible(key).find((t) => (hash === null || t.hash_id === hash) && (id === null || t.id === id));
  }

  private store(key: string, f: Omit<TemplateRec, "id" | "hash_id" | "created_at" | "count_created">): TemplateRec {
    const rec: TemplateRec = { ...f, id: this.nextId++, hash_id: contentHash(f), created_at: Date.now() / 1000, count_created: 0 };
    this.recs.set(rec.id, rec);
    this.owners.set(rec.id, key);
    return rec;
  }

  create(key: string, body: unknown): Reply {
    const f = fieldsFrom((body ?? {}) as Record<string, unknown>);
    if (typeof f === "string") return bad(f);
    // Same content from this account: Vast answers the existing template (OpenAPI: "Existing Template Found").
    const same = this.visible(key).find((t) => t.hash_id === contentHash(f));
    if (same) return json(200, { success: false, msg: `Existing Template Found: ${same.id}. User relationship added.`, template: this.row(same) });
    const rec = this.store(key, f);
    return json(200, { success: true, msg: `Template Created Successfully! New Template ID: ${rec.id}`, template: this.row(rec) });
  }

  search(key: string, url: URL): Reply {
    let filters: Record<string, unknown> = {};
    const raw = url.searchParams.get("select_filters");
    try {
      if (raw) filters = JSON.parse(raw) as Record<string, unknown>;
      if (!filters || typeof filters !== "object" || Array.isArray(filters)) throw new QueryError("select_filters must be a JSON object");
      const rows = this.visible(key).map((t) => this.row(t)).filter((r) => rowMatches(r, filters));
      return rows.length ? json(200, { success: true, templates_found: rows.length, templates: rows }) : json(200, { success: false, msg: "No templates found" });
    } catch (e) {
      return bad(e instanceof QueryError ? e.message : `select_filters: ${(e as Error).message}`, 400, "invalid_request");
    }
  }

  /** `PUT /api/v1/template/` {id, hash_id, …}: a new version with a new hash; the old one stays usable. */
  update(key: string, body: unknown): Reply {
    const b = (body ?? {}) as Record<string, unknown>;
    const old = this.find(key, { id: b.id, hash: b.hash_id });
    if (!old || this.owners.get(old.id) !== key) return bad("Template not found", 404, "not_found");
    const f = fieldsFrom(b);
    if (typeof f === "string") return bad(f);
    return json(200, { success: true, template: this.row(this.store(key, f)) });
  }

  remove(key: string, body: unknown): Reply {
    const b = (body ?? {}) as Record<string, unknown>;
    if (b.template_id !== undefined && b.template_id !== null && !Number.isInteger(b.template_id)) return bad("Template ID must be integer");
    if (!b.template_id && !b.hash_id) return bad("Invalid Template ID or User ID");
    const byId = b.template_id ? this.recs.get(b.template_id as number) : [...this.recs.values()].find((t) => t.hash_id === b.hash_id && this.owners.get(t.id) === key);
    if (!byId) return bad("Template not found", 404, "not_found");
    if (this.owners.get(byId.id) !== key) return bad("Templates can ONLY be Deleted by their Creator", 401, "auth_error");
    this.recs.delete(byId.id);
    this.owners.delete(byId.id);
    return json(200, { success: true, msg: `Template ${byId.id} Deleted Successfully` });
  }

  clear(): void {
    this.recs.clear();
    this.owners.clear();
  }
}

/**
 * A create-instance body naming `template_hash_id`: the template's launch with the request laid over it
 * (./templateLaunch.ts), or "Template not found". Without a hash the body is returned as sent (Vast's
 * docs: instance creation takes `template_hash_id`, not `template_id`).
 */
export function withTemplate(templates: Templates, key: string, body: unknown): { body: unknown; template: TemplateRec | null } | { error: string } {
  const b = body && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
  if (!b || b.template_hash_id === null || b.template_hash_id === undefined || b.template_hash_id === "") return { body, template: null };
  const t = templates.find(key, { hash: b.template_hash_id });
  if (!t) return { error: "Template not found" };
  t.count_created++;
  return { body: overTemplate(templateCreateBody(t), b), template: t };
}
