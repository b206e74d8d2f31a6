"""The operations the product performs, done by Vast's own SDK (PyPI vastai), each after a mark the
recording proxy groups requests by. Usage: python sdk_requests.py <proxy url> <key> <spec json>"""
import json
import sys

import requests
from vastai import VastAI
from vastai.api import instances as instances_api

url, key, spec = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
sdk = VastAI(api_key=key, server_url=url, retry=1)


def mark(name):
    requests.get(f"{url}/_mark/{name}", timeout=10)


mark("search")
sdk.search_offers(query=spec["filter"], type="on-demand", order="dph_total", limit=64, storage=spec["disk"])
mark("rent")
created = sdk.create_instance(id=spec["offer"], image=spec["image"], disk=spec["disk"], env=spec["env"], label=spec["label"],
                              onstart_cmd=spec["onstart"], runtype=spec["runtype"], args=spec["args"], cancel_unavail=True)
iid = created["new_contract"]
mark("show")
sdk.show_instance(iid)
mark("list")
instances_api.show_instances(sdk.client, select_filters={"label": {"eq": spec["label"]}})
mark("label")
sdk.label_instance(iid, spec["label"] + ".relabelled")
mark("logs")
try:
    sdk.logs(iid, tail="100", daemon_logs=True)
except TimeoutError:
    pass  # the result URL's content is not what is compared here: the request for it is
mark("destroy")
sdk.destroy_instance(iid)
mark("end")
