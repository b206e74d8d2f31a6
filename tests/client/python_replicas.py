"""Drives the Python consumer example (examples/consumer/rerank_replicas.py) for the tests.

usage: python python_replicas.py '{"endpoints": [...], "key": "...", "requests": 300, "workers": 4,
                                   "seed": 1, "ordered": false, "cooldown": 30}'
Prints one JSON line: how many requests succeeded, and each failure's type and status.
"""

import json
import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples", "consumer"))
from rerank_replicas import Replicas  # noqa: E402

spec = json.loads(sys.argv[1])
rr = Replicas(spec["endpoints"], spec["key"], cooldown=spec.get("cooldown", 30.0),
              ordered=spec.get("ordered", False), rng=random.Random(spec.get("seed", 1)))
DOCS = ["Deep learning is ML", "I like pizza"]


def one(_):
    try:
        result = rr.rerank(model="BAAI/bge-reranker-base", query="What is deep learning?", documents=DOCS, top_n=2)
        return {"ok": [r.index for r in result.results] == [0, 1]}
    except Exception as err:  # reported to the test, which decides
        return {"ok": False, "error": type(err).__name__, "status": getattr(err, "status_code", None)}


with ThreadPoolExecutor(spec.get("workers", 1)) as pool:
    outcomes = list(pool.map(one, range(spec["requests"])))
print(json.dumps({
    "ok": sum(o["ok"] for o in outcomes),
    "failures": [o for o in outcomes if not o["ok"]],
    "cooling": sorted(e for e in rr.failed if rr.failed[e] + rr.cooldown > time.monotonic()),
}))
