"""A local stand-in for the few GitHub REST endpoints the deploy tool calls, on 127.0.0.1 with a free port.

State is plain data the test sets up and inspects: which tokens exist (with their login and scopes), which
organizations own which repositories, and the hooks of each repository.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class TokenProfile:
    login: str
    scopes: str | None = "repo, admin:repo_hook"  # None: a fine-grained token, which reports no scopes


@dataclass
class GitHubState:
    tokens: dict[str, TokenProfile] = field(default_factory=dict)
    organizations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # org -> repositories
    hooks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # "owner/repo" -> hooks
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path) as received
    page_size: int = 2  # small, so pagination is exercised
    next_hook_id: int = 1


class FakeGitHub:
    def __init__(self) -> None:
        self.state = GitHubState()
        self._lock = threading.Lock()
        handler = _handler_for(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"

    def start(self) -> FakeGitHub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add_token(self, token: str, login: str, scopes: str | None = "repo, admin:repo_hook") -> None:
        self.state.tokens[token] = TokenProfile(login, scopes)

    def add_repositories(self, org: str, *names: str, archived: tuple[str, ...] = ()) -> None:
        repositories = self.state.organizations.setdefault(org, [])
        repositories += [{"name": name, "full_name": f"{org}/{name}", "archived": name in archived} for name in names]

    def handle(self, method: str, raw_path: str, token: str | None, body: Any) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            self.state.requests.append((method, raw_path))
            profile = self.state.tokens.get(token or "")
            if profile is None:
                return 401, {"message": "Bad credentials"}, {}
            return self._route(method, raw_path, profile, body)

    def _route(self, method: str, raw_path: str, profile: TokenProfile, body: Any) -> tuple[int, Any, dict[str, str]]:
        parts = urlsplit(raw_path)
        path, query = parts.path, parse_qs(parts.query)
        if method == "GET" and path == "/user":
            headers = {} if profile.scopes is None else {"X-OAuth-Scopes": profile.scopes}
            return 200, {"login": profile.login}, headers
        if match := re.fullmatch(r"/orgs/([^/]+)", path):
            return (200, {"login": match[1]}, {}) if match[1] in self.state.organizations else (404, _missing(), {})
        if match := re.fullmatch(r"/users/([^/]+)", path):
            return (200, {"login": match[1]}, {}) if match[1] == profile.login else (404, _missing(), {})
        if match := re.fullmatch(r"/orgs/([^/]+)/repos", path):
            if match[1] not in self.state.organizations:
                return 404, _missing(), {}
            return self._page(path, query, self.state.organizations[match[1]])
        if (match := re.fullmatch(r"/repos/([^/]+/[^/]+)/hooks(?:/\d+)?", path)) and not self._has_repository(match[1]):
            return 404, _missing(), {}  # GitHub's answer for a repository that is missing or not administrable
        if match := re.fullmatch(r"/repos/([^/]+/[^/]+)/hooks", path):
            hooks = self.state.hooks.setdefault(match[1], [])
            if method == "GET":
                return self._page(path, query, hooks)
            hook = {"id": self.state.next_hook_id, **body}
            self.state.next_hook_id += 1
            hooks.append(hook)
            return 201, hook, {}
        if (match := re.fullmatch(r"/repos/([^/]+/[^/]+)/hooks/(\d+)", path)) and method == "PATCH":
            for hook in self.state.hooks.get(match[1], []):
                if hook["id"] == int(match[2]):
                    hook.update(body)
                    return 200, hook, {}
            return 404, _missing(), {}
        return 404, _missing(), {}

    def _has_repository(self, full_name: str) -> bool:
        owner, _, name = full_name.partition("/")
        return any(repo["name"] == name for repo in self.state.organizations.get(owner, []))

    def _page(
        self, path: str, query: dict[str, list[str]], items: list[dict[str, Any]]
    ) -> tuple[int, Any, dict[str, str]]:
        # GitHub caps per_page at 100; this stand-in pages at page_size to exercise the Link header.
        page = int(query.get("page", ["1"])[0])
        size = self.state.page_size
        chunk = items[(page - 1) * size : page * size]
        headers = {}
        if page * size < len(items):
            kept = "&".join(f"{key}={value[0]}" for key, value in query.items() if key != "page")
            headers["Link"] = f'<{self.url}{path}?{kept}&page={page + 1}>; rel="next"'
        return 200, chunk, headers


def _missing() -> dict[str, str]:
    return {"message": "Not Found"}


def _handler_for(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            authorization = self.headers.get("Authorization", "")
            token = authorization.split(" ", 1)[1] if " " in authorization else None
            status, payload, headers = fake.handle(self.command, self.path, token, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = _serve  # noqa: N815 (http.server's naming)

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            return

    return Handler
