"""Creates the Atlantis webhook on every allowlisted repository, updating an existing one instead of duplicating it.

A hook is "ours" when its config.url is the Atlantis webhook URL; a re-run (or a changed secret) PATCHes it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass

from deploy.errors import DeployError
from deploy.github import GitHubClient, GitHubError

# The events Atlantis acts on (runatlantis.io, "Configuring Webhooks").
WEBHOOK_EVENTS = ("issue_comment", "pull_request", "pull_request_review", "push")


@dataclass(frozen=True)
class Repository:
    owner: str
    name: str

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(frozen=True)
class HookResult:
    repository: Repository
    action: str  # "created" or "updated"


def allowlisted_repositories(client: GitHubClient, patterns: Iterable[str]) -> tuple[list[Repository], list[str]]:
    """The repositories matching repo_allowlist patterns (host/owner/repo, where repo may hold * wildcards)."""
    repositories: dict[str, Repository] = {}
    notes: list[str] = []
    for pattern in patterns:
        parts = pattern.split("/")
        if len(parts) != 3 or "*" in parts[1] or not parts[1] or not parts[2]:
            notes.append(f"{pattern}: not of the form host/owner/repo with a literal owner; skipped")
            continue
        owner, repo_pattern = parts[1], parts[2]
        if "*" not in repo_pattern and "?" not in repo_pattern:
            repositories.setdefault(f"{owner}/{repo_pattern}".lower(), Repository(owner, repo_pattern))
            continue
        for name in _owner_repositories(client, owner):
            if fnmatch.fnmatchcase(name.lower(), repo_pattern.lower()):
                repositories.setdefault(f"{owner}/{name}".lower(), Repository(owner, name))
    return sorted(repositories.values(), key=lambda repo: repo.full_name.lower()), notes


def _owner_repositories(client: GitHubClient, owner: str) -> list[str]:
    """Names of the owner's repositories that can carry a hook (archived ones cannot)."""
    for path in (f"/orgs/{owner}/repos?type=all", f"/users/{owner}/repos?type=owner"):
        try:
            return [repo["name"] for repo in client.paginate(path) if not repo.get("archived")]
        except GitHubError as error:
            if error.status != 404:
                raise DeployError(f"listing the repositories of {owner}: {error}", "check the token") from None
    raise DeployError(f"GitHub has no organization or user {owner}", "fix repo_allowlist")


def ensure_webhooks(
    client: GitHubClient, repositories: Iterable[Repository], webhook_url: str, webhook_secret: str
) -> list[HookResult]:
    body = {
        "active": True,
        "events": list(WEBHOOK_EVENTS),
        "config": {"url": webhook_url, "content_type": "json", "secret": webhook_secret, "insecure_ssl": "0"},
    }
    results = []
    for repository in repositories:
        try:
            results.append(_ensure_hook(client, repository, webhook_url, body))
        except GitHubError as error:
            raise DeployError(
                f"webhook on {repository.full_name}: {error}",
                "the token needs admin rights on the repository (admin:repo_hook); hooks already set are kept, "
                "re-run to continue",
            ) from None
    return results


def _ensure_hook(client: GitHubClient, repository: Repository, webhook_url: str, body: dict[str, object]) -> HookResult:
    hooks_path = f"/repos/{repository.owner}/{repository.name}/hooks"
    for hook in client.paginate(hooks_path):
        if hook.get("config", {}).get("url") == webhook_url:
            client.request("PATCH", f"{hooks_path}/{hook['id']}", body)
            return HookResult(repository, "updated")
    client.request("POST", hooks_path, {"name": "web", **body})
    return HookResult(repository, "created")
