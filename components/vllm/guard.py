"""vast_guard: require the API key on every vLLM route except liveness probes.

Loaded with `vllm serve --middleware vast_guard.ApiKeyGuard`; vLLM calls
app.add_middleware(cls) with no arguments, so the key comes from the env
(VLLM_API_KEY, which vLLM itself also reads). Stock vLLM only checks the key
on /v1, /v2, /inference and /cohere: /rerank, /score, /invocations, /pooling,
/tokenize, /metrics... answer anyone. This guard is outermost, so it runs first.

Pure ASGI and stdlib only: it must work in any vLLM image without imports
from vLLM or Starlette.

No key => refuse to start: importing this module raises, so `vllm serve`
exits instead of serving an open API (fail closed).
"""
import hashlib
import hmac
import os
import sys

# Exact paths (after canonical_path) that answer without a key, and their methods.
OPEN = {
    "/health": ("GET", "HEAD"),
    "/ping": ("GET", "HEAD", "POST"),  # SageMaker alias of /health, GET+POST
    "/version": ("GET", "HEAD"),
}
BODY = b'{"error":"Unauthorized"}'  # byte-identical to vLLM's own 401


def load_keys(env=None):
    """Key digests from VLLM_API_KEY; raises if no key is set (fail closed)."""
    key = (os.environ if env is None else env).get("VLLM_API_KEY", "").strip()
    if not key:
        raise RuntimeError(
            "vast_guard: VLLM_API_KEY is empty; refusing to serve without a key")
    return [hashlib.sha256(key.encode()).digest()]


def canonical_path(path):
    """Collapse '//' runs and drop one trailing '/' for the allow-list check.

    Dot segments are NOT resolved: '/health/../rerank' stays as is and, not
    being an exact allow-list entry, needs the key.
    """
    while "//" in path:
        path = path.replace("//", "/")
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path


def is_open(method, path):
    """True if (method, scope path) may be served without a key."""
    return method in OPEN.get(canonical_path(path), ())


def presented_tokens(headers):
    """Tokens from `Authorization: Bearer <t>` (any case) and `x-api-key`."""
    for name, value in headers:
        name = name.lower()
        if name == b"authorization":
            scheme, _, token = value.strip().partition(b" ")
            if scheme.lower() == b"bearer":
                yield token.strip()
        elif name == b"x-api-key":
            yield value.strip()


def authorized(headers, digests):
    """Constant-time check of every presented token against every key."""
    ok = False
    for token in presented_tokens(headers):
        got = hashlib.sha256(token).digest()
        for want in digests:
            ok = hmac.compare_digest(got, want) or ok
    return ok


def is_preflight(scope):
    """A CORS preflight: OPTIONS with Access-Control-Request-Method."""
    if scope.get("method") != "OPTIONS":
        return False
    return any(n.lower() == b"access-control-request-method"
               for n, _ in scope.get("headers", ()))


class ApiKeyGuard:
    def __init__(self, app):
        self.app = app
        self.digests = load_keys()
        print("vast_guard: API key required on every route except "
              "GET/HEAD /health, /ping, /version and CORS preflight",
              file=sys.stderr, flush=True)

    async def __call__(self, scope, receive, send):
        kind = scope["type"]
        if kind not in ("http", "websocket"):  # lifespan and the like
            return await self.app(scope, receive, send)
        # scope["path"], never the Host-derived URL (CVE-2026-48746); root_path
        # is not stripped, so a mounted prefix is guarded too (fail closed).
        path = scope.get("path", "")
        headers = scope.get("headers", ())
        if kind == "http" and (is_open(scope.get("method", ""), path)
                               or is_preflight(scope)):
            return await self.app(scope, receive, send)
        if authorized(headers, self.digests):
            return await self.app(scope, receive, send)
        if kind == "http":
            return await deny_http(send, "http.response")
        if "websocket.http.response" in scope.get("extensions", {}):
            return await deny_http(send, "websocket.http.response")
        await send({"type": "websocket.close", "code": 1008})  # -> HTTP 403


async def deny_http(send, prefix):
    await send({"type": prefix + ".start", "status": 401, "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(BODY)).encode()),
    ]})
    await send({"type": prefix + ".body", "body": BODY})


load_keys()  # import-time check: `vllm serve` exits when the key is missing
