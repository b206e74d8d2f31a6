// The stack's default (hardened) launch on the REAL vLLM server: the emulator's "vllm" runtime runs the
// launch unchanged with vLLM's CPU build (release of the pinned image) serving a tiny generated
// cross-encoder. What this proves: the launch (`pulumi up` starts vLLM and passes its readiness probe),
// the guard (an outside sweep of every route the real server publishes finds nothing open but /health,
// /ping, /version) and the guide's clients against the real routes. What it cannot prove: ranking
// quality. The tiny model is trained on the guide's example, so the ranking checks here show that the
// routes carry the model's answer back, not that a reranker is good.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CohereClientV2 } from "cohere-ai";
import type { TestProject } from "../helpers/engine.ts";
import { liveInstances } from "../helpers/stack.ts";
import type { RunningEmulator } from "../../emulator/types.ts";
import { GUIDE_DOCUMENTS, GUIDE_QUERY, PUBLIC_PATHS } from "../../components/readiness/verdicts.ts";
import { MODEL, REAL_BOOT_MS, destroyAndStop, openapiRoutes, raw, realVllmStack, runGuidePythonClients, sweepOpenRoutes } from "./helpers.ts";

describe("real vLLM server, hardened launch by pulumi up: launch, guard, routes and clients (the tiny model proves no ranking quality)", () => {
  let emu: RunningEmulator;
  let p: TestProject;
  let out: Record<string, string | number> = {};
  let upResult = "";
  let upError = "";
  beforeAll(async () => {
    ({ emu, p } = await realVllmStack("realvllm"));
    try {
      const up = await p.stack.up();
      upResult = up.summary.result;
      out = Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.value as string | number]));
    } catch (e) {
      upError = (e as Error).message; // asserted below, so a failed deploy reads as a failed test
    }
  }, REAL_BOOT_MS + 180_000);
  afterAll(() => destroyAndStop(p, emu), 300_000);

  it("launch: pulumi up starts vLLM 0.30.0 itself (not the stand-in) and its readiness probe passes", () => {
    expect(upError).toBe("");
    expect(upResult).toBe("succeeded");
    const report = JSON.parse(out.probeReport as string) as { ok: boolean; auth: { open: string[] }; rerank: { topIndex: number } };
    expect(report.ok).toBe(true);
    expect(report.auth.open).toEqual([]);
    expect([0, 2]).toContain(report.rerank.topIndex);
    const [inst] = liveInstances(emu);
    expect(inst.id).toBe(out.instanceId);
    // The process behind the endpoint is vLLM itself, not the stand-in.
    const log = emu.instanceLogs(inst.id);
    expect(log).toContain("Initializing a V1 LLM engine (v0.30.0)");
    expect(log).not.toContain("vllm_standin");
  });

  it("guard: every route of the real server's /openapi.json, with path and Host tricks, refuses requests without the right key", async () => {
    const key = out.apiKey as string;
    const doc = await raw(out.endpoint as string, "GET", "/openapi.json", { authorization: `Bearer ${key}` });
    expect(doc.status).toBe(200);
    const routes = openapiRoutes(JSON.parse(doc.body));
    const paths = new Set(routes.map((r) => r.path));
    for (const p of ["/rerank", "/v1/rerank", "/v2/rerank", "/score", "/v1/score", "/tokenize", "/pooling", "/classify", "/invocations", "/metrics", "/v1/models"]) expect(paths, p).toContain(p);
    // /openapi.json, /docs and /redoc are not in the OpenAPI document itself but are served.
    routes.push({ method: "GET", path: "/openapi.json" }, { method: "GET", path: "/docs" }, { method: "GET", path: "/redoc" }, { method: "GET", path: "/load" });
    const body = JSON.stringify({ model: MODEL, query: GUIDE_QUERY, documents: GUIDE_DOCUMENTS, text_1: GUIDE_QUERY, text_2: GUIDE_DOCUMENTS, input: "x", prompt: "x" });
    const { sent, open } = await sweepOpenRoutes(out.endpoint as string, routes, body);
    expect(sent).toBeGreaterThan(500); // 17+ routes × 2 keys (none, wrong) × (as is + 11 spellings + 4 Host headers)
    expect(open).toEqual([]);
    for (const path of PUBLIC_PATHS) expect((await raw(out.endpoint as string, "GET", path)).status, path).toBe(200);
    // With the key the same routes work.
    expect((await raw(out.endpoint as string, "POST", "/rerank", { authorization: `Bearer ${key}` }, body)).status).toBe(200);
  }, 300_000);

  it("clients: the guide's Python examples reach /score (requests) and /rerank (cohere.ClientV2) through the stack's outputs and get the tiny model's guide ranking back", () => {
    const r = runGuidePythonClients(out.cohereBaseUrl as string, out.apiKey as string);
    expect(r.score.status).toBe(200);
    expect(r.score.ranked.slice(0, 2).map(([d]) => GUIDE_DOCUMENTS.indexOf(d)).sort()).toEqual([0, 2]);
    expect(r.cohere.results.map((x) => x.index).slice(0, 2).sort()).toEqual([0, 2]);
    expect(r.cohere.results[0].text).toBe(GUIDE_DOCUMENTS[r.cohere.results[0].index]);
    for (const x of r.cohere.results) expect(x.relevance_score).toBeGreaterThan(0);
  }, 180_000);

  it("clients: the Cohere TypeScript client reaches /rerank through cohereBaseUrl; a wrong key is refused", async () => {
    const co = new CohereClientV2({ token: out.apiKey as string, environment: out.cohereBaseUrl as string });
    const res = await co.rerank({ model: MODEL, query: GUIDE_QUERY, documents: GUIDE_DOCUMENTS });
    expect(res.results.map((x) => x.index).slice(0, 2).sort()).toEqual([0, 2]);
    const stranger = new CohereClientV2({ token: "wrong", environment: out.cohereBaseUrl as string });
    await expect(stranger.rerank({ model: MODEL, query: GUIDE_QUERY, documents: GUIDE_DOCUMENTS })).rejects.toThrow(/401|nauthori/);
  }, 120_000);
});
