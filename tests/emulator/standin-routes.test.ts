// The vLLM stand-in's routes, shapes and error bodies (docs/vllm-api.md §1-4, §8).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GUIDE_DOCS, GUIDE_QUERY, post, standin, type Standin } from "./standin-helpers.ts";

const KEY = "sk-test";
let s: Standin;
beforeAll(async () => {
  s = await standin(["--model", "BAAI/bge-reranker-base", "--served-model-name", "reranker", "--api-key", KEY]);
});
afterAll(() => s.stop());

describe("plain routes", () => {
  it("/health, /ping, /version, /load, /metrics", async () => {
    const h = await fetch(`${s.base}/health`);
    expect(h.status).toBe(200);
    expect(await h.text()).toBe("");
    expect((await fetch(`${s.base}/ping`)).status).toBe(200);
    expect((await fetch(`${s.base}/ping`, { method: "POST" })).status).toBe(200);
    expect(await (await fetch(`${s.base}/version`)).json()).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(await (await fetch(`${s.base}/load`)).json()).toEqual({ server_load: 0 });
    const m = await fetch(`${s.base}/metrics`);
    expect(m.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await m.text()).toContain("vllm:");
    expect((await fetch(`${s.base}/metrics/`)).status).toBe(200);
  });

  it("/v1/models needs the key and reports max_model_len 512 and the served name", async () => {
    expect((await fetch(`${s.base}/v1/models`)).status).toBe(401);
    const r = await fetch(`${s.base}/v1/models`, { headers: { Authorization: `Bearer ${KEY}` } });
    const body = (await r.json()) as { object: string; data: unknown[] };
    expect(body.object).toBe("list");
    expect(body.data[0]).toMatchObject({ id: "reranker", object: "model", owned_by: "vllm", root: "BAAI/bge-reranker-base", parent: null, max_model_len: 512 });
  });

  it("FastAPI-style 404 and 405", async () => {
    const nf = await fetch(`${s.base}/v1/chat/completions`, { method: "POST", headers: { Authorization: `Bearer ${KEY}` } });
    expect(nf.status).toBe(404);
    expect(await nf.json()).toEqual({ detail: "Not Found" });
    const na = await fetch(`${s.base}/rerank`);
    expect(na.status).toBe(405);
    expect(await na.json()).toEqual({ detail: "Method Not Allowed" });
  });

  it("/tokenize, /detokenize, /pooling, /classify", async () => {
    const t = await post(s.base, "/tokenize", { prompt: "Hello deep learning world" });
    expect(t.json).toMatchObject({ count: t.json.tokens.length, max_model_len: 512, token_strs: null });
    expect(t.json.tokens[0]).toBe(0);
    const d = await post(s.base, "/detokenize", { tokens: t.json.tokens });
    expect(d.json.prompt).toContain("Hello");
    const p = await post(s.base, "/pooling", { input: ["a", "b"] });
    expect(p.json).toMatchObject({ object: "list", model: "reranker", data: [{ index: 0, object: "pooling" }, { index: 1 }] });
    const c = await post(s.base, "/classify", { input: "x" });
    expect(c.json.data[0]).toMatchObject({ index: 0, num_classes: 1, probs: [expect.any(Number)] });
  });
});

describe("rerank", () => {
  it("ranks the guide's example: both deep-learning sentences near 1, weather and pizza near 0", async () => {
    const r = await post(s.base, "/rerank", { model: "reranker", query: GUIDE_QUERY, documents: GUIDE_DOCS }, undefined, { "X-Request-Id": "abc123" });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(Object.keys(r.json).sort()).toEqual(["id", "model", "results", "usage"]);
    expect(r.json.id).toBe("score-abc123");
    expect(r.json.model).toBe("reranker");
    expect(r.json.usage.prompt_tokens).toBe(r.json.usage.total_tokens);
    const res = r.json.results as Array<{ index: number; relevance_score: number; document: { text: string; multi_modal: null } }>;
    expect(res.map((x) => x.index).slice(0, 2).sort()).toEqual([0, 2]);
    expect(res.map((x) => x.index).slice(2).sort()).toEqual([1, 3]);
    for (const x of res.slice(0, 2)) expect(x.relevance_score).toBeGreaterThan(0.99);
    for (const x of res.slice(2)) expect(x.relevance_score).toBeLessThan(0.001);
    const scores = res.map((x) => x.relevance_score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    for (const x of res) expect(x.document).toEqual({ text: GUIDE_DOCS[x.index], multi_modal: null });
  });

  it("top_n cuts; <= 0 or too large returns all; unknown fields are ignored; no model is fine", async () => {
    const two = await post(s.base, "/rerank", { query: GUIDE_QUERY, documents: GUIDE_DOCS, top_n: 2, return_documents: false });
    expect(two.json.results).toHaveLength(2);
    expect((await post(s.base, "/rerank", { query: GUIDE_QUERY, documents: GUIDE_DOCS, top_n: 0 })).json.results).toHaveLength(4);
    expect((await post(s.base, "/rerank", { query: GUIDE_QUERY, documents: GUIDE_DOCS, top_n: 99 })).json.results).toHaveLength(4);
    const one = await post(s.base, "/rerank", { query: GUIDE_QUERY, documents: "Deep learning rocks" });
    expect(one.json.results).toHaveLength(1);
  });

  it("errors: validation, empty documents, wrong model, too long, truncation, JSON, content type", async () => {
    const miss = await post(s.base, "/rerank", { documents: ["a"] });
    expect(miss.status).toBe(400);
    expect(miss.json.error).toMatchObject({ type: "Bad Request", param: "body.query", code: 400 });
    expect(miss.json.error.message).toMatch(/^1 validation error:\n {2}\{'type': 'missing', 'loc': \('body', 'query'\)/);
    const types = await post(s.base, "/rerank", { query: 123, documents: ["a"] });
    expect(types.json.error.message).toMatch(/^2 validation errors:/);
    const empty = await post(s.base, "/rerank", { query: "q", documents: [] });
    expect(empty.json).toEqual({ error: { message: "At least one text_pair element must be given", type: "BadRequestError", param: null, code: 400 } });
    const model = await post(s.base, "/rerank", { model: "no-such-model", query: "q", documents: ["a"] });
    expect(model.status).toBe(404);
    expect(model.json).toEqual({ error: { message: "The model `no-such-model` does not exist.", type: "NotFoundError", param: null, code: 404 } });
    const long = "word ".repeat(600);
    const tooLong = await post(s.base, "/rerank", { query: "q", documents: ["short", long] });
    expect(tooLong.status).toBe(400);
    expect(tooLong.json.error).toMatchObject({ type: "BadRequestError", param: "input_tokens" });
    expect(tooLong.json.error.message).toMatch(/^This model's maximum context length is 512 tokens\./);
    const cut = await post(s.base, "/rerank", { query: "q", documents: [long], truncate_prompt_tokens: -1 });
    expect(cut.status).toBe(200);
    expect(cut.json.usage.prompt_tokens).toBe(512);
    const over = await post(s.base, "/rerank", { query: "q", documents: ["a"], truncate_prompt_tokens: 1000 });
    expect(over.json.error.message).toBe("truncate_prompt_tokens value is greater than max_model_len. Please, select a smaller truncation size.");
    const broken = await post(s.base, "/rerank", '{"query": "q", "documents": [');
    expect(broken.status).toBe(400);
    expect(broken.json.error.message).toContain("JSON decode error");
    const ctype = await post(s.base, "/rerank", "{}", undefined, { "Content-Type": "text/plain" });
    expect(ctype.status).toBe(400);
  });
});

describe("score", () => {
  it("text_1/text_2 1:N in input order, with the OpenAI-style list shape", async () => {
    const r = await post(s.base, "/score", { model: "reranker", text_1: GUIDE_QUERY, text_2: GUIDE_DOCS });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ object: "list", model: "reranker", id: expect.stringMatching(/^score-/), created: expect.any(Number) });
    expect(r.json.usage).toMatchObject({ completion_tokens: 0, prompt_tokens_details: null });
    const data = r.json.data as Array<{ index: number; object: string; score: number }>;
    expect(data.map((d) => d.index)).toEqual([0, 1, 2, 3]);
    expect(data.every((d) => d.object === "score")).toBe(true);
    expect(data[0].score).toBeGreaterThan(0.99);
    expect(data[2].score).toBeGreaterThan(0.99);
    expect(data[1].score).toBeLessThan(0.001);
    expect(data[3].score).toBeLessThan(0.001);
  });

  it("/v1/score: queries/documents, 1:1 and N:N pairing, and the pairing errors", async () => {
    const qd = await post(s.base, "/v1/score", { queries: "pizza", documents: ["I like pizza", "The weather is nice today"] }, KEY);
    expect(qd.json.data[0].score).toBeGreaterThan(qd.json.data[1].score);
    const one = await post(s.base, "/v1/score", { text_1: "a b", text_2: "a b" }, KEY);
    expect(one.json.data).toHaveLength(1);
    const nn = await post(s.base, "/v1/score", { text_1: ["pizza", "weather"], text_2: ["The weather is nice", "I like pizza"] }, KEY);
    expect(nn.json.data[0].score).toBeLessThan(0.01);
    expect(nn.json.data[1].score).toBeLessThan(0.01);
    const bad = await post(s.base, "/v1/score", { text_1: ["a", "b"], text_2: ["a", "b", "c"] }, KEY);
    expect(bad.json.error).toMatchObject({ message: "Input lengths must be either 1:1, 1:N or N:N", type: "BadRequestError", code: 400 });
    expect((await post(s.base, "/score", { text_1: [], text_2: ["a"] })).json.error.message).toBe("At least one text element must be given");
    expect((await post(s.base, "/score", { text_1: "a", text_2: [] })).json.error.message).toBe("At least one text_pair element must be given");
  });

  it("/invocations dispatches rerank and score bodies", async () => {
    const rr = await post(s.base, "/invocations", { query: GUIDE_QUERY, documents: GUIDE_DOCS });
    expect(rr.json.results).toHaveLength(4);
    const sc = await post(s.base, "/invocations", { text_1: GUIDE_QUERY, text_2: GUIDE_DOCS });
    expect(sc.json.data).toHaveLength(4);
    expect((await post(s.base, "/invocations", { foo: 1 })).status).toBe(400);
  });
});
