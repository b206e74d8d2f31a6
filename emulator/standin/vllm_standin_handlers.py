"""Route handlers of the vLLM stand-in (see vllm_standin_app.py for the app itself)."""

import logging
import time
import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import vllm_standin_scoring as sc
import vllm_standin_validate as v

log = logging.getLogger("vllm.entrypoints.serve")


class State:
    """Server-wide settings and counters (one per process)."""

    def __init__(self, model: str, served: list[str], max_model_len: int, version: str) -> None:
        self.model = model
        self.served = served or [model]
        self.max_model_len = max_model_len
        self.version = version
        self.created = int(time.time())
        self.in_flight = 0
        self.requests: dict[tuple[str, str], int] = {}
        self.prompt_tokens = 0
        self.vocab: dict[int, str] = {0: "<s>", 1: "<pad>", 2: "</s>", 3: "<unk>"}
        self.warned: set[str] = set()

    def metrics_text(self) -> str:
        name = self.served[0]
        lines = [
            "# HELP vllm:num_requests_running Number of requests in model execution batches.",
            "# TYPE vllm:num_requests_running gauge",
            f'vllm:num_requests_running{{engine="0",model_name="{name}"}} {float(self.in_flight)}',
            "# HELP vllm:prompt_tokens_total Number of prefill tokens processed.",
            "# TYPE vllm:prompt_tokens_total counter",
            f'vllm:prompt_tokens_total{{engine="0",model_name="{name}"}} {float(self.prompt_tokens)}',
            "# HELP http_requests_total Total number of requests by method, status and handler.",
            "# TYPE http_requests_total counter",
        ]
        for (handler, status), n in sorted(self.requests.items()):
            lines.append(f'http_requests_total{{handler="{handler}",method="POST",status="{status}"}} {float(n)}')
        return "\n".join(lines) + "\n"


def st(request: Request) -> State:
    return request.app.state.standin


def warn_once(state: State, key: str, msg: str) -> None:
    if key not in state.warned:
        state.warned.add(key)
        log.warning(msg)


def request_id(request: Request, prefix: str) -> str:
    base = request.headers.get("X-Request-Id") or uuid.uuid4().hex[:16]
    return f"{prefix}-{base}"


async def health(_request: Request) -> Response:
    return Response(status_code=200)


async def version(request: Request) -> Response:
    return JSONResponse({"version": st(request).version})


async def load(request: Request) -> Response:
    return JSONResponse({"server_load": st(request).in_flight})


async def models(request: Request) -> Response:
    s = st(request)
    cards = [
        {
            "id": name,
            "object": "model",
            "created": s.created,
            "owned_by": "vllm",
            "root": s.model,
            "parent": None,
            "max_model_len": s.max_model_len,
            "permission": [
                {
                    "id": f"modelperm-{uuid.uuid4().hex[:16]}",
                    "object": "model_permission",
                    "created": s.created,
                    "allow_create_engine": False,
                    "allow_sampling": True,
                    "allow_logprobs": True,
                    "allow_search_indices": False,
                    "allow_view": True,
                    "allow_fine_tuning": False,
                    "organization": "*",
                    "group": None,
                    "is_blocking": False,
                }
            ],
        }
        for name in s.served
    ]
    return JSONResponse({"object": "list", "data": cards})


async def counted(request: Request, handler: str, fn) -> Response:
    """Run a scoring handler, counting it for /load and /metrics."""
    s = st(request)
    s.in_flight += 1
    try:
        response = await fn(request)
    finally:
        s.in_flight -= 1
    key = (handler, f"{response.status_code // 100}xx")
    s.requests[key] = s.requests.get(key, 0) + 1
    return response


def scored_pairs(s: State, pairs: list[tuple[str, str]], trunc, use_activation):
    """Token check (the real 400 unless truncate_prompt_tokens), then scores and usage."""
    cap = None
    if trunc is not None:
        cap = s.max_model_len if trunc == -1 else trunc
    scores, total = [], 0
    for q, d in pairs:
        n = sc.pair_tokens(q, d)
        if cap is None and n > s.max_model_len:
            raise v.Failure(v.too_long(s.max_model_len, n))
        if cap is not None and n > cap:
            d, n = sc.truncate_doc(q, d, cap), cap
        scores.append(sc.score(q, d, use_activation is not False))
        total += n
    s.prompt_tokens += total
    return scores, total


async def _rerank(request: Request) -> Response:
    s = st(request)
    try:
        body = await v.json_body(request)
        req = v.rerank_request(body, s)
        pairs = [(req["query"], d) for d in req["documents"]]
        scores, total = scored_pairs(s, pairs, req["truncate_prompt_tokens"], req["use_activation"])
    except v.Failure as f:
        return f.response
    results = [
        {"index": i, "document": {"text": d, "multi_modal": None}, "relevance_score": scores[i]}
        for i, d in enumerate(req["documents"])
    ]
    results.sort(key=lambda r: r["relevance_score"], reverse=True)  # stable, like vLLM
    top_n = req["top_n"]
    if 0 < top_n < len(results):
        results = results[:top_n]
    return JSONResponse(
        {
            "id": request_id(request, "score"),
            "model": s.served[0],
            "usage": {"prompt_tokens": total, "total_tokens": total},
            "results": results,
        }
    )


async def _score(request: Request) -> Response:
    s = st(request)
    try:
        body = await v.json_body(request)
        req = v.score_request(body, s)
        scores, total = scored_pairs(s, req["pairs"], req["truncate_prompt_tokens"], req["use_activation"])
    except v.Failure as f:
        return f.response
    return JSONResponse(
        {
            "id": request_id(request, "score"),
            "object": "list",
            "created": int(time.time()),
            "model": s.served[0],
            "data": [{"index": i, "object": "score", "score": x} for i, x in enumerate(scores)],
            "usage": {
                "prompt_tokens": total,
                "total_tokens": total,
                "completion_tokens": 0,
                "prompt_tokens_details": None,
                "completion_tokens_details": None,  # vLLM >= 0.30 UsageInfo (checked against the real server)
            },
        }
    )


async def rerank(request: Request) -> Response:
    return await counted(request, request.url.path, _rerank)


async def rerank_v1(request: Request) -> Response:
    warn_once(
        st(request),
        "v1/rerank",
        "To indicate that the rerank API is not part of the standard OpenAI API, we have "
        "located it at `/rerank`. Please update your client accordingly. (Note: Conforms to JinaAI rerank API)",
    )
    return await counted(request, "/v1/rerank", _rerank)


async def score(request: Request) -> Response:
    return await counted(request, "/score", _score)


async def score_v1(request: Request) -> Response:
    warn_once(
        st(request),
        "v1/score",
        "To indicate that Score API is not part of standard OpenAI API, we have moved it to `/score`. "
        "Please update your client accordingly.",
    )
    return await counted(request, "/v1/score", _score)


async def invocations(request: Request) -> Response:
    """SageMaker dispatcher: the body's shape picks the handler."""
    try:
        body = await v.json_body(request)
    except v.Failure as f:
        return f.response
    if isinstance(body, dict) and "query" in body and "documents" in body:
        return await counted(request, "/invocations", _rerank)
    if isinstance(body, dict) and any(k in body for k in v.SCORE_LEFT):
        return await counted(request, "/invocations", _score)
    if isinstance(body, dict) and "input" in body:
        return await _single_text(request, "classify")
    names = ["RerankRequest", "ScoreRequest", "ClassificationRequest", "PoolingRequest"]
    return v.error(400, f"Cannot find suitable handler for request. Expected one of: {names}", "BadRequestError")


async def _single_text(request: Request, kind: str) -> Response:
    # A cross-encoder given one text (no pair) has no meaningful score: report the floor.
    s = st(request)
    try:
        body = await v.json_body(request)
        texts, use_activation = v.input_request(body, s)
    except v.Failure as f:
        return f.response
    total = sum(sc.count_tokens(t) + sc.SINGLE_SPECIAL_TOKENS for t in texts)
    value = sc.score("", "", use_activation is not False)
    if kind == "classify":
        data = [{"index": i, "label": "LABEL_0", "probs": [value], "num_classes": 1} for i in range(len(texts))]
    else:
        data = [{"index": i, "object": "pooling", "data": [value]} for i in range(len(texts))]
    return JSONResponse(
        {
            "id": request_id(request, "classify" if kind == "classify" else "pool"),
            "object": "list",
            "created": int(time.time()),
            "model": s.served[0],
            "data": data,
            "usage": {"prompt_tokens": total, "total_tokens": total, "completion_tokens": 0, "prompt_tokens_details": None, "completion_tokens_details": None},
        }
    )


async def pooling(request: Request) -> Response:
    return await counted(request, "/pooling", lambda r: _single_text(r, "pooling"))


async def classify(request: Request) -> Response:
    return await counted(request, "/classify", lambda r: _single_text(r, "classify"))


async def tokenize(request: Request) -> Response:
    s = st(request)
    try:
        body = await v.json_body(request)
        prompt, special, want_strs = v.tokenize_request(body, s)
    except v.Failure as f:
        return f.response
    strs: list[str] = []
    for p in sc.pieces(prompt):
        chunks = [p] if not p[0].isalnum() else [p[i : i + 6] for i in range(0, len(p), 6)]
        strs.extend(chunks)
    ids = [sc.token_id(x) for x in strs]
    for i, x in zip(ids, strs):
        s.vocab[i] = x
    if special:
        ids, strs = [0, *ids, 2], ["<s>", *strs, "</s>"]
    return JSONResponse(
        {"count": len(ids), "max_model_len": s.max_model_len, "tokens": ids, "token_strs": strs if want_strs else None}
    )


async def detokenize(request: Request) -> Response:
    s = st(request)
    try:
        body = await v.json_body(request)
        tokens = v.detokenize_request(body, s)
    except v.Failure as f:
        return f.response
    words = [s.vocab.get(t, "<unk>") for t in tokens if t not in (0, 1, 2)]
    return JSONResponse({"prompt": " ".join(words)})
