"""Vast's own serverless client (PyPI vastai, unchanged) as a user runs it, pointed at the emulator.

Only what Vast's client lets a user set is set: the class attribute SSL_CERT_URL (where it downloads
Vast's root certificate), webserver_url and autoscaler_url. No VAST_DEBUG_WORKER_URL, no UNSECURED.
Usage: python vast_client.py '<json>' with {"emulator", "payload", "n"?, "route"?} and either
{"account_key", "endpoint_name"} (the endpoint is looked up with the account key) or
{"endpoint_key", "endpoint_name", "endpoint_id"} (a consumer who holds only the endpoint's key).
Prints one JSON line per request: {ok, status, response, url, auth_data, latency}.
"""
import asyncio
import json
import os
import sys

from vastai.serverless.client.client import Serverless
from vastai.serverless.client.endpoint import Endpoint

assert not os.environ.get("VAST_DEBUG_WORKER_URL"), "debug switch must not be used"


async def main(a):
    Serverless.SSL_CERT_URL = a["emulator"] + "/static/jvastai_root.cer"
    key = a.get("account_key") or a["endpoint_key"]
    async with Serverless(api_key=key, webserver_url=a["emulator"], autoscaler_url=a["emulator"]) as client:
        if a.get("account_key"):
            ep = await client.get_endpoint(name=a["endpoint_name"])
        else:
            ep = Endpoint(client, name=a["endpoint_name"], id=int(a["endpoint_id"]), api_key=a["endpoint_key"])
        reqs = [ep.request(a.get("route", "/v1/rerank"), a["payload"], timeout=a.get("timeout", 300)) for _ in range(a.get("n", 1))]
        for r in await asyncio.gather(*reqs, return_exceptions=True):
            if isinstance(r, Exception):
                print(json.dumps({"ok": False, "error": repr(r)}), flush=True)
            else:
                print(json.dumps({k: r.get(k) for k in ("ok", "status", "response", "url", "auth_data", "latency")}), flush=True)


asyncio.run(main(json.loads(sys.argv[1])))
