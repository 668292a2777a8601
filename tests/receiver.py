"""A webhook receiver on a real HTTP server, as a user's program runs one."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx


class Receiver:
    """Records every request (path, headers looked up in any case, raw body,
    its JSON, the status answered). Answers `statuses` in turn, then
    `status` (which a test may change while it runs)."""

    def __init__(self, port: int = 0, status: int = 200, statuses=()) -> None:
        self.requests: list[dict] = []
        self.status = status
        self.statuses = list(statuses)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = outer.statuses.pop(0) if outer.statuses else outer.status
                outer.requests.append(
                    {"path": self.path, "headers": httpx.Headers(list(self.headers.items())), "raw": body, "json": json.loads(body), "status": status}
                )
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, pred, timeout: float = 30.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pred(self.requests):
                return self.requests
            time.sleep(0.02)
        raise AssertionError(f"receiver got {[r['headers'].get('x-emulator-event-id') for r in self.requests]}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
