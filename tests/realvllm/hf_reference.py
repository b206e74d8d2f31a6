"""What Hugging Face transformers makes of the model the real-vLLM runtime serves: the reference vLLM's
XLM-RoBERTa path is compared with (tests/realvllm/xlmRobertaPath.test.ts).

Loads the model id from the hub cache at HF_HOME (offline), as vLLM does, and prints one JSON report:
  config      the fields of config.json vLLM's XLM-RoBERTa code reads
  tokens      input ids of each text (with <s> ... </s>), from the checkpoint's own tokenizer
  fitted      per {query, tokens}: a document whose (query, document) pair is exactly that many tokens
  pairs       per [query, document]: its token count, the score (sigmoid of the logit) with XLM-R's
              positions (padding_idx + 1 onward) and the scores with positions offset by 0 and 1
              (what a BERT path, or a pad id of 0, would compute): a check that tells them apart
              proves vLLM applies the offset

usage: HF_HOME=... python hf_reference.py MODEL_ID < request.json
  request.json: {"texts": [...], "fit": [{"query": "...", "tokens": 512}], "pairs": [["q", "d"], ...]}
  (fitted documents are scored too, after the given pairs, when the model's positions reach that far)
"""

import json
import os
import random
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch  # noqa: E402
from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer  # noqa: E402

WORDS = """deep learning machine neural networks layers weather today computers data pizza river mountain ocean
music guitar football coffee bread apple garden city train camera server cloud storage network database query
search ranking vector model language vision robot energy battery rocket planet galaxy history science physics
biology medicine school teacher library market price bank money trade court water snow storm""".split()


def fit(tok, query: str, tokens: int, rng: random.Random) -> str:
    """Words until the pair is `tokens` long; one-token "a"s close the gap exactly."""
    words: list[str] = []
    count = lambda: len(tok(query, " ".join(words))["input_ids"])  # noqa: E731
    while count() + 3 <= tokens:
        words.append(rng.choice(WORDS))
    while count() < tokens:
        words.append("a")
    if count() != tokens:
        raise SystemExit(f"cannot fit a pair of exactly {tokens} tokens")
    return " ".join(words)


def scores(model, tok, query: str, doc: str) -> dict:
    enc = tok(query, doc, return_tensors="pt")
    n = enc["input_ids"].shape[1]
    out = {"tokens": n}
    with torch.no_grad():
        out["score"] = torch.sigmoid(model(**enc).logits[0, 0]).item()
        for offset in (0, 1):  # the wrong ones for XLM-R, whose positions start at pad + 1 = 2
            pos = torch.arange(offset, offset + n).unsqueeze(0)
            out[f"score_offset_{offset}"] = torch.sigmoid(model(**enc, position_ids=pos).logits[0, 0]).item()
    return out


def main() -> None:
    model_id = sys.argv[1]
    req = json.load(sys.stdin)
    torch.set_num_threads(1)
    tok = AutoTokenizer.from_pretrained(model_id)
    cfg = AutoConfig.from_pretrained(model_id)
    model = AutoModelForSequenceClassification.from_pretrained(model_id).eval()
    rng = random.Random(7)
    fitted = [{"query": f["query"], "tokens": f["tokens"], "document": fit(tok, f["query"], f["tokens"], rng)} for f in req.get("fit", [])]
    longest = cfg.max_position_embeddings - cfg.pad_token_id - 1
    pairs = [*req.get("pairs", []), *[[f["query"], f["document"]] for f in fitted if f["tokens"] <= longest]]
    print(json.dumps({
        "config": {k: getattr(cfg, k, None) for k in ("architectures", "model_type", "max_position_embeddings", "pad_token_id", "bos_token_id", "eos_token_id", "type_vocab_size", "num_labels", "position_embedding_type", "layer_norm_eps")},
        "tokenizer": type(tok).__name__,
        "model": type(model).__name__,
        "tokens": [tok(t)["input_ids"] for t in req.get("texts", [])],
        "fitted": fitted,
        "pairs": [{"query": q, "document": d, **scores(model, tok, q, d)} for q, d in pairs],
    }))


if __name__ == "__main__":
    main()
