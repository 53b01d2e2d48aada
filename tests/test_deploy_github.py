"""The GitHub token check and webhook creation against a local GitHub API stand-in."""

from __future__ import annotations

import re

import pytest

from deploy.errors import DeployError
from deploy.github import GitHubClient, GitHubError, check_owner, check_token
from deploy.webhooks import Repository, allowlisted_repositories, ensure_webhooks
from tests.deploy_fakes.github_api import FakeGitHub
from tests.deploy_fakes.helpers import fake_fine_grained_token, fake_github_token

pytest_plugins = ["tests.deploy_fakes.fixtures"]

WEBHOOK_URL = "https://atlantis.example.com/events"


@pytest.fixture
def client(fake_github: FakeGitHub) -> tuple[GitHubClient, str]:
    token = fake_github_token()
    fake_github.add_token(token, "acme-bot")
    return GitHubClient(token, fake_github.url), token


def test_a_classic_token_with_repo_scope_passes(client: tuple[GitHubClient, str]) -> None:
    github, token = client

    info = check_token(github, token, need_hooks=True)

    assert info.login == "acme-bot"
    assert info.scopes == frozenset({"repo", "admin:repo_hook"})


def test_creating_webhooks_needs_a_hook_scope(fake_github: FakeGitHub) -> None:
    token = fake_github_token()
    fake_github.add_token(token, "acme-bot", scopes="repo")
    github = GitHubClient(token, fake_github.url)

    assert check_token(github, token, need_hooks=False).login == "acme-bot"
    with pytest.raises(DeployError, match=r"lacks the scope\(s\) admin:repo_hook"):
        check_token(github, token, need_hooks=True)


def test_a_fine_grained_token_is_accepted_with_a_note(fake_github: FakeGitHub) -> None:
    token = fake_fine_grained_token()
    fake_github.add_token(token, "acme-bot", scopes=None)

    info = check_token(GitHubClient(token, fake_github.url), token, need_hooks=True)

    assert info.scopes is None
    assert "fine-grained token" in info.notes[0]


def test_a_revoked_token_is_reported_without_the_token(fake_github: FakeGitHub) -> None:
    token = fake_github_token()

    with pytest.raises(DeployError) as raised:
        check_token(GitHubClient(token, fake_github.url), token, need_hooks=False)

    assert "401 Bad credentials" in raised.value.problem
    assert token not in raised.value.line()


def test_an_unreachable_api_is_a_clear_error() -> None:
    token = fake_github_token()
    with pytest.raises(DeployError, match=re.escape("cannot reach http://127.0.0.1:9")):
        check_token(GitHubClient(token, "http://127.0.0.1:9", timeout=2), token, need_hooks=False)


def test_the_owner_may_be_an_organization_or_the_token_user(
    client: tuple[GitHubClient, str], fake_github: FakeGitHub
) -> None:
    github, _ = client
    fake_github.add_repositories("acme", "infra")

    assert check_owner(github, "acme") == "organization"
    assert check_owner(github, "acme-bot") == "user"
    with pytest.raises(DeployError, match='no organization or user "ghost"'):
        check_owner(github, "ghost")


def test_allowlist_patterns_expand_across_pages_and_skip_archived(
    client: tuple[GitHubClient, str], fake_github: FakeGitHub
) -> None:
    github, _ = client
    fake_github.add_repositories("acme", "infra", "infra-modules", "docs", "legacy", "tools", archived=("legacy",))

    repositories, notes = allowlisted_repositories(
        github, ["github.com/acme/*", "github.com/acme/infra", "github.com/*/x", "gitlab.com/group/sub/repo"]
    )

    assert [repo.full_name for repo in repositories] == [
        "acme/docs",
        "acme/infra",
        "acme/infra-modules",
        "acme/tools",
    ]
    assert len(notes) == 2
    assert ("GET", "/orgs/acme/repos?type=all&per_page=100&page=3") in fake_github.state.requests


def test_a_repository_wildcard_filters_by_name(client: tuple[GitHubClient, str], fake_github: FakeGitHub) -> None:
    github, _ = client
    fake_github.add_repositories("acme", "infra", "infra-modules", "docs")

    repositories, _ = allowlisted_repositories(github, ["github.com/acme/infra*"])

    assert [repo.name for repo in repositories] == ["infra", "infra-modules"]


def test_webhooks_are_created_once_then_updated_not_duplicated(
    client: tuple[GitHubClient, str], fake_github: FakeGitHub
) -> None:
    github, _ = client
    fake_github.add_repositories("acme", "infra", "modules")
    repositories = [Repository("acme", "infra"), Repository("acme", "modules")]
    fake_github.state.hooks["acme/infra"] = [
        {"id": 900, "config": {"url": "https://other.example.com/hook"}, "events": ["push"], "active": True}
    ]

    first = ensure_webhooks(github, repositories, WEBHOOK_URL, "first-" + "s" * 20)
    second = ensure_webhooks(github, repositories, WEBHOOK_URL, "second-" + "s" * 20)

    assert [result.action for result in first] == ["created", "created"]
    assert [result.action for result in second] == ["updated", "updated"]
    infra_hooks = fake_github.state.hooks["acme/infra"]
    assert [hook["config"]["url"] for hook in infra_hooks] == ["https://other.example.com/hook", WEBHOOK_URL]
    assert infra_hooks[1]["config"]["secret"] == "second-" + "s" * 20
    assert len(fake_github.state.hooks["acme/modules"]) == 1
    assert [method for method, path in fake_github.state.requests if path.startswith("/repos/acme/modules/hooks/")] == [
        "PATCH"
    ]


def test_a_repository_the_token_cannot_administer_is_reported(
    client: tuple[GitHubClient, str], fake_github: FakeGitHub
) -> None:
    github, _ = client
    fake_github.add_repositories("acme", "infra")

    with pytest.raises(DeployError) as raised:
        ensure_webhooks(github, [Repository("acme", "infra"), Repository("acme", "locked")], WEBHOOK_URL, "s" * 20)

    assert raised.value.problem == "webhook on acme/locked: GitHub /repos/acme/locked/hooks answered 404: Not Found"
    assert "admin:repo_hook" in raised.value.hint
    assert len(fake_github.state.hooks["acme/infra"]) == 1  # done before the failure, kept for the re-run


def test_the_token_is_never_sent_to_another_host(client: tuple[GitHubClient, str]) -> None:
    github, _ = client

    with pytest.raises(GitHubError, match="refusing to send the token"):
        github.request("GET", "https://elsewhere.example.com/user")
