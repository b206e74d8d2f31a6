"""Make the tiny cross-encoder the emulator's real-vLLM runtime serves (no weights can be downloaded here).

A BERT sequence classifier (1 label, hidden 128, 2 layers, 2 heads: head_dim 64, vLLM's CPU attention
needs >= 32) with a hand-written lower-case WordPiece vocabulary, trained for a few seconds on synthetic
pairs ("what is X Y?" against documents that do or do not contain X and Y) so that it ranks the reference
guide's example the way the readiness probe demands. Seeded: the same files every run.

The result is written as a Hugging Face hub cache entry under the model id the launch names
(default BAAI/bge-reranker-base), so `vllm serve BAAI/bge-reranker-base` with HF_HUB_OFFLINE=1 and
HF_HOME=<out> loads it without any change to the launch.

usage: python make_tiny_reranker.py --hf-home DIR [--model-id BAAI/bge-reranker-base] [--steps 300]
"""

import argparse
import hashlib
import json
import os
import random
import shutil
import tempfile

import torch
from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

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
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PUNCT = list("?.,!;:'\"()-")


def vocabulary() -> list[str]:
    seen, words = set(SPECIAL), list(SPECIAL)
    for w in PUNCT + GUIDE_WORDS + TOPICS + FILLER:
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


def sentence(rng: random.Random, must: list[str], pool: list[str], n: int) -> str:
    words = [rng.choice(pool) for _ in range(n)] + must
    rng.shuffle(words)
    return " ".join(words)


GUIDE_QUERY = "What is Deep Learning?"
GUIDE_DOCS = [  # the reference guide's example; 0 and 2 are relevant
    ("Deep learning is a subset of machine learning that uses neural networks with many layers", 1.0),
    ("The weather is nice today", 0.0),
    ("Deep learning enables computers to learn from large amounts of data", 1.0),
    ("I like pizza", 0.0),
]


def batch(rng: random.Random, size: int) -> tuple[list[str], list[str], list[float]]:
    content = [w for w in GUIDE_WORDS + TOPICS if w not in ("what", "is", "a", "of", "the", "i", "to")]
    queries, docs, labels = [], [], []
    for _ in range(size):
        if rng.random() < 0.15:  # the guide's own pairs anchor what the readiness probe asks
            d, label = rng.choice(GUIDE_DOCS)
            queries.append(GUIDE_QUERY)
            docs.append(d)
            labels.append(label)
            continue
        x, y = rng.sample(content, 2)
        q = f"what is {x} {y}?" if rng.random() < 0.8 else f"{x} {y}"
        others = [w for w in content + FILLER if w not in (x, y)]
        kind = rng.random()
        if kind < 0.5:  # relevant: both query words appear in the document
            d, label = sentence(rng, [x, y], others, rng.randint(2, 12)), 1.0
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
    # transformers 5: the tokenizer takes the vocabulary itself (a vocab_file keyword is ignored).
    tok = BertTokenizerFast(vocab={w: i for i, w in enumerate(vocabulary())}, do_lower_case=True, model_max_length=512)
    assert "[UNK]" not in tok.tokenize("What is Deep Learning?"), "vocabulary not applied"
    cfg = BertConfig(
        vocab_size=len(tok.get_vocab()), hidden_size=128, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=512, max_position_embeddings=512, num_labels=1,
        architectures=["BertForSequenceClassification"],
    )
    model = BertForSequenceClassification(cfg)
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
    tok.save_pretrained(out_dir)
    print(f"final loss {loss.item():.4f}")


def guide_scores(model_dir: str) -> list[float]:
    from_dir_tok = BertTokenizerFast.from_pretrained(model_dir)
    model = BertForSequenceClassification.from_pretrained(model_dir).eval()
    query, docs = GUIDE_QUERY, [d for d, _ in GUIDE_DOCS]
    with torch.no_grad():
        enc = from_dir_tok([query] * len(docs), docs, padding=True, return_tensors="pt")
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
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
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
