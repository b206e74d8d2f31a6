"""ASGI app of the vLLM stand-in: routes, error shapes and the stock API-key middleware.

Shapes, codes and messages follow docs/vllm-api.md (vLLM ~0.26-0.29,
cross-encoder model). Request handling lives in vllm_standin_handlers.py.
"""

import hashlib
import logging
import secrets

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import vllm_standin_handlers as h

log = logging.getLogger("vllm.entrypoints.openai.api_server")

# Newest stock guard (0.27.1 ... 0.29.0); "v1-only" reproduces vLLM <= 0.20.
CURRENT_PREFIXES = ("/v1", "/v2", "/inference", "/cohere")


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for p in version.split(".")[:3]:
        digits = "".join(ch for ch in p if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def guarded_prefixes(setting: str | None, version: str = "0.29.0") -> tuple[str, ...]:
    """Explicit setting, else the guard of that vLLM era (docs/vllm-api.md §3.2; boundaries approximate)."""
    if setting:
        if setting.strip().lower() in ("v1-only", "legacy", "<=0.20"):
            return ("/v1",)
        return tuple(p.strip() for p in setting.split(",") if p.strip())
    v = _version_tuple(version)
    if v < (0, 21):
        return ("/v1",)
    if v < (0, 27, 1):
        return ("/v1", "/v2", "/inference")
    return CURRENT_PREFIXES


class AuthenticationMiddleware:
    """vLLM's stock API-key check: a path-prefix test; OPTIONS and other paths pass."""

    def __init__(self, app, tokens: list[str], prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.api_tokens = [hashlib.sha256(t.encode("utf-8")).digest() for t in tokens]
        self.prefixes = prefixes

    def verify_token(self, headers: Headers) -> bool:
        value = headers.get("Authorization")
        if not value:
            return False
        scheme, _, param = value.partition(" ")
        if scheme.lower() != "bearer":
            return False
        digest = hashlib.sha256(param.encode("utf-8")).digest()
        match = False
        for token in self.api_tokens:  # no early exit: constant time over the key list
            match |= secrets.compare_digest(digest, token)
        return match

    def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket") or scope.get("method") == "OPTIONS":
            return self.app(scope, receive, send)
        root_path = scope.get("root_path", "")
        url_path = scope["path"].removeprefix(root_path)
        if url_path.startswith(self.prefixes) and not self.verify_token(Headers(scope=scope)):
            return JSONResponse(content={"error": "Unauthorized"}, status_code=401)(scope, receive, send)
        return self.app(scope, receive, send)


async def http_exception(_request, exc: HTTPException) -> Response:
    # FastAPI's default handler: {"detail": ...} with the exception's status and headers.
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


class MetricsApp:
    """`/metrics` is a mounted sub-app in vLLM; `/metrics/` matches too (no redirect)."""

    def __init__(self, state: "h.State") -> None:
        self.state = state

    async def __call__(self, scope, receive, send):
        if scope.get("method") not in ("GET", "HEAD"):
            raise HTTPException(status_code=405, headers={"Allow": "GET"})
        body = self.state.metrics_text()
        response = Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")
        await response(scope, receive, send)


def build_app(state: "h.State", api_keys: list[str], prefixes: tuple[str, ...], middlewares) -> Starlette:
    routes = [
        Route("/health", h.health, methods=["GET"]),
        Route("/ping", h.health, methods=["GET", "POST"]),
        Route("/version", h.version, methods=["GET"]),
        Route("/load", h.load, methods=["GET"]),
        Route("/v1/models", h.models, methods=["GET"]),
        Route("/tokenize", h.tokenize, methods=["POST"]),
        Route("/detokenize", h.detokenize, methods=["POST"]),
        Route("/pooling", h.pooling, methods=["POST"]),
        Route("/classify", h.classify, methods=["POST"]),
        Route("/score", h.score, methods=["POST"]),
        Route("/v1/score", h.score_v1, methods=["POST"]),
        Route("/rerank", h.rerank, methods=["POST"]),
        Route("/v1/rerank", h.rerank_v1, methods=["POST"]),
        Route("/v2/rerank", h.rerank, methods=["POST"]),
        Route("/invocations", h.invocations, methods=["POST"]),
        Route("/metrics", MetricsApp(state), methods=["GET"]),
        Route("/metrics/", MetricsApp(state), methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_exception})
    app.state.standin = state
    if api_keys:
        app.add_middleware(AuthenticationMiddleware, tokens=api_keys, prefixes=prefixes)
    # --middleware entries come after vLLM's own, so they end up outermost (run first).
    for mw in middlewares:
        mw(app)
    return app


def route_lines(app: Starlette) -> list[str]:
    lines = []
    for r in app.routes:
        methods = ", ".join(sorted(getattr(r, "methods", None) or ["GET"]))
        lines.append(f"Route: {r.path}, Methods: {methods}")
    return lines
