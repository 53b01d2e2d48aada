"""moto's ThreadedMotoServer on 127.0.0.1, plus a record of every AWS operation it served.

The record is what lets a test say "this run changed nothing in AWS": it lists the operations, and an operation
that is not a read (Get/Describe/List/Head/...) is a change.
"""

from __future__ import annotations

import io
import json
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from moto.server import ThreadedMotoServer

READ_PREFIXES = ("Get", "Describe", "List", "Head", "BatchGet", "Filter", "Query", "Scan")


@dataclass(frozen=True)
class Operation:
    service: str
    name: str  # e.g. "CreateTable", or "PUT /bucket?versioning" for S3
    body: dict[str, Any] = field(default_factory=dict)  # parsed JSON-protocol body, for assertions

    @property
    def changes_something(self) -> bool:
        if self.service == "s3":
            return not self.name.startswith(("GET ", "HEAD "))
        return not self.name.startswith(READ_PREFIXES)


class OperationLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._operations: list[Operation] = []

    def add(self, operation: Operation) -> None:
        with self._lock:
            self._operations.append(operation)

    def clear(self) -> None:
        with self._lock:
            self._operations.clear()

    @property
    def operations(self) -> list[Operation]:
        with self._lock:
            return list(self._operations)

    def changes(self) -> list[Operation]:
        return [operation for operation in self.operations if operation.changes_something]

    def named(self, name: str) -> list[Operation]:
        return [operation for operation in self.operations if operation.name == name]


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _recording(app: WsgiApp, log: OperationLog) -> WsgiApp:
    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        operation = _operation(environ, body)
        if operation is not None:
            log.add(operation)
        return app(environ, start_response)

    return middleware


def _operation(environ: dict[str, Any], body: bytes) -> Operation | None:
    path = environ.get("PATH_INFO", "")
    if path.startswith("/moto-api"):
        return None
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    scope = authorization.split("Credential=")[-1].split(",")[0].split("/")
    service = scope[3] if len(scope) > 3 else "unknown"
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        try:
            parsed = json.loads(body or b"{}")
        except ValueError:
            parsed = {}
        return Operation(service, target.split(".")[-1], parsed)
    if service == "s3":
        query = environ.get("QUERY_STRING", "")
        return Operation(service, f"{environ['REQUEST_METHOD']} {path}" + (f"?{query}" if query else ""))
    form = urllib.parse.parse_qs(body.decode(errors="replace")) if body else {}
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    action = (form.get("Action") or query.get("Action") or ["Unknown"])[0]
    return Operation(service, action)


class RecordingMotoServer:
    def __init__(self) -> None:
        self.log = OperationLog()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)

    def start(self) -> str:
        self._server.start()
        # Wrap moto's WSGI app once the server exists; ThreadedMotoServer has no hook for middleware.
        wsgi_server = self._server._server
        assert wsgi_server is not None
        wsgi_server.app = _recording(wsgi_server.app, self.log)
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        return self.endpoint

    def reset(self) -> None:
        """Forget every resource and every recorded operation (moto's own reset API)."""
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=60):  # rebuilding IAM with AWS-managed policies takes a while
            pass
        self.log.clear()

    def set_transition(self, model: str, transition: dict[str, Any] | None) -> None:
        """Configure (or with None, restore) how fast a moto model moves through its states."""
        action = "set-transition" if transition else "unset-transition"
        payload = {"model_name": model, **({"transition": transition} if transition else {})}
        request = urllib.request.Request(
            f"{self.endpoint}/moto-api/state-manager/{action}", method="POST", data=json.dumps(payload).encode()
        )
        with urllib.request.urlopen(request, timeout=10):
            pass

    def stop(self) -> None:
        self._server.stop()
