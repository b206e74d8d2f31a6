"""Make the tiny cross-encoder the emulator's real-vLLM runtime serves (no weights can be downloaded here).

It takes BAAI/bge-reranker-base's path through vLLM: an XLMRobertaForSequenceClassification whose
config.json carries the real checkpoint's fields (max_position_embeddings 514 = 512 + pad_token_id + 1,
pad_token_id 1, bos 0, eos 2, type_vocab_size 1, one label "LABEL_0", layer_norm_eps 1e-05, absolute
positions); only the sizes are tiny (hidden 128, 2 layers, 2 heads: head_dim 64, vLLM's CPU attention
needs >= 32; intermediate 512; the vocabulary of the tokenizer below). The tokenizer is a SentencePiece
unigram model trained here, saved as the real checkpoint has it: sentencepiece.bpe.model, the fast
tokenizer.json transformers converts from it (<s>=0, <pad>=1, </s>=2, <unk>=3, SentencePiece ids + 1,
<mask> last; pair template `<s> A </s></s> B </s>`), tokenizer_config.json and special_tokens_map.json.

The model trains for 300 steps (about 20 s of CPU) on synthetic pairs ("what is X Y?" against documents
that do or do not contain X and Y) plus the reference guide's example, so that it ranks that example the
way the readiness probe demands. That is all it can rank: it proves vLLM's code path, not ranking quality.
Seeded: the same files every run.

The result is written as a Hugging Face hub cache entry under the model id the launch names
(default BAAI/bge-reranker-base), so `vllm serve BAAI/bge-reranker-base` with HF_HUB_OFFLINE=1 and
HF_HOME=<out> loads it without any change to the launch.

usage: python make_tiny_reranker.py --hf-home DIR [--model-id BAAI/bge-reranker-base] [--steps 300]
"""

import argparse
import hashlib
import io
import json
import os
import random
import shutil
import string
import tempfile

import sentencepiece as spm
import torch
from tokenizers import AddedToken
from transformers import AutoModelForSequenceClassification, AutoTokenizer, XLMRobertaConfig, XLMRobertaForSequenceClassification, XLMRobertaTokenizer

SEED = 20261128
# Words of the guide's example, the probe's ping/pong, the load test's generator and a topic pool.
GUIDE_WORDS = """what is deep learning a subset of machine that uses neural networks with many layers the
weather nice today enables computers to learn from large amounts data i like pizza type ping pong""".split()
TOPICS = """alpha beta gamma delta river mountain ocean forest music guitar piano violin football tennis
soccer chess coffee tea bread cheese apple banana orange garden flower tree city train plane ship car
bicycle camera phone laptop server cloud storage network database query search ranking vector model
language vision speech robot sensor energy solar wind battery engine rocket planet star galaxy moon sun
history science physics chemistry biology medicine doctor hospital school student teacher book library
market price stock bank money trade law court police fire water ice snow rain storm""".split()
FILLER = """and or but for in on at by it this these those are was were be been has have had do does
can will would should may might very more most some any all each every other such only also just than
then so as about into over after before between under again further once here there when where why how
which who whom new old good bad big small high low long short first last next early late""".split()
CONTENT = [w for w in GUIDE_WORDS + TOPICS if w not in ("what", "is", "a", "of", "the", "i", "to")]

GUIDE_QUERY = "What is Deep Learning?"
GUIDE_DOCS = [  # the reference guide's example; 0 and 2 are relevant
    ("Deep learning is a subset of machine learning that uses neural networks with many layers", 1.0),
    ("The weather is nice today", 0.0),
    ("Deep learning enables computers to learn from large amounts of data", 1.0),
    ("I like pizza", 0.0),
]

# BAAI/bge-reranker-base's config.json, field for field; the sizes and vocab_size are set in build().
REAL_CONFIG = {
    "architectures": ["XLMRobertaForSequenceClassification"], "attention_probs_dropout_prob": 0.1, "bos_token_id": 0,
    "classifier_dropout": None, "eos_token_id": 2, "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": 768,
    "id2label": {"0": "LABEL_0"}, "initializer_range": 0.02, "intermediate_size": 3072, "label2id": {"LABEL_0": 0},
    "layer_norm_eps": 1e-05, "max_position_embeddings": 514, "model_type": "xlm-roberta", "num_attention_heads": 12,
    "num_hidden_layers": 12, "output_past": True, "pad_token_id": 1, "position_embedding_type": "absolute",
    "torch_dtype": "float32", "transformers_version": "4.33.3", "type_vocab_size": 1, "use_cache": True, "vocab_size": 250002,
}
TINY = {"hidden_size": 128, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 512}
# The real checkpoint's tokenizer files (written by transformers 4.x's XLMRobertaTokenizer).
MASK = {"content": "<mask>", "lstrip": True, "normalized": False, "rstrip": False, "single_word": False}
TOKENIZER_CONFIG = {
    "bos_token": "<s>", "clean_up_tokenization_spaces": True, "cls_token": "<s>", "eos_token": "</s>",
    "mask_token": {"__type": "AddedToken", **MASK, "normalized": True}, "model_max_length": 512, "pad_token": "<pad>",
    "sep_token": "</s>", "sp_model_kwargs": {}, "tokenizer_class": "XLMRobertaTokenizer", "unk_token": "<unk>",
}
SPECIAL_TOKENS_MAP = {
    "bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>", "mask_token": MASK, "pad_token": "<pad>",
    "sep_token": "</s>", "unk_token": "<unk>",
}
# Fairseq's ids in front of SentencePiece's (whose own are <unk>=0, <s>=1, </s>=2): XLM-R's layout.
FAIRSEQ_SPECIALS = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}


def cased(rng: random.Random, w: str) -> str:
    r = rng.random()
    return w.capitalize() if r < 0.2 else w.upper() if r < 0.23 else w


def sentence(rng: random.Random, must: list[str], pool: list[str], n: int) -> str:
    words = [rng.choice(pool) for _ in range(n)] + must
    rng.shuffle(words)
    words[0] = words[0].capitalize() if rng.random() < 0.5 else words[0]
    return " ".join(words) + rng.choice(["", "", ".", "!", "?", ";"])


def train_sentencepiece(rng: random.Random) -> bytes:
    """A unigram model (XLM-R's kind, nmt_nfkc normalisation) over the text the model will see."""
    words = GUIDE_WORDS + TOPICS + FILLER
    lines = [q for q, _ in GUIDE_DOCS] + [GUIDE_QUERY]
    lines += [" ".join(cased(rng, rng.choice(words)) for _ in range(rng.randint(3, 14))) + rng.choice(["", ".", "?", ","]) for _ in range(6000)]
    out = io.BytesIO()
    # From an iterator into memory: the model records no input path, so its bytes depend on the text only.
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_writer=out, model_type="unigram", vocab_size=1000, hard_vocab_limit=False,
        character_coverage=1.0, required_chars=string.ascii_letters + string.digits + string.punctuation,
        num_threads=1, shuffle_input_sentence=False, minloglevel=2,
    )
    return out.getvalue()


def save_tokenizer(out_dir: str, rng: random.Random) -> XLMRobertaTokenizer:
    sp_model = train_sentencepiece(rng)
    with open(os.path.join(out_dir, "sentencepiece.bpe.model"), "wb") as f:
        f.write(sp_model)
    # transformers converts the SentencePiece model to the fast tokenizer (XLM-R's specials and offsets).
    converted = XLMRobertaTokenizer.from_pretrained(out_dir, mask_token=AddedToken("<mask>", lstrip=True, normalized=False, special=True))
    converted.backend_tokenizer.save(os.path.join(out_dir, "tokenizer.json"))
    for name, content in (("tokenizer_config.json", TOKENIZER_CONFIG), ("special_tokens_map.json", SPECIAL_TOKENS_MAP)):
        with open(os.path.join(out_dir, name), "w") as f:
            json.dump(content, f, indent=2)
            f.write("\n")
    tok = AutoTokenizer.from_pretrained(out_dir)
    check_tokenizer(tok, spm.SentencePieceProcessor(model_proto=sp_model))
    return tok


def check_tokenizer(tok, sp: "spm.SentencePieceProcessor") -> None:
    """What the saved files load as is XLM-R's tokenizer: specials, offsets, pair template."""
    assert type(tok).__name__ == "XLMRobertaTokenizer", type(tok)
    ids = {t: tok.convert_tokens_to_ids(t) for t in ("<s>", "<pad>", "</s>", "<unk>", "<mask>")}
    assert ids == {**FAIRSEQ_SPECIALS, "<mask>": sp.get_piece_size() + 1} == {**ids, "<mask>": len(tok) - 1}, ids
    for text in [GUIDE_QUERY] + [d for d, _ in GUIDE_DOCS]:
        want = [i + 1 if i > 2 else 3 for i in sp.encode(text)]  # fairseq offset; SentencePiece's <unk> is 0
        assert tok(text, add_special_tokens=False)["input_ids"] == want, text
        assert 3 not in want, f"unknown pieces in {text!r}"
    a, b = tok(GUIDE_QUERY, add_special_tokens=False)["input_ids"], tok("pizza", add_special_tokens=False)["input_ids"]
    assert tok(GUIDE_QUERY, "pizza")["input_ids"] == [0, *a, 2, 2, *b, 2], "pair template"


def batch(rng: random.Random, size: int) -> tuple[list[str], list[str], list[float]]:
    queries, docs, labels = [], [], []
    for _ in range(size):
        if rng.random() < 0.15:  # the guide's own pairs anchor what the readiness probe asks
            d, label = rng.choice(GUIDE_DOCS)
            queries.append(GUIDE_QUERY)
            docs.append(d)
            labels.append(label)
            continue
        x, y = rng.sample(CONTENT, 2)
        if rng.random() < 0.5:
            x, y = x.capitalize(), y.capitalize()
        q = (f"what is {x} {y}?" if rng.random() < 0.5 else f"What is {x} {y}?") if rng.random() < 0.8 else f"{x} {y}"
        others = [w for w in CONTENT + FILLER if w.lower() not in (x.lower(), y.lower())]
        if rng.random() < 0.5:  # relevant: both query words appear in the document
            d, label = sentence(rng, [x.lower(), y.lower()], others, rng.randint(2, 12)), 1.0
        else:
            d, label = sentence(rng, [], others, rng.randint(2, 12)), 0.0
        queries.append(q)
        docs.append(d)
        labels.append(label)
    return queries, docs, labels


def build(out_dir: str, steps: int) -> None:
    random.seed(SEED)
    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    tok = save_tokenizer(out_dir, rng)
    fields = {**REAL_CONFIG, **TINY, "vocab_size": len(tok)}
    cfg = XLMRobertaConfig(**{k: v for k, v in fields.items() if k not in ("torch_dtype", "transformers_version", "id2label", "label2id")}, num_labels=1)
    model = XLMRobertaForSequenceClassification(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=5e-4)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    model.train()
    for step in range(steps):
        q, d, y = batch(rng, 32)
        enc = tok(q, d, padding=True, truncation=True, return_tensors="pt")
        loss = loss_fn(model(**enc).logits.squeeze(-1), torch.tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 50 == 0:
            print(f"step {step} loss {loss.item():.4f}", flush=True)
    model.eval()
    model.save_pretrained(out_dir, safe_serialization=True)
    # config.json as the real checkpoint has it (transformers 5 would write its own field set).
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(fields, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"final loss {loss.item():.4f}")


def guide_scores(model_dir: str) -> list[float]:
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    assert type(model).__name__ == "XLMRobertaForSequenceClassification" and model.config.pad_token_id == 1
    docs = [d for d, _ in GUIDE_DOCS]
    with torch.no_grad():
        enc = tok([GUIDE_QUERY] * len(docs), docs, padding=True, return_tensors="pt")
        return torch.sigmoid(model(**enc).logits.squeeze(-1)).tolist()


def install_in_hub_cache(model_dir: str, hf_home: str, model_id: str) -> str:
    """Lay the files out as huggingface_hub's cache does: refs/main -> snapshots/<commit>/."""
    digest = hashlib.sha1()
    for name in sorted(os.listdir(model_dir)):
        with open(os.path.join(model_dir, name), "rb") as f:
            digest.update(name.encode() + b"\0" + f.read())
    commit = digest.hexdigest()
    repo = os.path.join(hf_home, "hub", "models--" + model_id.replace("/", "--"))
    shutil.rmtree(repo, ignore_errors=True)
    snap = os.path.join(repo, "snapshots", commit)
    shutil.copytree(model_dir, snap)
    os.makedirs(os.path.join(repo, "refs"), exist_ok=True)
    with open(os.path.join(repo, "refs", "main"), "w") as f:
        f.write(commit)
    return snap


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hf-home", required=True)
    ap.add_argument("--model-id", default="BAAI/bge-reranker-base")
    ap.add_argument("--steps", type=int, default=300)
    args = ap.parse_args()
    # One thread: the same numbers on every machine, and on a loaded 2-core host two threads spin
    # against each other and train many times slower.
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        build(tmp, args.steps)
        scores = guide_scores(tmp)
        print("guide scores", json.dumps([round(s, 4) for s in scores]))
        # The probe demands both relevant documents (0, 2) above both others (1, 3).
        if min(scores[0], scores[2]) <= max(scores[1], scores[3]):
            raise SystemExit(f"tiny reranker does not rank the guide's example: {scores}")
        snap = install_in_hub_cache(tmp, args.hf_home, args.model_id)
    print(snap)


if __name__ == "__main__":
    main()
