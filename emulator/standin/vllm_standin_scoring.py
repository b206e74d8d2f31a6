"""Lexical relevance model of the vLLM stand-in. NOT a neural cross-encoder.

score(query, doc) = sigmoid(logit), where the logit grows with how much of the query's
content words (lightly stemmed, stopwords dropped) the document covers, plus a bonus for
query bigrams found in order. Fully covered queries land near 1 (~0.9997), unrelated
documents near 0 (~1.7e-5), like bge-reranker-base's sigmoid outputs. Deterministic.

Token counts approximate XLM-RoBERTa's: one token per punctuation mark, one per 6 letters
of a word, plus the 4 special tokens of a pair (<s> A </s></s> B </s>).
"""

import math
import re
import zlib

WORD_RE = re.compile(r"\w+|[^\w\s]", re.UNICODE)
STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does for from had has have how
    i if in into is it its it's me my no not of on or our so than that the their them then
    there these they this those to was we were what when where which who whom why will with
    would you your about also just more most some such very""".split()
)

BASE_LOGIT = -11.0  # no overlap at all: sigmoid(-11) ~ 1.7e-5
COVERAGE_WEIGHT = 16.0  # full coverage of the query's content words
BIGRAM_WEIGHT = 3.0  # query word pairs found in the same order
DENSITY_WEIGHT = 1.0  # share of the document that is about the query (tie-breaker)
FUNCTION_WEIGHT = 0.5  # query stopwords echoed by the document ("What IS deep learning" / "... IS a")
PAIR_SPECIAL_TOKENS = 4
SINGLE_SPECIAL_TOKENS = 2


def pieces(text: str) -> list[str]:
    return WORD_RE.findall(text)


def count_tokens(text: str) -> int:
    """Approximate sub-word token count, without special tokens."""
    n = 0
    for p in pieces(text):
        n += 1 if not p[0].isalnum() else 1 + (len(p) - 1) // 6
    return n


def pair_tokens(query: str, doc: str) -> int:
    return count_tokens(query) + count_tokens(doc) + PAIR_SPECIAL_TOKENS


def stem(word: str) -> str:
    w = word.lower()
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 4 and w.endswith("sses"):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]
    for suffix in ("ingly", "edly", "ing", "ed", "ly"):
        if w.endswith(suffix) and len(w) >= 4 and len(w) - len(suffix) >= 2:
            w = w[: -len(suffix)]
            if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouls":
                w = w[:-1]  # running -> runn -> run
            break
    if len(w) >= 3 and w.endswith("e"):
        w = w[:-1]  # use/using/used all become "us"
    return w


def content_terms(text: str) -> list[str]:
    words = [p.lower() for p in pieces(text) if p[0].isalnum()]
    terms = [stem(w) for w in words if w not in STOPWORDS]
    if not terms:  # a query of stopwords only still deserves matching
        terms = [stem(w) for w in words]
    return terms


def logit(query: str, doc: str) -> float:
    q = content_terms(query)
    d = content_terms(doc)
    if not q or not d:
        return BASE_LOGIT
    dset = set(d)
    qset = list(dict.fromkeys(q))
    # Longer words carry more meaning than short ones: weight by length.
    weights = {t: 1.0 + min(len(t), 8) / 4.0 for t in qset}
    coverage = sum(w for t, w in weights.items() if t in dset) / sum(weights.values())
    dbigrams = set(zip(d, d[1:]))
    qbigrams = list(dict.fromkeys(zip(q, q[1:])))
    bigram = sum(1 for b in qbigrams if b in dbigrams) / len(qbigrams) if qbigrams else coverage
    density = sum(1 for t in d if t in weights) / len(d)
    qstop = {w.lower() for w in pieces(query) if w.lower() in STOPWORDS}
    dwords = {w.lower() for w in pieces(doc)}
    function = len(qstop & dwords) / len(qstop) if qstop else 0.0
    return (
        BASE_LOGIT
        + COVERAGE_WEIGHT * coverage
        + BIGRAM_WEIGHT * bigram
        + DENSITY_WEIGHT * density
        + FUNCTION_WEIGHT * function
    )


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def score(query: str, doc: str, use_activation: bool = True) -> float:
    x = logit(query, doc)
    return sigmoid(x) if use_activation else x


def truncate_doc(query: str, doc: str, cap: int) -> str:
    """Right-truncate the document so the pair fits `cap` tokens (vLLM's default side)."""
    budget = cap - count_tokens(query) - PAIR_SPECIAL_TOKENS
    out: list[str] = []
    used = 0
    for p in pieces(doc):
        cost = 1 if not p[0].isalnum() else 1 + (len(p) - 1) // 6
        if used + cost > budget:
            break
        out.append(p)
        used += cost
    return " ".join(out)


def token_id(piece: str) -> int:
    """A stable fake vocabulary id (XLM-R has 250002 entries; 0-3 are special)."""
    return 4 + zlib.crc32(piece.encode("utf-8")) % 249998
