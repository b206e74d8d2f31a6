"""Drives guard.py's ASGI callable directly for the scopes an HTTP client cannot easily
produce here (websocket, lifespan, unknown types). Prints one JSON object.

usage: VLLM_API_KEY=... python guard_asgi_check.py <path/to/guard.py>
"""
import asyncio
import importlib.util
import json
import os
import sys


def load_guard(path):
    spec = importlib.util.spec_from_file_location("vast_guard", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def run(guard_cls, scope):
    calls, sent = [], []

    async def app(scope, receive, send):
        calls.append(scope["type"])

    async def receive():
        return {"type": scope["type"] + ".connect"}

    async def send(message):
        sent.append({k: (v.decode() if isinstance(v, bytes) else v)
                     for k, v in message.items() if k != "headers"})

    await guard_cls(app)(scope, receive, send)
    return {"app_called": bool(calls), "sent": sent}


def ws(headers, extensions=None):
    return {"type": "websocket", "path": "/v1/realtime", "headers": headers,
            "extensions": extensions or {}}


async def main():
    guard = load_guard(sys.argv[1])
    key = os.environ["VLLM_API_KEY"].encode()
    out = {
        "lifespan": await run(guard.ApiKeyGuard, {"type": "lifespan"}),
        "ws_no_key": await run(guard.ApiKeyGuard, ws([])),
        "ws_no_key_http_ext": await run(guard.ApiKeyGuard, ws([], {"websocket.http.response": {}})),
        "ws_right_key": await run(guard.ApiKeyGuard, ws([(b"authorization", b"Bearer " + key)])),
        "ws_health_no_key": await run(guard.ApiKeyGuard, {"type": "websocket", "path": "/health", "headers": []}),
        "canonical": {p: guard.canonical_path(p) for p in ["//health", "/health/", "/health//", "/", "/health/../v1"]},
    }
    try:
        guard.load_keys({"VLLM_API_KEY": "  "})
        out["blank_key"] = "accepted"
    except RuntimeError as e:
        out["blank_key"] = str(e)
    print(json.dumps(out))


asyncio.run(main())
