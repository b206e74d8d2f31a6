"""Stand-in for `vllm serve <args>` serving a cross-encoder reranker (e.g. BAAI/bge-reranker-base).

NOT vLLM and NOT a neural model: a Starlette app with vLLM's routes, shapes, error bodies and
stock API-key behaviour, scoring with a deterministic lexical model (vllm_standin_scoring.py).

The command line is parsed like `vllm serve` (the image ENTRYPOINT is `vllm serve`, so `serve`
must not be repeated). Emulator-only environment (all optional):
  VAST_EMULATOR_PORT_MAP          "8000=41234,..." container port -> loopback host port to bind
  VAST_EMULATOR_MODEL_LOAD_MS     "model load" time before listening (connection refused until then)
  VAST_EMULATOR_MODEL_LOAD_FAIL   "1": log a load error and exit 1 without ever listening
  VLLM_STANDIN_GUARDED_PREFIXES   "v1-only" (vLLM <= 0.20) or a comma list; default: by version
  VLLM_STANDIN_VERSION            what /version reports (default 0.29.0; the emulator passes the image
                                  tag's version); < 0.21 guards /v1 only, < 0.27.1 adds /v2 and
                                  /inference, later also /cohere
  VAST_EMULATOR_PID               the emulator's pid: if it dies, this instance's process group is killed
"""

import argparse
import importlib
import inspect
import logging
import os
import signal
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import uvicorn  # noqa: E402
from starlette.middleware.base import BaseHTTPMiddleware  # noqa: E402

import vllm_standin_app as appmod  # noqa: E402
import vllm_standin_handlers as handlers  # noqa: E402

log = logging.getLogger("vllm.entrypoints.openai.api_server")
DEFAULT_MODEL = "Qwen/Qwen3-0.6B"  # vLLM's default when no model is given

# Flags of `vllm serve` accepted and ignored (they tune a real engine). None = takes a value.
IGNORED_VALUE_FLAGS = [
    "--dtype", "--gpu-memory-utilization", "--runner", "--task", "--convert", "--uvicorn-log-level",
    "--disable-access-log-for-endpoints", "--tensor-parallel-size", "-tp", "--pipeline-parallel-size",
    "--max-num-seqs", "--max-num-batched-tokens", "--download-dir", "--tokenizer", "--tokenizer-mode",
    "--revision", "--seed", "--hf-overrides", "--api-server-count", "--allowed-origins",
    "--allowed-methods", "--allowed-headers", "--ssl-keyfile", "--ssl-certfile", "--chat-template",
    "--swap-space", "--load-format", "--quantization", "--kv-cache-dtype", "--response-role",
    "--override-pooler-config", "--pooler-config", "--max-log-len", "--limit-mm-per-prompt",
    "--compilation-config", "-O", "--config", "--hf-token", "--block-size", "--distributed-executor-backend",
    "--data-parallel-size", "--log-config-file",
]
IGNORED_BOOL_FLAGS = [
    "--enforce-eager", "--disable-log-requests", "--enable-log-requests", "--disable-log-stats",
    "--trust-remote-code", "--enable-prefix-caching", "--no-enable-prefix-caching",
    "--disable-fastapi-docs", "--enable-request-id-headers", "--disable-uvicorn-access-log",
    "--enable-chunked-prefill", "--no-enable-chunked-prefill", "--headless",
]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vllm serve", allow_abbrev=False)
    p.add_argument("model_tag", nargs="?", default=None)
    p.add_argument("--model", default=None)
    p.add_argument("--served-model-name", nargs="+", action="extend", default=None)
    p.add_argument("--max-model-len", type=int, default=512)  # bge-reranker-base's config value
    p.add_argument("--api-key", nargs="+", action="extend", default=None)
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--root-path", default=None)
    p.add_argument("--middleware", action="append", default=[])
    for flag in IGNORED_VALUE_FLAGS:
        p.add_argument(flag, dest="ignored_" + flag.lstrip("-").replace("-", "_"), default=None, help=argparse.SUPPRESS)
    for flag in IGNORED_BOOL_FLAGS:
        p.add_argument(flag, dest="ignored_" + flag.lstrip("-").replace("-", "_"), action="store_true", help=argparse.SUPPRESS)
    return p


def normalize(argv: list[str]) -> list[str]:
    # vLLM's FlexibleArgumentParser accepts --max_model_len as well as --max-model-len.
    out = []
    for a in argv:
        if a.startswith("--"):
            name, eq, val = a.partition("=")
            a = name.replace("_", "-") + eq + val
        out.append(a)
    return out


def load_middlewares(names: list[str]):
    """vLLM's --middleware: a class -> app.add_middleware(cls); an async function -> HTTP middleware."""
    adders = []
    for name in names:
        module_path, object_name = name.rsplit(".", 1)
        imported = getattr(importlib.import_module(module_path), object_name)
        if inspect.isclass(imported):
            adders.append(lambda app, cls=imported: app.add_middleware(cls))
        elif inspect.iscoroutinefunction(imported):
            adders.append(lambda app, fn=imported: app.add_middleware(BaseHTTPMiddleware, dispatch=fn))
        else:
            raise ValueError(f"Invalid middleware {name}. Must be a function or a class.")
    return adders


def bind_port(container_port: int) -> int:
    mapping = os.environ.get("VAST_EMULATOR_PORT_MAP")
    if mapping is None:
        return container_port
    for item in mapping.split(","):
        inner, _, outer = item.partition("=")
        if inner.strip() == str(container_port):
            return int(outer)
    return 0  # not published by the instance: listen somewhere nobody can find it


def watch_emulator() -> None:
    """If the emulator dies without cleaning up (SIGKILL), take this instance's process group down."""
    try:
        emu = int(os.environ.get("VAST_EMULATOR_PID", ""))
        shared = os.getpgid(emu) == os.getpgrp()
    except (ValueError, OSError):
        return

    def loop() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(emu, 0)
            except ProcessLookupError:
                if shared:
                    os._exit(0)
                os.killpg(os.getpgrp(), signal.SIGKILL)
            except PermissionError:
                pass

    threading.Thread(target=loop, daemon=True).start()


def load_model(model: str, seconds: float) -> None:
    """The "model load": progress lines in vLLM's wording spread over it, so the container log advances
    while the weights "download" (a provider judging start-up progress reads them)."""
    if seconds <= 0:
        return
    log.info("Starting to load model %s...", model)
    sys.stdout.flush()
    steps = 10
    for i in range(1, steps + 1):
        time.sleep(seconds / steps)
        print(f"Loading safetensors checkpoint shards: {i * 100 // steps}% Completed | {i}/{steps}", flush=True)
    log.info("Loading weights took %.2f seconds", seconds)
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(asctime)s [%(name)s] %(message)s", datefmt="%m-%d %H:%M:%S", stream=sys.stdout)
    watch_emulator()
    args = parser().parse_args(normalize(argv))
    if args.model_tag == "serve":
        parser().error("unrecognized arguments: serve")
    model = args.model_tag or args.model or DEFAULT_MODEL
    served = args.served_model_name or [model]
    keys = args.api_key or ([os.environ["VLLM_API_KEY"]] if os.environ.get("VLLM_API_KEY") else [])
    version = os.environ.get("VLLM_STANDIN_VERSION", "0.29.0")
    log.info("vLLM API server version %s (emulator stand-in, lexical scoring)", version)
    log.info("args: model=%r served_model_name=%r max_model_len=%d api_key=%s middleware=%r", model, served, args.max_model_len, "set" if keys else "unset", args.middleware)

    load_model(model, int(os.environ.get("VAST_EMULATOR_MODEL_LOAD_MS", "0") or 0) / 1000.0)
    if os.environ.get("VAST_EMULATOR_MODEL_LOAD_FAIL") == "1":
        log.error("EngineCore failed to start.")
        print("Traceback (most recent call last):\n  ...\ntorch.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB.", flush=True)
        print("RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}", flush=True)
        return 1
    log.info("Supported tasks: ['classify', 'score']")

    state = handlers.State(model, served, args.max_model_len, version)
    prefixes = appmod.guarded_prefixes(os.environ.get("VLLM_STANDIN_GUARDED_PREFIXES"), version)
    app = appmod.build_app(state, keys, prefixes, load_middlewares(args.middleware))
    port = bind_port(args.port)
    log.info("Starting vLLM server on http://%s:%d", args.host or "0.0.0.0", args.port)
    log.info("Available routes are:")
    for line in appmod.route_lines(app):
        log.info(line)
    sys.stdout.flush()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="info", root_path=args.root_path or "", timeout_graceful_shutdown=2)
    uvicorn.Server(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
