// Request parity with Vast's own package for Vast Serverless: our bodies carry every field, with the
// same JSON type, that vastai 1.9.1 sends for the same operation (captured from its unchanged code by
// tests/serverless/vastai_bodies.py), and no field vastai does not know.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { endpointBody, routeBody, workerGroupBody } from "../../components/serverless/wire.ts";
import { SETTINGS, VASTAI_PYTHON } from "./helpers.ts";

type Call = { method?: string; path?: string; body: Record<string, unknown>; auth?: string };
const kind = (v: unknown) => (v === null ? "null" : typeof v === "number" ? "number" : typeof v);

describe("serverless request bodies match Vast's package", () => {
  let vast: Record<string, Call>;
  beforeAll(async () => {
    const { stdout } = await promisify(execFile)(VASTAI_PYTHON, [join(import.meta.dirname, "vastai_bodies.py")], { timeout: 60_000 });
    vast = JSON.parse(stdout) as Record<string, Call>;
  });

  it("create/update endpoint: every field the CLI sends, same types, nothing unknown", () => {
    const ours = endpointBody("ep", { ...SETTINGS, coldWorkers: 1 });
    const cli = vast.create_endpoint.body;
    expect(vast.create_endpoint).toMatchObject({ method: "POST", path: "/endptjobs/" });
    expect(Object.keys(ours).sort()).toEqual(Object.keys(cli).sort());
    for (const [k, v] of Object.entries(cli)) if (v !== null) expect(kind((ours as unknown as Record<string, unknown>)[k]), k).toBe(kind(v));
    // Our PUT adds what the CLI's update adds (endptjob_id, endpoint_state) to the same knobs.
    const put = vast.update_endpoint.body;
    expect(vast.update_endpoint).toMatchObject({ method: "PUT", path: "/endptjobs/7/" });
    expect(Object.keys({ ...ours, endptjob_id: 7, endpoint_state: "active" }).sort()).toEqual(Object.keys(put).sort());
    expect(vast.delete_endpoint).toEqual({ method: "DELETE", path: "/endptjobs/7/", body: { client_id: "me", endptjob_id: 7 } });
    // Every field of the SDK's EndpointConfig is one we send.
    for (const k of Object.keys(vast.sdk_endpoint_config.body)) expect(ours).toHaveProperty(k);
  });

  it("create/update worker group: the CLI's fields plus the SDK's max_workers, cold_workers (workergroup level)", () => {
    const ours = workerGroupBody({ endpointId: 7, endpointName: "ep", searchParams: "gpu_ram>=16", launchArgs: "--image x:1", gpuRamGb: 16, settings: SETTINGS }) as unknown as Record<string, unknown>;
    const cli = vast.create_workergroup.body;
    for (const [k, v] of Object.entries(cli)) {
      expect(ours, k).toHaveProperty(k);
      if (v !== null && k !== "search_params") expect(kind(ours[k]), k).toBe(kind(v));
    }
    const known = new Set([...Object.keys(cli), ...Object.keys(vast.sdk_workergroup_config.body), "cold_workers"]);
    expect(Object.keys(ours).filter((k) => !known.has(k))).toEqual([]);
    // The CLI appends Vast's default terms to search_params; we send instance mode's query object
    // instead (the SDK's type allows a dict), which already holds verified/rentable/rented.
    expect(cli.search_params).toBe("gpu_ram>=16 verified=True rentable=True rented=False");
    expect(vast.update_workergroup.body).toMatchObject({ autojob_id: 9 });
    expect(vast.delete_workergroup).toEqual({ method: "DELETE", path: "/autojobs/9/", body: { client_id: "me", autojob_id: 9 } });
  });

  it("route: the body, query key and Bearer Vast's client posts (serverless/client/endpoint.py _route)", () => {
    expect(vast.route).toMatchObject({ method: "POST", path: "/route/?api_key=k", auth: "Bearer k" });
    expect(routeBody("ep", "k")).toEqual(vast.route.body);
  });
});
