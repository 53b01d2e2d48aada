"""A local Atlantis stand-in whose /healthz answers 503 for the first ``unhealthy_answers`` requests, then 200.

It also answers as an HTTP proxy (``http_proxy`` pointing at it): then a request for ``http://<any host>/healthz``
reaches it with the absolute URL, and ``hosts`` records which host was asked for.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


class HealthServer:
    def __init__(self, unhealthy_answers: int) -> None:
        self.unhealthy_answers = unhealthy_answers
        self.requests = 0
        self.hosts: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"

    def __enter__(self) -> HealthServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, path: str) -> int:
        with self._lock:
            self.requests += 1
            if path != "/healthz":
                return 404
            return 503 if self.requests <= self.unhealthy_answers else 200


def _handler_for(server: HealthServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server.hosts.append(self.headers.get("Host", ""))
            status = server.answer(urlsplit(self.path).path)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
