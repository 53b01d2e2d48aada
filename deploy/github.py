"""A small GitHub REST client (urllib only) for the token check and webhook setup.

It talks to ``GITHUB_API_URL`` (GitHub Enterprise, or a local stand-in in tests), else https://api.github.com.
The token travels only in the Authorization header of HTTPS requests; it is never part of a message.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from deploy.errors import DeployError

DEFAULT_API_URL = "https://api.github.com"
MAX_PAGES = 50  # 5,000 repositories or hooks: far beyond an allowlist, and a bound on a misbehaving server
_NEXT_LINK = re.compile(r'<([^>]+)>;\s*rel="next"')


@dataclass(frozen=True)
class GitHubResponse:
    status: int
    headers: Mapping[str, str]
    data: Any


class GitHubError(Exception):
    def __init__(self, status: int, message: str, path: str = "") -> None:
        self.status = status  # 0 when the server could not be reached
        self.message = message
        self.path = path
        where = f" {path}" if path else ""
        super().__init__(f"GitHub{where} answered {status}: {message}" if status else message)


class GitHubClient:
    def __init__(self, token: str, api_url: str | None = None, timeout: float = 15.0) -> None:
        self._token = token
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        self._timeout = timeout
        if urllib.parse.urlsplit(self.api_url).scheme not in ("http", "https"):
            raise DeployError(f"GITHUB_API_URL {self.api_url} is not an http(s) URL", "fix GITHUB_API_URL")

    @classmethod
    def from_environment(cls, token: str, environ: Mapping[str, str]) -> GitHubClient:
        return cls(token, environ.get("GITHUB_API_URL") or None)

    def request(self, method: str, path: str, body: Any = None) -> GitHubResponse:
        url = path if "://" in path else f"{self.api_url}{path}"
        if not url.startswith(f"{self.api_url}/"):  # e.g. a Link header pointing elsewhere: the token stays home
            raise GitHubError(0, f"refusing to send the token to {url.split('?')[0]}", _path_of(url))
        data = json.dumps(body).encode() if body is not None else None
        # The URL is under api_url, whose scheme was checked to be http(s).
        request = urllib.request.Request(url, data=data, method=method, headers=self._headers(data is not None))  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                payload = response.read()
                return GitHubResponse(response.status, dict(response.headers), json.loads(payload) if payload else None)
        except urllib.error.HTTPError as error:
            raise GitHubError(error.code, _message(error.read()), _path_of(url)) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise GitHubError(0, f"cannot reach {self.api_url}: {reason}", _path_of(url)) from None

    def paginate(self, path: str) -> Iterator[Any]:
        """Every item of a list endpoint, following the Link: rel="next" header for at most MAX_PAGES pages."""
        separator = "&" if "?" in path else "?"
        next_url: str | None = f"{path}{separator}per_page=100"
        for _ in range(MAX_PAGES):
            if next_url is None:
                return
            response = self.request("GET", next_url)
            yield from response.data or []
            match = _NEXT_LINK.search(_header(response.headers, "Link") or "")
            next_url = match.group(1) if match else None
        raise DeployError(f"GitHub {path} has more than {MAX_PAGES} pages", "narrow repo_allowlist")

    def _headers(self, has_body: bool) -> dict[str, str]:
        headers = {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {self._token}",
            "User-Agent": "stackkit-atlantis-quick-deploy",
            "X-GitHub-Api-Version": "2022-11-28",
        }
        if has_body:
            headers["Content-Type"] = "application/json"
        return headers


def _message(payload: bytes) -> str:
    try:
        data = json.loads(payload)
    except ValueError:
        return payload.decode(errors="replace")[:200] or "no message"
    return str(data.get("message", "no message")) if isinstance(data, dict) else "no message"


def _path_of(url: str) -> str:
    return urllib.parse.urlsplit(url).path


@dataclass(frozen=True)
class TokenInfo:
    login: str | None
    scopes: frozenset[str] | None  # None for fine-grained and installation tokens: GitHub reports no scopes
    notes: tuple[str, ...] = ()


HOOK_SCOPES = frozenset({"admin:repo_hook", "write:repo_hook"})


def check_token(client: GitHubClient, token: str, *, need_hooks: bool) -> TokenInfo:
    """The token is valid and, for classic tokens, carries the scopes Atlantis needs (repo; hooks to create them)."""
    if token.startswith("ghs_"):
        return _check_installation_token(client)
    try:
        response = client.request("GET", "/user")
    except GitHubError as error:
        if error.status == 401:
            raise DeployError(
                "GitHub rejected the token (401 Bad credentials): it is wrong, expired or revoked",
                "create a new token and set ATLANTIS_GITHUB_TOKEN",
            ) from None
        raise DeployError(f"checking the GitHub token: {error}", "check GITHUB_API_URL and the network") from None
    login = str(response.data.get("login")) if isinstance(response.data, dict) else None
    header = _header(response.headers, "X-OAuth-Scopes")
    if header is None:
        note = (
            "fine-grained token: GitHub reports no scopes; it needs Contents, Pull requests, Issues and Commit "
            "statuses read/write (and Webhooks read/write for --create-webhooks) on the allowlisted repositories"
        )
        return TokenInfo(login, None, (note,))
    scopes = frozenset(scope.strip() for scope in header.split(",") if scope.strip())
    missing = [] if "repo" in scopes else ["repo"]
    if need_hooks and not scopes & HOOK_SCOPES:
        missing.append("admin:repo_hook")
    if missing:
        raise DeployError(
            f"the GitHub token lacks the scope(s) {', '.join(missing)} (it has: {', '.join(sorted(scopes)) or 'none'})",
            "add them at https://github.com/settings/tokens and re-run",
        )
    return TokenInfo(login, scopes)


def _check_installation_token(client: GitHubClient) -> TokenInfo:
    try:
        client.request("GET", "/installation/repositories?per_page=1")
    except GitHubError as error:
        raise DeployError(f"GitHub rejected the app installation token: {error}", "create a new token") from None
    note = "app installation token (ghs_): it expires after one hour, so Atlantis will lose access; prefer a PAT"
    return TokenInfo(None, None, (note,))


def check_owner(client: GitHubClient, owner: str) -> str:
    """``owner`` exists as an organization (or, for a personal setup, a user); returns which."""
    for kind, path in (("organization", f"/orgs/{owner}"), ("user", f"/users/{owner}")):
        try:
            client.request("GET", path)
        except GitHubError as error:
            if error.status == 404:
                continue
            raise DeployError(f"looking up {owner} on GitHub: {error}", "check the token and GITHUB_API_URL") from None
        return kind
    raise DeployError(
        f'GitHub has no organization or user "{owner}" visible to this token',
        "check --org (org_name) and that the token's user is a member",
    )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None
