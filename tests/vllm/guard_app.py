"""Test harness: a small Starlette app wrapped by guard.py exactly as vLLM does it
(app.add_middleware(cls) after vLLM's own CORS middleware), served by uvicorn.

usage: python guard_app.py <path/to/guard.py>
Prints the bound port on stdout, then serves until killed.
"""
import importlib.util
import socket
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route


def load_guard(path):
    spec = importlib.util.spec_from_file_location("vast_guard", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # raises when VLLM_API_KEY is empty
    return module


async def echo(request):
    return JSONResponse({"route": request.url.path, "method": request.method})


async def metrics(_request):
    return PlainTextResponse("vllm:num_requests_running 0\n")


routes = [
    Route("/health", echo, methods=["GET"]),
    Route("/ping", echo, methods=["GET", "POST"]),
    Route("/version", echo, methods=["GET"]),
    Route("/v1/models", echo, methods=["GET"]),
    Route("/rerank", echo, methods=["POST"]),
    Route("/score", echo, methods=["POST"]),
    Route("/metrics", metrics, methods=["GET"]),
]


def main():
    guard = load_guard(sys.argv[1])
    app = Starlette(routes=routes, middleware=[
        Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"]),
    ])
    app.add_middleware(guard.ApiKeyGuard)  # what `vllm serve --middleware` does
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # connections queue until uvicorn accepts: no refused window
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
