// The tiny model takes BAAI/bge-reranker-base's path through the real vLLM server: vLLM resolves the
// XLM-RoBERTa sequence classifier, tokenizes with the checkpoint's SentencePiece tokenizer exactly as
// transformers does, applies RoBERTa's position offset (padding id 1 + 1) up to the 512-token limit, and
// scores as transformers' own XLMRobertaForSequenceClassification does. This proves vLLM's code path for
// the real model's kind, not ranking quality: the tiny model ranks little beyond the guide's example.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REAL_VLLM_HF_HOME, REAL_VLLM_VENV, REPO_ROOT } from "../../emulator/runtime.ts";
import { startEmulator } from "../../emulator/index.ts";
import type { RunningEmulator } from "../../emulator/types.ts";
import { buildVllmLaunch } from "../../components/vllm/launch.ts";
import { GUIDE_DOCUMENTS, GUIDE_QUERY } from "../../components/readiness/verdicts.ts";
import { healthy, hostPort, rent, until } from "../emulator/helpers.ts";
import { FAST_BOOT } from "../helpers/stack.ts";
import { projectDefaults } from "../helpers/projectConfig.ts";
import { MODEL, REAL_BOOT_MS, raw } from "./helpers.ts";

const KEY = "b".repeat(64);
/** vLLM (--dtype half, on CPU) against transformers (fp32): scores (sigmoids) agree to this much. */
const SCORE_TOLERANCE = 0.005;
const TEXTS = [GUIDE_QUERY, ...GUIDE_DOCUMENTS, "ping", "Ünïcödé ½ naïve café, 東京! 🎉", "  spaces   and\ttabs\nnewline ", "UPPER lower MiXeD 12345 #$%"];
const PAIRS: Array<[string, string]> = [
  ...GUIDE_DOCUMENTS.map((d): [string, string] => [GUIDE_QUERY, d]),
  ["what is river music?", "the river had music and a piano"],
  ["what is coffee bread?", "trains and planes at the station"],
  ["ping", "pong"],
];

interface PairReference { query: string; document: string; tokens: number; score: number; score_offset_0: number; score_offset_1: number }
interface Reference {
  config: Record<string, unknown>;
  tokenizer: string;
  model: string;
  tokens: number[][];
  fitted: Array<{ query: string; tokens: number; document: string }>;
  pairs: PairReference[];
}

/** transformers' answers for the same model files (tests/realvllm/hf_reference.py, in vLLM's own venv). */
function hfReference(): Promise<Reference> {
  // Asynchronous: the emulator serves from this process's event loop meanwhile.
  return new Promise((resolve, reject) => {
    const child = execFile(join(REAL_VLLM_VENV, "bin", "python"), [join(REPO_ROOT, "tests", "realvllm", "hf_reference.py"), MODEL], {
      env: { ...process.env, HF_HOME: REAL_VLLM_HF_HOME, HF_HUB_OFFLINE: "1" },
      encoding: "utf8",
      timeout: 300_000,
      maxBuffer: 16 << 20,
    }, (err, stdout, stderr) => (err ? reject(new Error(`hf_reference.py: ${err.message}\n${stderr.slice(-2000)}`)) : resolve(JSON.parse(stdout) as Reference)));
    child.stdin?.end(JSON.stringify({ texts: TEXTS, pairs: PAIRS, fit: [{ query: GUIDE_QUERY, tokens: 512 }, { query: GUIDE_QUERY, tokens: 513 }] }));
  });
}

describe("the tiny model takes bge-reranker-base's XLM-RoBERTa path through real vLLM (a code-path check; the tiny model cannot prove ranking quality)", () => {
  let emu: RunningEmulator;
  let base = "";
  let id = 0;
  let ref: Reference;
  const auth = { authorization: `Bearer ${KEY}` };
  const post = async (path: string, body: unknown) => {
    const r = await raw(base, "POST", path, auth, JSON.stringify(body));
    return { status: r.status, body: JSON.parse(r.body) as Record<string, unknown> };
  };
  const score = async (query: string, docs: string[]) => {
    const r = await post("/score", { model: MODEL, text_1: query, text_2: docs });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return (r.body.data as Array<{ index: number; score: number }>).sort((a, b) => a.index - b.index).map((x) => x.score);
  };

  beforeAll(async () => {
    emu = await startEmulator({ ...FAST_BOOT, runtime: "vllm" });
    // The stack's own default launch (image, model, --max-model-len 512, --dtype half, hardened).
    const d = projectDefaults();
    const l = buildVllmLaunch({ image: d.image, model: d.model, maxModelLen: Number(d.maxModelLen), dtype: d.dtype, hardened: true }, KEY);
    id = await rent(emu, { image: d.image, args: l.args, onstart: l.onstart, env: { "-p 8000:8000": "1", ...l.env }, runtype: l.runtype });
    const reference = hfReference(); // while vLLM loads
    reference.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
    const inst = await until(emu, id, (i) => i?.actual_status === "running" && !!i.ports?.["8000/tcp"], 60_000);
    base = `http://127.0.0.1:${hostPort(inst)}`;
    await healthy(base, REAL_BOOT_MS);
    ref = await reference;
  }, REAL_BOOT_MS + 360_000);
  afterAll(() => emu?.stop(), 120_000);

  it("the model files are bge-reranker-base's kind: XLM-RoBERTa config fields, SentencePiece tokenizer", () => {
    expect(ref.config).toEqual({
      architectures: ["XLMRobertaForSequenceClassification"], model_type: "xlm-roberta", max_position_embeddings: 514, pad_token_id: 1,
      bos_token_id: 0, eos_token_id: 2, type_vocab_size: 1, num_labels: 1, position_embedding_type: "absolute", layer_norm_eps: 1e-5,
    });
    expect([ref.tokenizer, ref.model]).toEqual(["XLMRobertaTokenizer", "XLMRobertaForSequenceClassification"]);
    expect(ref.tokens[0][0]).toBe(0); // <s>
    expect(ref.tokens[0].at(-1)).toBe(2); // </s>
  });

  it("vLLM resolves the XLM-RoBERTa sequence classifier (its start-up log)", () => {
    expect(emu.instanceLogs(id)).toContain("Resolved architecture: XLMRobertaForSequenceClassification");
  });

  it("/tokenize gives the checkpoint tokenizer's ids for every text (specials, SentencePiece offsets, unknown characters)", async () => {
    for (const [i, text] of TEXTS.entries()) {
      const r = await post("/tokenize", { model: MODEL, prompt: text });
      expect(r.status, text).toBe(200);
      expect(r.body.tokens, text).toEqual(ref.tokens[i]);
      expect(r.body.max_model_len).toBe(512);
    }
    expect(ref.tokens.flat()).toContain(3); // <unk> is exercised
  }, 120_000);

  it("scores match transformers' XLMRobertaForSequenceClassification, and not what positions without the padding-id offset give", async () => {
    const short = ref.pairs.filter((p) => p.tokens < 512);
    const got = [];
    for (const p of short) got.push((await score(p.query, [p.document]))[0]);
    const far = (k: "score" | "score_offset_0" | "score_offset_1", a: number[]) => Math.max(...short.map((p, i) => Math.abs(p[k] - a[i])));
    expect(far("score", got)).toBeLessThan(SCORE_TOLERANCE);
    // The check can tell the offsets apart: a BERT-style path (offset 0) or a pad id of 0 (offset 1) lands far off.
    for (const wrong of ["score_offset_0", "score_offset_1"] as const) expect(far(wrong, short.map((p) => p.score)), wrong).toBeGreaterThan(3 * SCORE_TOLERANCE);
  }, 180_000);

  it("a pair of exactly 512 tokens (positions up to 513, the last of 514) scores like transformers; 513 tokens is refused with a 400", async () => {
    const [at, over] = ref.fitted;
    expect([at.tokens, over.tokens]).toEqual([512, 513]);
    const atRef = ref.pairs.find((p) => p.document === at.document);
    expect(atRef?.tokens).toBe(512);
    const [s] = await score(at.query, [at.document]);
    expect(Math.abs(s - (atRef?.score ?? NaN))).toBeLessThan(SCORE_TOLERANCE);
    const r = await post("/score", { model: MODEL, text_1: over.query, text_2: [over.document] });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toMatch(/513/);
  }, 180_000);

  it("the guide's example: /rerank puts the two deep-learning documents first (what the tiny model was trained on)", async () => {
    const r = await post("/rerank", { model: MODEL, query: GUIDE_QUERY, documents: GUIDE_DOCUMENTS });
    expect(r.status).toBe(200);
    const results = r.body.results as Array<{ index: number; relevance_score: number }>;
    expect(results.slice(0, 2).map((x) => x.index).sort()).toEqual([0, 2]);
    const want = ref.pairs.slice(0, GUIDE_DOCUMENTS.length).map((p) => p.score);
    for (const x of results) expect(Math.abs(x.relevance_score - want[x.index])).toBeLessThan(SCORE_TOLERANCE);
  }, 120_000);
});
