// Vast templates driven by Vast's own CLI (PyPI vastai 1.9.1, unchanged): `vastai create template`,
// `search templates`, `delete template`, `create instance --template_hash`, and `create workergroup
// --template_hash` → the autoscaler rents a worker with the template's launch (image + tag, env and
// port, entrypoint, disk) and Vast's own client is served by it; an unknown hash is refused.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator/index.ts";
import { buildWorkerLaunch } from "../../components/serverless/launch.ts";
import { envString } from "../../components/serverless/wire.ts";
import { shQuote } from "../../components/vllm/launch.ts";
import { call } from "../emulator/helpers.ts";
import { waitUntil } from "../helpers/wait.ts";
import { GUIDE, SPEC, VASTAI_CLI, order, startServerless, vastClient } from "./helpers.ts";

const run = promisify(execFile);
const IMAGE = "vllm/vllm-openai";
const TAG = "v0.30.0-cu129";

describe("templates as Vast's CLI sends them; worker groups launched from one", () => {
  let emu: RunningEmulator;
  /** The CLI's output: JSON when it prints JSON, else its text (stdout + stderr, also on a non-zero exit). */
  const cli = async (...args: string[]) => {
    let out: string;
    try {
      const r = await run(VASTAI_CLI, ["--url", emu.url, "--api-key", emu.apiKey, "--raw", ...args], { timeout: 60_000, env: { ...process.env, HOME: "/tmp" } });
      out = r.stdout + r.stderr;
    } catch (e) {
      const x = e as { stdout?: string; stderr?: string };
      out = `${x.stdout ?? ""}${x.stderr ?? ""}`;
    }
    try {
      return JSON.parse(out);
    } catch {
      return out.trim();
    }
  };
  /** `vastai create template` prints `New Template: {…}` (a Python dict): its id and hash. */
  const created = (out: unknown) => {
    const m = /New Template: .*'id': (\d+).*'hash_id': '([0-9a-f]{32})'/s.exec(String(out)) ?? /New Template: .*'hash_id': '([0-9a-f]{32})'.*'id': (\d+)/s.exec(String(out));
    expect(m, String(out)).toBeTruthy();
    const [a, b] = [m?.[1] as string, m?.[2] as string];
    return /^\d+$/.test(a) ? { id: Number(a), hash: b } : { id: Number(b), hash: a };
  };
  const endpoint = async (name: string) => {
    await cli("create", "endpoint", "--endpoint_name", name, "--cold_workers", "0", "--max_workers", "1", "--inactivity_timeout", "60");
    const ep = (await cli("show", "endpoints")).find((e: { endpoint_name: string }) => e.endpoint_name === name);
    return { id: ep.id as number, key: (await call(emu, "GET", `/api/v0/endptjobs/${ep.id}/`)).body.result.api_key as string };
  };
  /** The one worker of an endpoint once Vast's worker reports it loaded, and its instance. */
  const idleWorker = async (epId: number) => {
    const w = await waitUntil(`an idle worker of endpoint ${epId}`, async () => {
      const r = await call(emu, "POST", "/get_endpoint_workers/", { id: epId });
      return Array.isArray(r.body) && r.body.length === 1 && r.body[0].status === "idle" ? (r.body[0] as { id: number }) : null;
    }, 240_000, 200);
    return emu.instances().find((i) => i.id === w.id);
  };

  beforeAll(async () => {
    emu = await startServerless();
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it("create / search / duplicate / update / delete a template; create instance --template_hash takes its launch", async () => {
    const out = await cli("create", "template", "--name", "base-ssh", "--image", "vastai/base-image", "--image_tag", "cuda-12.1",
      "--env", "-p 8080:8080 -e A=1 -e B=2", "--ssh", "--direct", "--onstart-cmd", "echo hi", "--disk_space", "24", "--search_params", "gpu_ram>=16");
    const t = created(out);
    const [row] = await cli("search", "templates", `id=${t.id}`);
    expect(row).toMatchObject({ id: t.id, hash_id: t.hash, name: "base-ssh", image: "vastai/base-image", tag: "cuda-12.1", runtype: "ssh", ssh_direct: true, use_ssh: true, recommended_disk_space: 24, private: true });
    // As Vast's own code reads it (vastai/cli/commands/benchmarks.py): JSON text with the CLI's default filters.
    expect(JSON.parse(row.extra_filters)).toEqual({ verified: { eq: true }, external: { eq: false }, rentable: { eq: true }, gpu_ram: { gte: 16000 } });
    expect(await cli("search", "templates", "id=1")).toEqual([]);
    // The same content again: Vast's "Existing Template Found" (success false), no second template.
    expect(await cli("create", "template", "--name", "base-ssh", "--image", "vastai/base-image", "--image_tag", "cuda-12.1",
      "--env", "-p 8080:8080 -e A=1 -e B=2", "--ssh", "--direct", "--onstart-cmd", "echo hi", "--disk_space", "24", "--search_params", "gpu_ram>=16"))
      .toBe(`Existing Template Found: ${t.id}. User relationship added.`);
    // An update (resolved by hash with search, then PUT /api/v1/template/) is a new version; the old hash still resolves.
    const upd = await cli("update", "template", t.hash, "--name", "base-ssh-2", "--image", "vastai/base-image", "--image_tag", "cuda-12.4", "--ssh");
    const v2 = JSON.parse(String(upd).replace(/^updated template: /, ""));
    expect(v2).toMatchObject({ name: "base-ssh-2", tag: "cuda-12.4", runtype: "ssh", ssh_direct: false });
    expect(v2.hash_id).not.toBe(t.hash);
    expect((await cli("search", "templates", `hash_id=${t.hash}`)).map((r: { id: number }) => r.id)).toEqual([t.id]);
    expect(await cli("delete", "template", "--hash-id", v2.hash_id)).toBe(`Template ${v2.id} Deleted Successfully`);

    // Instance create with the template: its launch, with the CLI's own non-null fields (disk 10, env B) over it.
    const offer = emu.market().find((o) => !o.rented && o.direct_port_count > 1) as { id: number };
    const rent = await cli("create", "instance", String(offer.id), "--template_hash", t.hash, "--env", "-e B=3 -e C=4");
    expect(rent, JSON.stringify(rent)).toMatchObject({ success: true, new_contract: expect.any(Number) });
    const inst = (await call(emu, "GET", `/api/v0/instances/${rent.new_contract}/`)).body.instances;
    expect(inst).toMatchObject({ image_uuid: "vastai/base-image:cuda-12.1", image_runtype: "ssh_direc ssh_proxy", onstart: "echo hi", disk_space: 10, template_id: t.id, template_hash_id: t.hash, template_name: "base-ssh" });
    expect(Object.fromEntries(inst.extra_env)).toEqual({ "-p 8080:8080": "1", A: "1", B: "3", C: "4" });
    await cli("destroy", "instance", String(rent.new_contract), "-y");
    expect((await call(emu, "GET", `/api/v0/instances/${rent.new_contract}/`)).body.instances).toBeNull();
    const unknown = await call(emu, "PUT", `/api/v0/asks/${offer.id}/`, { client_id: "me", image: null, env: {}, disk: 10, template_hash_id: "0".repeat(32) });
    expect(unknown.status).toBe(400);
    expect(unknown.body.msg).toContain("Template not found");

    expect(await cli("delete", "template", "--template-id", String(t.id))).toBe(`Template ${t.id} Deleted Successfully`);
    expect(await cli("search", "templates", `id=${t.id}`)).toEqual([]);
  }, 120_000);

  it("a worker group from a template (launch_args adding the key and the script) serves Vast's client", async () => {
    const ep = await endpoint("tpl-ep");
    const launch = buildWorkerLaunch(SPEC, { consoleUrl: emu.url, maxQueueTime: 30 });
    // The template holds the image (tag apart), the worker's env and port, the entrypoint and the disk.
    const t = created(await cli("create", "template", "--name", "rerank-worker", "--image", IMAGE, "--image_tag", TAG,
      "--env", envString(launch.env), "--onstart-cmd", launch.onstart, "--disk_space", "20", "--search_params", "gpu_ram>=16 num_gpus=1 direct_port_count>=1"));
    // launch_args add what the template lacks: the endpoint's key (env merged by key) and the script.
    const extra = ["--env", shQuote(`-e VR_ENDPOINT_KEY=${ep.key}`), "--args", ...launch.args.map(shQuote)].join(" ");
    expect(String(await cli("create", "workergroup", "--endpoint_name", "tpl-ep", "--template_hash", t.hash, "--launch_args", extra))).toContain("'success': True");
    const [wg] = (await cli("show", "workergroups")).filter((g: { endpoint_id: number }) => g.endpoint_id === ep.id);
    expect(wg).toMatchObject({ template_hash: t.hash, template_id: t.id, search_params: "verified=True rentable=True rented=False" });
    // The template's filters are the group's search (the CLI help: "inferred from the template").
    expect(emu.serverless.state.groups.get(wg.id)?.query).toMatchObject({ gpu_ram: { gte: 16000 }, num_gpus: { eq: "1" }, verified: { eq: true } });

    const [r] = await vastClient({ emulator: emu.url, account_key: emu.apiKey, endpoint_name: "tpl-ep", payload: GUIDE });
    expect(r, JSON.stringify(r)).toMatchObject({ ok: true, status: 200 });
    expect(order(r).slice(0, 2).sort()).toEqual([0, 2]);
    const inst = await idleWorker(ep.id);
    expect(inst).toMatchObject({ image_uuid: `${IMAGE}:${TAG}`, image_runtype: "args", onstart: "/bin/sh", image_args: launch.args, disk_space: 20, template_hash_id: t.hash });
    expect(Object.fromEntries(inst?.extra_env ?? [])).toEqual({ ...launch.env, VR_ENDPOINT_KEY: ep.key });
    expect(Object.keys(inst?.ports ?? {})).toEqual(["3000/tcp"]);
    await cli("delete", "endpoint", String(ep.id)); // releases the worker before the next test boots one
  }, 400_000);

  it("a template alone (args_str in it, no launch_args) boots the same worker; an unknown hash is refused", async () => {
    const ep = await endpoint("tpl-only");
    const launch = buildWorkerLaunch(SPEC, { consoleUrl: emu.url, maxQueueTime: 30 });
    // args_str is a template field in Vast's API docs (the CLI has no flag for it): sent over REST.
    const t = await call(emu, "POST", "/api/v0/template/", {
      name: "rerank-worker-full", image: `${IMAGE}:${TAG}`, env: envString({ ...launch.env, VR_ENDPOINT_KEY: ep.key }), onstart: launch.onstart,
      args_str: launch.args.map(shQuote).join(" "), runtype: "args", recommended_disk_space: 20, extra_filters: { num_gpus: { eq: 1 }, direct_port_count: { gte: 1 } },
    });
    expect(t.body).toMatchObject({ success: true, template: { hash_id: expect.stringMatching(/^[0-9a-f]{32}$/) } });
    const bad = await cli("create", "workergroup", "--endpoint_name", "tpl-only", "--template_hash", "f".repeat(32));
    expect(String(bad)).toMatch(/Error creating workergroup: 400/);
    const refused = await call(emu, "POST", "/api/v0/autojobs/", { client_id: "me", endpoint_name: "tpl-only", template_hash: "f".repeat(32), search_params: "" });
    expect(refused.body).toEqual({ success: false, error: "invalid_args", msg: "Template not found" });
    expect((await call(emu, "POST", "/api/v0/autojobs/", { client_id: "me", endpoint_name: "tpl-only", template_id: 1, search_params: "" })).body.msg).toBe("Template not found");

    expect(String(await cli("create", "workergroup", "--endpoint_name", "tpl-only", "--template_hash", t.body.template.hash_id))).toContain("'success': True");
    const [r] = await vastClient({ emulator: emu.url, endpoint_key: ep.key, endpoint_name: "tpl-only", endpoint_id: ep.id, payload: GUIDE });
    expect(r, JSON.stringify(r)).toMatchObject({ ok: true, status: 200 });
    const inst = await idleWorker(ep.id);
    expect(inst).toMatchObject({ image_uuid: `${IMAGE}:${TAG}`, image_runtype: "args", onstart: "/bin/sh", image_args: launch.args, disk_space: 20 });
    expect(Object.fromEntries(inst?.extra_env ?? [])).toEqual({ ...launch.env, VR_ENDPOINT_KEY: ep.key });
  }, 400_000);
});
