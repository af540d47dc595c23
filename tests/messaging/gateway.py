"""A local SMS gateway for tests: http.server on 127.0.0.1 in a thread, recording requests.

It behaves like a provider that honours idempotency keys: a repeated key is answered with the
first id and not delivered again."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Gateway:
    def __init__(self, *, fail_first: int = 0, fail_status: int = 503, token: str = "tok"):
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.token = token
        self.requests: list[dict] = []
        self.delivered: dict[str, dict] = {}
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with gateway.lock:
                    gateway.requests.append(
                        {
                            "payload": payload,
                            "auth": self.headers.get("Authorization"),
                            "key": self.headers.get("Idempotency-Key"),
                        }
                    )
                    failing = len(gateway.requests) <= gateway.fail_first
                    if not failing:
                        key = self.headers.get("Idempotency-Key")
                        gateway.delivered.setdefault(key, {**payload, "id": f"gw-{key}"})
                status, body = (
                    (gateway.fail_status, {"error": "try later"})
                    if failing
                    else (200, {"id": gateway.delivered[self.headers["Idempotency-Key"]]["id"]})
                )
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/messages"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
