"""The request bodies Vast's own package (PyPI vastai 1.9.1, unchanged) sends for Vast Serverless,
captured with a stand-in transport object in place of its HTTP client: vastai.api.endpoints' functions
(the CLI's) and the SDK's EndpointConfig/WorkergroupConfig. Prints {name: {method, path, body}} as JSON."""
import json

from vastai.api import endpoints
from vastai.data.endpoint import EndpointConfig
from vastai.data.workergroup import WorkergroupConfig


class Capture:
    api_key = "k"
    server_url = "https://console.vast.ai"

    def __init__(self):
        self.calls = []

    def _call(self, method, path, json_data=None, **_):
        self.calls.append({"method": method, "path": path, "body": json_data})

        class R:
            status_code = 200

            def raise_for_status(self):
                pass

            def json(self):
                return {"success": True, "results": [], "result": 1, "id": 1}
        return R()

    def get(self, path, **kw):
        return self._call("GET", path, **kw)

    def post(self, path, **kw):
        return self._call("POST", path, **kw)

    def put(self, path, **kw):
        return self._call("PUT", path, **kw)

    def delete(self, path, **kw):
        return self._call("DELETE", path, **kw)


c = Capture()
out = {}
endpoints.create_endpoint(c, endpoint_name="ep", cold_workers=1, max_workers=2, max_queue_time=30.0, target_queue_time=10.0, inactivity_timeout=300.0)
out["create_endpoint"] = c.calls[-1]
endpoints.update_endpoint(c, 7, endpoint_name="ep", cold_workers=1, max_workers=2)
out["update_endpoint"] = c.calls[-1]
endpoints.delete_endpoint(c, 7)
out["delete_endpoint"] = c.calls[-1]
endpoints.create_workergroup(c, endpoint_id=7, endpoint_name="ep", launch_args="--image x:1", search_params="gpu_ram>=16", gpu_ram=16.0)
out["create_workergroup"] = c.calls[-1]
endpoints.update_workergroup(c, 9, endpoint_id=7, launch_args="--image x:1", search_params="gpu_ram>=16")
out["update_workergroup"] = c.calls[-1]
endpoints.delete_workergroup(c, 9)
out["delete_workergroup"] = c.calls[-1]
out["sdk_endpoint_config"] = {"body": EndpointConfig(endpoint_name="ep", cold_workers=1, max_workers=2, min_load=0.0, min_cold_load=0.0, target_util=0.9, cold_mult=1.0, max_queue_time=30.0, target_queue_time=10.0, autoscaler_instance="prod", inactivity_timeout=300.0).to_dict()}
out["sdk_workergroup_config"] = {"body": WorkergroupConfig(search_params="gpu_ram>=16", endpoint_id=7, endpoint_name="ep", launch_args="--image x:1", max_workers=2, gpu_ram=16.0, autoscaler_instance="prod").to_dict()}


def route_body():
    """Vast's client's /route/ call against a local recorder (Endpoint._route, unchanged)."""
    import asyncio
    import http.server
    import threading

    seen = {}

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # Vast's client downloads its root certificate first: any PEM bundle will do
            pem = open("/etc/ssl/certs/ca-certificates.crt", "rb").read()
            self.send_response(200)
            self.end_headers()
            self.wfile.write(pem)

        def do_POST(self):
            seen.update(path=self.path, auth=self.headers.get("Authorization"), body=json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            data = json.dumps({"url": "https://127.0.0.1:1", "request_idx": 1}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_address[1]}"
    from vastai.serverless.client.client import Serverless
    from vastai.serverless.client.endpoint import Endpoint

    async def go():
        Serverless.SSL_CERT_URL = url + "/root.cer"
        async with Serverless(api_key="k", autoscaler_url=url, webserver_url=url) as client:
            await Endpoint(client, name="ep", id=7, api_key="k")._route(cost=100, req_idx=0)
    asyncio.run(go())
    srv.shutdown()
    return {"method": "POST", "path": seen["path"], "body": seen["body"], "auth": seen["auth"]}


out["route"] = route_body()
print(json.dumps(out))
