// The orphan reaper against the emulator and real stacks: one stack deployed and kept
// ("live"), one whose state was deleted with its instance still running ("gone": `pulumi stack rm
// --force`), one instance rented directly through the API with our label prefix, one instance of
// another tool. `node tools/reaper/reaper.ts` (cwd = the project, so `pulumi stack ls` sees its stacks):
// a dry run lists the two orphans with $/h and destroys nothing; --older-than filters by age;
// --yes destroys only orphans, never a tracked instance nor a foreign one.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { LocalWorkspace } from "@pulumi/pulumi/automation/index.js";
import { ROOT, createTestProject, type TestProject } from "../helpers/engine.ts";
import { startEmulator } from "../../emulator/index.ts";
import type { AdminInstance, RunningEmulator } from "../../emulator/types.ts";
import { FAST_BOOT, FAST_POLLS, STACK_SOURCES, liveInstances, localStackConfig } from "../helpers/stack.ts";
import { pulumiOk, recordScenario, spawnPulumi, summaryLine, trackedIds, waitUntil } from "../helpers/chaos.ts";

const SUITE = "chaos-reaper";

let emu: RunningEmulator;
let p: TestProject; // stack "live"
let gone: TestProject; // stack "gone", removed from the backend with its instance running

beforeAll(async () => {
  emu = await startEmulator(FAST_BOOT);
  p = await createTestProject({ sources: STACK_SOURCES, stackName: "live", config: localStackConfig(emu), env: FAST_POLLS });
  const goneStack = await LocalWorkspace.createOrSelectStack({ stackName: "gone", workDir: p.workDir }, { envVars: p.env });
  await goneStack.setAllConfig(localStackConfig(emu));
  gone = { ...p, stack: goneStack };
}, 120_000);

afterAll(async () => {
  console.log(summaryLine(SUITE));
  p?.cleanup();
  await emu?.stop();
});

interface ReaperRun {
  code: number;
  output: string;
}

function reaper(...args: string[]): Promise<ReaperRun> {
  return new Promise((resolve) => {
    execFile("node", [join(ROOT, "tools/reaper/reaper.ts"), ...args], {
      cwd: p.workDir,
      env: { ...process.env, ...p.env, VAST_API_KEY: emu.apiKey, VAST_API_URL: emu.url },
      encoding: "utf8",
    }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }));
  });
}

/** Rents an offer directly through the Vast API (as another tool or a person would), with `label`. */
async function rentDirectly(label: string): Promise<AdminInstance> {
  const before = new Set(emu.instances().map((i) => i.id));
  for (const offer of emu.market().filter((o) => o.rentable && !o.rented)) {
    const res = await fetch(`${emu.url}/api/v0/asks/${offer.id}/`, {
      method: "PUT",
      headers: { authorization: `Bearer ${emu.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ client_id: "me", image: "vastai/base-image:cuda-12.4.1-auto", disk: 10, label, runtype: "ssh", env: {} }),
    });
    const body = (await res.json()) as { success?: boolean; new_contract?: number };
    if (res.ok && body.success && typeof body.new_contract === "number") break;
  }
  return waitUntil(`the instance labelled ${label}`, () => emu.instances().find((i) => !before.has(i.id) && i.label === label), 10_000);
}

/** A reaper table row for this instance: id, status, gpu, $/h, age, label. */
function rowFor(i: AdminInstance): RegExp {
  return new RegExp(`^${i.id}\\s+\\S+\\s+.+\\$${i.dph_total.toFixed(3)}/h\\s+\\d+ min\\s+${i.label?.replace(/\./g, "\\.")}$`, "m");
}

const liveIds = () => liveInstances(emu).map((i) => i.id).sort();

describe("orphan reaper (tools/reaper/reaper.ts) against the emulator and real stacks", () => {
  it("lists orphans with $/h, filters by age, destroys only orphans with --yes", async () => {
    // Two stacks deploy; then "gone"'s state is deleted while its instance keeps running.
    const [a, b] = await Promise.all([spawnPulumi(p, ["up", "--yes", "--skip-preview"]).done, spawnPulumi(gone, ["up", "--yes", "--skip-preview"]).done]);
    expect(a.code, a.output.slice(-2000)).toBe(0);
    expect(b.code, b.output.slice(-2000)).toBe(0);
    const [tracked] = trackedIds(p);
    const leftBehind = liveInstances(emu).find((i) => i.label?.startsWith("vast-reranker.gone.")) as AdminInstance;
    expect(leftBehind).toBeDefined();
    await pulumiOk(gone, ["stack", "rm", "--force", "--yes"]);
    const stacks = JSON.parse(p.cli(["stack", "ls", "--json"])) as Array<{ name: string }>;
    expect(stacks.map((s) => s.name)).toEqual(["live"]);

    const foreign = await rentDirectly("someone-else.training.7");
    // The "gone" orphan must be older than the age filter below (30 s); the direct one is fresh.
    await waitUntil("the left-behind orphan to be 40 s old", () => Date.now() / 1000 - leftBehind.start_date >= 40, 120_000, 200);
    const ghost = await rentDirectly("vast-reranker.ghost.reranker.0badf00d.00000000");
    const all = [tracked, leftBehind.id, foreign.id, ghost.id].sort();
    expect(liveIds()).toEqual(all);

    // Dry run: both orphans with their price, nothing else, nothing destroyed.
    const dry = await reaper();
    expect(dry.code, dry.output).toBe(0);
    expect(dry.output).toContain("stacks checked: live; instances they track: 1");
    expect(dry.output).toMatch(rowFor(leftBehind));
    expect(dry.output).toMatch(rowFor(ghost));
    expect(dry.output).toContain(`2 orphaned instance(s) costing $${(leftBehind.dph_total + ghost.dph_total).toFixed(3)}/h in all`);
    expect(dry.output).not.toMatch(new RegExp(`^${tracked}\\s`, "m"));
    expect(dry.output).not.toContain(String(foreign.id));
    expect(dry.output).toContain("dry run: nothing destroyed");
    expect(liveIds()).toEqual(all);

    // --older-than: only the old orphan; nothing is that old in hours.
    const old = await reaper("--older-than", "0.5m");
    expect(old.code, old.output).toBe(0);
    expect(old.output).toMatch(rowFor(leftBehind));
    expect(old.output).not.toContain(String(ghost.id));
    expect(old.output).toContain("1 orphaned instance(s)");
    const none = await reaper("--older-than", "2h");
    expect(none.output).toContain("no orphaned instances");
    expect(liveIds()).toEqual(all);

    // --yes with the age filter destroys the old orphan only; --yes alone the other one.
    const reapOld = await reaper("--yes", "--older-than", "0.5m");
    expect(reapOld.code, reapOld.output).toBe(0);
    expect(reapOld.output).toContain(`destroyed ${leftBehind.id} (${leftBehind.label})`);
    expect(liveIds()).toEqual([tracked, foreign.id, ghost.id].sort());
    const reapAll = await reaper("--yes");
    expect(reapAll.code, reapAll.output).toBe(0);
    expect(reapAll.output).toContain(`destroyed ${ghost.id} (${ghost.label})`);
    expect(liveIds()).toEqual([tracked, foreign.id].sort());
    expect((await reaper()).output).toContain("no orphaned instances");

    // The stack's own instance survived all of it and destroys normally.
    await pulumiOk(p, ["destroy", "--yes", "--skip-preview"]);
    const ours = liveInstances(emu).filter((i) => i.label?.startsWith("vast-reranker."));
    recordScenario({ suite: SUITE, scenario: "reaper-dry-run-age-yes", leaked: ours.length });
    expect(ours).toEqual([]);
    expect(liveIds()).toEqual([foreign.id]); // another tool's instance is never ours to touch
  }, 300_000);

  it("refuses to run without a Vast key", async () => {
    const r = await new Promise<ReaperRun>((resolve) => {
      execFile("node", [join(ROOT, "tools/reaper/reaper.ts")], { cwd: p.workDir, env: { ...process.env, ...p.env, VAST_API_KEY: "" }, encoding: "utf8" },
        (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }));
    });
    expect(r.code).toBe(2);
    expect(r.output).toContain("set VAST_API_KEY");
  });
});
