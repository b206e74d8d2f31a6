// Orphan reaper: lists Vast instances labelled by this project that no stack state knows about,
// and destroys them only with --yes. Usage: see docs/operations.md "Cleaning up orphans".
import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import { destroyAndConfirm, listInstances } from "../../components/vast/api/client.ts";
import { findOrphans, formatOrphans, instanceIdsInState, parseAge } from "./orphans.ts";

const { values } = parseArgs({
  options: {
    prefix: { type: "string", default: "vast-reranker" },
    "older-than": { type: "string" },
    stack: { type: "string", multiple: true },
    "no-state": { type: "boolean", default: false },
    yes: { type: "boolean", default: false },
    "api-url": { type: "string" },
    cwd: { type: "string", default: process.cwd() },
  },
});

const apiUrl = values["api-url"] ?? process.env.VAST_API_URL ?? "https://console.vast.ai";
const apiKey = process.env.VAST_API_KEY ?? "";
if (!apiKey) {
  console.error("reaper: set VAST_API_KEY (the Vast key of the account to scan)");
  process.exit(2);
}

function pulumi(args: string[]): string {
  return execFileSync("pulumi", [...args, "--non-interactive"], { cwd: values.cwd, encoding: "utf8", maxBuffer: 256 << 20 });
}

/** Instance ids in every stack of the project in the current backend (or the --stack list). */
function knownInstanceIds(): Set<number> {
  const stacks = values.stack ?? (JSON.parse(pulumi(["stack", "ls", "--json"])) as Array<{ name: string }>).map((s) => s.name);
  const ids = new Set<number>();
  for (const s of stacks) for (const id of instanceIdsInState(JSON.parse(pulumi(["stack", "export", "--stack", s])))) ids.add(id);
  console.log(`stacks checked: ${stacks.length ? stacks.join(", ") : "(none)"}; instances they track: ${ids.size}`);
  return ids;
}

const known = values["no-state"] ? new Set<number>() : knownInstanceIds();
const opts = { apiUrl, apiKey };
const orphans = findOrphans(await listInstances(opts), known, values.prefix, Date.now() / 1000, values["older-than"] ? parseAge(values["older-than"]) : 0);
console.log(formatOrphans(orphans));
if (orphans.length && !values.yes) console.log("dry run: nothing destroyed; re-run with --yes to destroy them");
if (values.yes) {
  for (const o of orphans) {
    await destroyAndConfirm(opts, o.id);
    console.log(`destroyed ${o.id} (${o.label})`);
  }
}
