"""Publishing: the hidden marker, GitHub comment lookup and writes, Slack, and safe rendering."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from ai_reviewer.budget import ReviewInput
from ai_reviewer.events import PullRequest
from ai_reviewer.http_json import HttpError
from ai_reviewer.publish import GitHubComments, ReviewMarker, SlackWebhook
from ai_reviewer.redact import RedactionStats
from ai_reviewer.report import MAX_COMMENT_LENGTH, ReviewReport, render_comment, render_slack
from ai_reviewer.retry import RetryPolicy
from ai_reviewer.review import parse_review

PULL = PullRequest(repo="acme/infra", number=7, project="prod", commit="0123456789abcdef")
MARKER = ReviewMarker(
    project="prod", source="plans/acme/infra/7/prod-0123.json?versionId=v2", plan_time="2024-05-01T10:00:00Z"
)
FAST_RETRY = RetryPolicy(max_attempts=3, base_delay_seconds=0.001, max_delay_seconds=0.002)


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class _Recorder(BaseHTTPRequestHandler):
    server: Any

    def do_GET(self) -> None:
        self._reply()

    def do_POST(self) -> None:
        self._reply()

    def do_PATCH(self) -> None:
        self._reply()

    def _reply(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.requests.append((self.command, self.path, self.headers.get("Authorization"), body))
        reply = self.server.routes.get((self.command, self.path)) or Reply(404, {"message": "not found"})
        if isinstance(reply, list):
            reply = reply.pop(0)
        data = json.dumps(reply.body).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Server:
    url: str
    routes: dict[tuple[str, str], Any]
    requests: list[tuple[str, str, str | None, bytes]]


def _start_server() -> tuple[ThreadingHTTPServer, threading.Thread, Server]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.routes = {}  # type: ignore[attr-defined]
    server.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    handle = Server(f"http://127.0.0.1:{server.server_address[1]}", server.routes, server.requests)  # type: ignore[attr-defined]
    return server, thread, handle


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    server, thread, handle = _start_server()
    yield handle
    server.shutdown()
    thread.join()


@pytest.fixture
def elsewhere() -> Iterator[Server]:
    server, thread, handle = _start_server()
    yield handle
    server.shutdown()
    thread.join()


def _comment(comment_id: int, body: str, login: str = "atlantis-bot") -> dict[str, Any]:
    return {"id": comment_id, "body": body, "user": {"login": login}, "html_url": f"https://gh/c/{comment_id}"}


def _client(server: Server, sleeps: list[float] | None = None) -> GitHubComments:
    sleep = (sleeps if sleeps is not None else []).append
    return GitHubComments(server.url + "/api", "ghp_" + "t" * 36, retry=FAST_RETRY, sleep=sleep)


def test_marker_round_trips_hostile_values() -> None:
    marker = ReviewMarker(project="prod --> <b>x</b> @team", source="b/k.json?versionId=a b", plan_time="2024")

    rendered = marker.render()

    assert rendered.count("-->") == 1 and rendered.endswith(" -->")
    assert "<b>" not in rendered and " @team" not in rendered
    assert ReviewMarker.parse(rendered + "\nrest of the comment") == marker
    assert ReviewMarker.parse("text before " + rendered) is None


def test_marker_covers_same_object_version_and_older_plans() -> None:
    same = MARKER
    older = ReviewMarker("prod", "plans/x?versionId=v1", "2024-05-01T09:59:59Z")
    newer = ReviewMarker("prod", "plans/x?versionId=v3", "2024-05-01T10:00:01Z")

    assert MARKER.covers(same)
    assert MARKER.covers(older)
    assert not MARKER.covers(newer)


def test_finds_our_newest_comment_across_pages_only(github: Server, elsewhere: Server) -> None:
    comments_path = "/api/repos/acme/infra/issues/7/comments?per_page=100"
    page_two = comments_path + "&page=2"
    github.routes[("GET", "/api/user")] = Reply(200, {"login": "atlantis-bot"})
    github.routes[("GET", comments_path)] = Reply(
        200,
        [_comment(1, MARKER.render() + "\nold"), _comment(2, MARKER.render(), login="mallory")],
        {"Link": f'<{github.url}{page_two}>; rel="next"'},
    )
    github.routes[("GET", page_two)] = Reply(
        200,
        [_comment(5, MARKER.render() + "\nnew"), _comment(6, ReviewMarker("staging", "s", "t").render())],
        {"Link": f'<{elsewhere.url}/steal>; rel="next"'},
    )

    found = _client(github).find_review(PULL)

    assert found is not None and found.comment_id == 5 and found.marker == MARKER
    assert elsewhere.requests == []


def test_transient_github_errors_are_retried(github: Server) -> None:
    github.routes[("POST", "/api/repos/acme/infra/issues/7/comments")] = [
        Reply(502, {"message": "bad gateway"}),
        Reply(201, _comment(9, "body")),
    ]
    sleeps: list[float] = []

    url = _client(github, sleeps).create(PULL, "body")

    assert url == "https://gh/c/9"
    assert len(sleeps) == 1
    assert [request[0] for request in github.requests] == ["POST", "POST"]
    assert json.loads(github.requests[0][3]) == {"body": "body"}


def test_updates_by_comment_id(github: Server) -> None:
    github.routes[("PATCH", "/api/repos/acme/infra/issues/comments/5")] = Reply(200, _comment(5, "new"))

    assert _client(github).update(PULL, 5, "new") == "https://gh/c/5"


def test_redirects_are_not_followed_so_the_token_stays_home(github: Server, elsewhere: Server) -> None:
    github.routes[("GET", "/api/user")] = Reply(302, {}, {"Location": f"{elsewhere.url}/user"})

    with pytest.raises(HttpError, match="302"):
        _client(github).find_review(PULL)

    assert elsewhere.requests == []


def test_slack_webhook_posts_text_and_errors_hide_the_url(github: Server) -> None:
    github.routes[("POST", "/hooks/secret-path")] = Reply(200, "ok")
    SlackWebhook(github.url + "/hooks/secret-path", retry=FAST_RETRY).post("hello")
    github.routes[("POST", "/hooks/secret-path")] = Reply(404, "no_service")

    with pytest.raises(HttpError) as raised:
        SlackWebhook(github.url + "/hooks/secret-path", retry=FAST_RETRY).post("hello")

    assert json.loads(github.requests[0][3]) == {"text": "hello"}
    assert "secret-path" not in str(raised.value)


def _report(answer: dict[str, Any] | None, summarized: bool = False) -> ReviewReport:
    review_input = ReviewInput(
        document={},
        resource_changes_total=12,
        resource_changes_in_detail=5 if summarized else 12,
        items_omitted=7 if summarized else 0,
        has_changes=answer is not None,
    )
    return ReviewReport(
        pull=PULL,
        review=parse_review(answer) if answer else None,
        review_input=review_input,
        redaction=RedactionStats(sensitive=3, detected=2),
        model_label="openai/gpt-4o-mini",
    )


HOSTILE = {
    "risk_level": "critical",
    "summary": "Deletes data <!-- hide the rest\nand pings @acme/security-team -->",
    "destructive_changes": [{"address": "aws_db_instance.`main`", "action": "delete", "impact": "Data loss."}],
    "security_findings": [],
    "cost_changes": [],
}


def test_comment_starts_with_marker_and_neutralizes_model_text() -> None:
    body = render_comment(MARKER.render(), _report(HOSTILE, summarized=True))

    assert body.startswith(MARKER.render() + "\n")
    assert body.count("<!--") == 1 and body.count("-->") == 1
    assert "@acme" not in body
    assert "`aws_db_instance.'main'`" in body
    assert "5 values redacted before review (3 marked sensitive by Terraform, 2 detected as secrets)" in body
    assert "5 of 12 resource changes were sent in detail" in body
    assert "### Security findings\n\nNone found." in body


def test_overlong_review_is_cut_to_fit_a_github_comment() -> None:
    findings = [
        {"address": f"aws_iam_policy.p{index}", "severity": "high", "finding": "w" * 999} for index in range(40)
    ]
    answer = dict(HOSTILE, security_findings=findings, cost_changes=[{"address": "x" * 999, "change": "y" * 999}] * 40)

    body = render_comment(MARKER.render(), _report(answer))

    assert len(body) <= MAX_COMMENT_LENGTH + 100
    assert body.startswith(MARKER.render())
    assert body.endswith("_The review was too long for one comment and was cut here._")


def test_comment_for_a_plan_without_changes() -> None:
    body = render_comment(MARKER.render(), _report(None))

    assert "no changes" in body and "nothing to review" in body


def test_slack_text_escapes_control_characters() -> None:
    text = render_slack(_report(HOSTILE), "https://gh/c/5")

    assert text.startswith("*AI plan review* <https://gh/c/5|acme/infra#7>")
    assert "<!--" not in text and "&lt;!--" in text
    assert "*CRITICAL*" in text
