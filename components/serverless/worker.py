# vast-reranker serverless worker: Vast's own worker (PyPI vastai, vastai.serverless.server) in front of
# vLLM, which listens on 127.0.0.1 only. Started by the launch script (components/serverless/launch.ts).
# Vast's worker forwards to vLLM without any auth header, so vLLM runs keyless and unreachable from
# outside the instance; what reaches it must first pass, in this order: the endpoint's key (which
# Vast's client sends with every worker call as Bearer and ?api_key=; compared in constant time),
# then Vast's own checks (JSON envelope 422, route signature 401, queue 429).
import hmac
import os
import subprocess
import urllib.request

from aiohttp import web
from vastai.serverless.server.worker import BenchmarkConfig, HandlerConfig, LogActionConfig, Worker, WorkerConfig

KEY = os.environ.pop("VR_ENDPOINT_KEY", "").encode()
MODEL = os.environ["VR_SERVED_MODEL"]
LOG = os.environ.get("VR_VLLM_LOG", "vllm.log")
QUEUE = float(os.environ.get("VR_MAX_QUEUE_TIME", "30"))
GUIDE = {"model": MODEL, "query": "What is Deep Learning?", "documents": [
    "Deep Learning is a subset of machine learning based on artificial neural networks.",
    "The weather today is sunny with a high of 75 degrees.",
    "Deep learning models require large amounts of data and computational power.",
    "I enjoy cooking pasta with fresh tomatoes and basil."]}


def keyed(handler):
    """Our key check in front of Vast's handler: 401 before the request reaches Vast's code or vLLM."""
    async def check(request):
        auth = request.headers.get("Authorization", "")
        sent = auth[7:] if auth.startswith("Bearer ") else request.query.get("api_key", "")
        if not KEY or not hmac.compare_digest(sent.encode(), KEY):
            return web.json_response({"error": "Unauthorized"}, status=401)
        return await handler(request)
    return check


def certificate():
    """As Vast's start script does: a key and CSR for this host, signed by Vast's console."""
    if os.environ.get("USE_SSL") != "true":
        return
    ip = os.environ["PUBLIC_IPADDR"]
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-sha256", "-subj", "/CN=pyworker.vast.ai",
                    "-addext", f"subjectAltName=IP:{ip}", "-keyout", "/etc/instance.key", "-out", "instance.csr"],
                   check=True, capture_output=True)
    url = os.environ["VR_CONSOLE_URL"].rstrip("/") + "/api/v0/sign_cert/?instance_id=" + os.environ["CONTAINER_ID"]
    with open("instance.csr", "rb") as f:
        req = urllib.request.Request(url, data=f.read(), method="POST", headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(req, timeout=60) as res, open("/etc/instance.crt", "wb") as out:
        out.write(res.read())


def main():
    certificate()
    handlers = [
        HandlerConfig(route="/v1/rerank", allow_parallel_requests=True, max_queue_time=QUEUE,
                      benchmark_config=BenchmarkConfig(dataset=[GUIDE], runs=2, concurrency=2)),
        HandlerConfig(route="/v1/score", allow_parallel_requests=True, max_queue_time=QUEUE),
    ]
    worker = Worker(WorkerConfig(
        model_server_url="http://127.0.0.1", model_server_port=int(os.environ.get("VR_VLLM_PORT", "18000")),
        model_log_file=LOG, model_healthcheck_url="/health", handlers=handlers,
        log_action_config=LogActionConfig(
            on_load=["Application startup complete."],
            on_error=["Traceback (most recent call last):", "RuntimeError: Engine"])))
    worker.routes = [web.post(r.path, keyed(r.handler)) for r in worker.routes]
    worker.run()


main()
