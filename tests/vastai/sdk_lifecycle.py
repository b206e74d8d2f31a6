"""Drive the emulator with Vast's own SDK (PyPI vastai, the version pinned in requirements.lock) for
every route the product uses; print what it saw as one JSON object. Usage: python sdk_lifecycle.py <url> <key>"""
import json
import sys
import time

import requests
from vastai import VastAI
from vastai.api import instances as instances_api

url, key = sys.argv[1], sys.argv[2]
sdk = VastAI(api_key=key, server_url=url, retry=1)
seen = {}

# POST /api/v0/bundles/ (the CLI's filter language, parsed by the SDK)
offers = sdk.search_offers(query="gpu_ram>=16 num_gpus=1 direct_port_count>=1", order="dph_total", limit=5, storage=10)
seen["search"] = [{"id": o["id"], "num_gpus": o["num_gpus"], "gpu_ram": o["gpu_ram"], "dph_total": o["dph_total"], "verified": o.get("verified"), "verification": o.get("verification")} for o in offers]
offer = offers[0]["id"]

# PUT /api/v0/asks/{id}/ with an env string the SDK parses itself (parse_env)
created = sdk.create_instance(id=offer, image="vastai/base-image:cuda-12.4.1-auto", disk=10, env="-p 8000:8000 -e FOO=bar -e MSG='a b'",
                              label="sdk-lifecycle", runtype="ssh_direc ssh_proxy")
seen["create"] = {k: (type(v).__name__ if k == "instance_api_key" else v) for k, v in created.items()}
seen["create_key_len"] = len(created.get("instance_api_key", ""))
iid = created["new_contract"]

# GET /api/v0/instances/{id}/?owner=me until running (the SDK turns extra_env pairs into a dict)
states = []
for _ in range(200):
    inst = sdk.show_instance(iid)
    if inst is not None:
        states.append(inst["actual_status"])
        if inst["actual_status"] == "running":
            break
    time.sleep(0.05)
seen["states"] = [s for i, s in enumerate(states) if i == 0 or states[i - 1] != s]
seen["show"] = {"extra_env": inst["extra_env"], "ports": inst["ports"], "label": inst["label"], "public_ipaddr": inst["public_ipaddr"],
                "duration_is_number": isinstance(inst["duration"], float)}

# GET /api/v1/instances/ (paged, filtered by label as the product does)
listed = instances_api.show_instances(sdk.client, select_filters={"label": {"eq": "sdk-lifecycle"}})
seen["list_by_label"] = [i["id"] for i in listed]
seen["list_all"] = [i["id"] for i in sdk.show_instances()]

# PUT /api/v0/instances/{id}/ {"label": ...}
seen["label"] = sdk.label_instance(iid, "sdk-renamed")
seen["label_after"] = sdk.show_instance(iid)["label"]

# PUT /api/v0/instances/request_logs/{id}/ then GET result_url (polled until 200)
seen["logs_type"] = type(sdk.logs(iid, tail="10")).__name__

# PUT /api/v0/asks/{id}/ again: the ask is rented
try:
    sdk.create_instance(id=offer, image="vastai/base-image:cuda-12.4.1-auto", disk=10)
    seen["rent_again"] = "accepted"
except requests.HTTPError as e:
    seen["rent_again"] = {"status": e.response.status_code, "body": e.response.json()}

# DELETE /api/v0/instances/{id}/, then the read says it is gone; a second DELETE is 404
seen["destroy"] = sdk.destroy_instance(iid)
seen["show_after_destroy"] = sdk.show_instance(iid)
try:
    sdk.destroy_instance(iid)
    seen["destroy_again"] = "accepted"
except requests.HTTPError as e:
    seen["destroy_again"] = {"status": e.response.status_code, "error": e.response.json().get("error")}

print(json.dumps(seen))
