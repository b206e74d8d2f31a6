"""Rerank through a vast-reranker serverless endpoint with Vast's own client (pip install vastai==1.9.1).

A consumer needs three stack outputs and no Vast account key:
  ENDPOINT_NAME=$(pulumi stack output endpointName) ENDPOINT_ID=$(pulumi stack output endpointId) \
  ENDPOINT_KEY=$(pulumi stack output --show-secrets endpointKey) python examples/serverless/rerank.py
Against the local emulator (npm run demo -- --serverless) also set VAST_URL to its URL: Vast's client
then takes its console, engine and root certificate from there (webserver_url, autoscaler_url and its
SSL_CERT_URL, the settings Vast's client offers); nothing else of Vast's code is changed.
"""
import asyncio
import json
import os

from vastai.serverless.client.client import Serverless
from vastai.serverless.client.endpoint import Endpoint


async def main():
    key = os.environ["ENDPOINT_KEY"]
    local = os.environ.get("VAST_URL")
    kwargs = {}
    if local:
        Serverless.SSL_CERT_URL = local + "/static/jvastai_root.cer"
        kwargs = {"webserver_url": local, "autoscaler_url": local}
    async with Serverless(api_key=key, **kwargs) as client:
        endpoint = Endpoint(client, name=os.environ["ENDPOINT_NAME"], id=int(os.environ["ENDPOINT_ID"]), api_key=key)
        result = await endpoint.request("/v1/rerank", {
            "model": os.environ.get("MODEL", "BAAI/bge-reranker-base"),
            "query": "What is Deep Learning?",
            "documents": [
                "Deep learning is a subset of machine learning that uses neural networks with many layers",
                "The weather is nice today",
                "Deep learning enables computers to learn from large amounts of data",
                "I like pizza",
            ],
        })
        if not result["ok"]:
            raise SystemExit(f"HTTP {result['status']}: {result['response']}")
        print(json.dumps([{"index": r["index"], "score": r["relevance_score"], "text": r["document"]["text"]} for r in result["response"]["results"]]))


asyncio.run(main())
