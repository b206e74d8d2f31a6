"""Rerank over a deployment's replicas with the Cohere client: spread, with failover.

The rules of components/client/failover.ts: power-of-two-choices on requests in flight (or the first
healthy replica with ordered=True); a connection error, timeout, cut-off body, 5xx or 429 moves on to
another replica, which is then skipped for `cooldown` seconds; other 4xx are raised, never retried.

    rr = Replicas(out["endpoints"], out["apiKey"])  # the stack's outputs
    result = rr.rerank(model="BAAI/bge-reranker-base", query=query, documents=docs, top_n=3)
"""

import random
import threading
import time

import cohere
import httpx
from cohere.core.api_error import ApiError


class Replicas:
    def __init__(self, endpoints, key, cooldown=30.0, ordered=False, rng=random):
        self.co = {e: cohere.ClientV2(key, base_url=e, max_retries=0, timeout=30) for e in endpoints}
        self.busy, self.failed = dict.fromkeys(endpoints, 0), {}  # in flight; when it last failed
        self.cooldown, self.ordered, self.rng, self.lock = cooldown, ordered, rng, threading.Lock()

    def _pick(self, tried):
        left = [e for e in self.co if e not in tried]
        ok = [e for e in left if self.failed.get(e, float("-inf")) + self.cooldown <= time.monotonic()]
        if not ok:  # every untried replica is cooling down: oldest failure first
            return min(left, key=self.failed.get, default=None)
        if self.ordered or len(ok) == 1:
            return ok[0]
        a, b = self.rng.sample(ok, 2)
        return b if self.busy[b] < self.busy[a] else a

    def rerank(self, **request):
        tried = set()
        while True:
            with self.lock:
                e = self._pick(tried)
                if e is None:
                    raise RuntimeError(f"every replica failed: {sorted(tried)}")
                tried.add(e)
                self.busy[e] += 1
            try:
                result = self.co[e].rerank(**request)
                self.failed.pop(e, None)
                return result
            except (httpx.TransportError, ApiError) as err:
                status = getattr(err, "status_code", None) or 500
                if 400 <= status < 500 and status != 429:
                    raise  # a bad key or request fails the same way everywhere
                with self.lock:
                    self.failed[e] = time.monotonic()
            finally:
                with self.lock:
                    self.busy[e] -= 1
