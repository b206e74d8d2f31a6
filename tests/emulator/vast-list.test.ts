// GET /api/v1/instances/: select_filters, order_by, limit (max 25), next_token, label_counts (docs/vast-api.md §4.1).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator/index.ts";
import { call, createBody, offers } from "./helpers.ts";
import { start } from "./helpers.ts";

const SSH = { image: "vastai/base-image:@vastai-automatic-tag", runtype: "ssh", args: null };
let emu: RunningEmulator;
const ids: number[] = [];

const list = (params: Record<string, unknown>) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) q.set(k, typeof v === "string" ? v : JSON.stringify(v));
  return call(emu, "GET", `/api/v1/instances/?${q}`);
};

beforeAll(async () => {
  emu = await start();
  const all = await offers(emu, { rentable: { eq: true }, limit: 1000 });
  // 30 instances: 12 "a", 10 "b", 8 unlabelled.
  for (let n = 0; n < 30; n++) {
    const label = n < 12 ? "a" : n < 22 ? "b" : null;
    const r = await call(emu, "PUT", `/api/v0/asks/${all[n].id}/`, createBody({ ...SSH, label }));
    expect(r.body.success, r.text).toBe(true);
    ids.push(r.body.new_contract);
  }
});
afterAll(() => emu.stop());

describe("v1 instance list", () => {
  it("pages 25 at most, with an opaque next_token, until next_token is null", async () => {
    const first = await list({});
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ success: true, instances_found: 25, total_instances: 30 });
    expect(first.body.label_counts).toEqual({ a: 12, b: 10, "": 8 });
    expect(typeof first.body.next_token).toBe("string");
    const second = await list({ after_token: first.body.next_token });
    expect(second.body.instances_found).toBe(5);
    expect(second.body.next_token).toBeNull();
    const seen = [...first.body.instances, ...second.body.instances].map((i: { id: number }) => i.id);
    expect(seen).toEqual([...ids].sort((x, y) => x - y));
    expect((await list({ limit: 100 })).body.instances_found).toBe(25);
    expect((await list({ limit: 0 })).body.instances_found).toBe(5);
  });

  it("filters on label (eq, in with null for unlabelled) and computes counts over the filter", async () => {
    const a = await list({ select_filters: { label: { eq: "a" } }, limit: 5 });
    expect(a.body).toMatchObject({ total_instances: 12, instances_found: 5, label_counts: { a: 12 } });
    expect(a.body.instances.every((i: { label: string }) => i.label === "a")).toBe(true);
    let token = a.body.next_token;
    let n = 5;
    while (token) {
      const p = await list({ select_filters: { label: { eq: "a" } }, limit: 5, after_token: token });
      n += p.body.instances_found;
      token = p.body.next_token;
    }
    expect(n).toBe(12);
    const bOrNone = await list({ select_filters: { label: { in: ["b", null] } } });
    expect(bOrNone.body.total_instances).toBe(18);
    expect(bOrNone.body.label_counts).toEqual({ b: 10, "": 8 });
    const st = await list({ select_filters: { actual_status: { in: ["running", "loading", "created"] } } });
    expect(st.status).toBe(200);
  });

  it("orders by order_by with id as the tie-breaker", async () => {
    const r = await list({ order_by: [{ col: "label", dir: "desc" }], limit: 25 });
    const rows = r.body.instances as Array<{ id: number; label: string | null }>;
    expect(rows[0].label).toBe("b");
    const bs = rows.filter((x) => x.label === "b").map((x) => x.id);
    expect(bs).toEqual([...bs].sort((x, y) => x - y));
    const desc = await list({ order_by: [{ col: "id", dir: "desc" }], limit: 3 });
    expect(desc.body.instances.map((i: { id: number }) => i.id)).toEqual([...ids].sort((x, y) => y - x).slice(0, 3));
  });

  it("400 for computed columns, bad JSON and bad tokens", async () => {
    const computed = await list({ select_filters: { dph_total: { lte: 1 } } });
    expect(computed.status).toBe(400);
    expect(computed.body).toEqual({ success: false, error: "invalid_request", msg: "Error in query parameters: dph_total is not a valid search key" });
    expect((await list({ select_filters: { num_gpus: { eq: 1 } } })).status).toBe(400);
    expect((await list({ select_filters: "{not json" })).status).toBe(400);
    const bad = await list({ after_token: "garbage" });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe("invalid_token");
    // A token from another filter is not valid here.
    const t = (await list({ select_filters: { label: { eq: "a" } }, limit: 2 })).body.next_token;
    expect((await list({ after_token: t })).body.error).toBe("invalid_token");
  });

  it("select_cols projects columns (unknown ones null)", async () => {
    const r = await list({ select_cols: ["id", "label", "nope"], limit: 2 });
    expect(Object.keys(r.body.instances[0]).sort()).toEqual(["id", "label", "nope"]);
    expect(r.body.instances[0].nope).toBeNull();
  });
});
