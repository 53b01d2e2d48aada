"""Model back ends: request bodies, answer parsing, error classification and bounded retries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from ai_reviewer.pipeline import ask_model, create_model, prepare_review
from ai_reviewer.prompt import build_prompt
from ai_reviewer.providers import REVIEW_TOOL_NAME, BedrockModel, ModelError, OpenAIModel, TransientModelError
from ai_reviewer.redact import redact_plan
from ai_reviewer.retry import RetryPolicy, call_with_retries
from ai_reviewer.review import MAX_ITEMS_PER_LIST, MAX_TEXT_LENGTH, InvalidReviewError, parse_review
from ai_reviewer.settings import Settings
from botocore.stub import Stubber

FIXTURES = Path(__file__).parent / "fixtures" / "plans"
REVIEW = {
    "risk_level": "medium",
    "summary": "Resizes the database.",
    "destructive_changes": [],
    "security_findings": [{"address": "aws_security_group.web", "severity": "high", "finding": "Open SSH."}],
    "cost_changes": [{"address": "aws_db_instance.orders", "change": "Larger instance."}],
}
FAST_RETRY = RetryPolicy(max_attempts=3, base_delay_seconds=0.001, max_delay_seconds=0.002)


def _prompt() -> Any:
    plan = json.loads((FIXTURES / "no_changes.json").read_text())
    plan["resource_changes"][0]["change"]["actions"] = ["update"]
    return build_prompt(redact_plan(plan).plan, 60000)


class _OpenAIStandIn(BaseHTTPRequestHandler):
    replies: list[tuple[int, Any]] = []
    bodies: list[Any] = []

    def do_POST(self) -> None:
        type(self).bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        status, payload = type(self).replies.pop(0)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def openai_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    _OpenAIStandIn.replies = []
    _OpenAIStandIn.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OpenAIStandIn)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    thread.join()


def _completion(content: str | None, finish_reason: str = "stop", refusal: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
                "finish_reason": finish_reason,
            }
        ],
    }


def _openai(url: str) -> OpenAIModel:
    return OpenAIModel("gpt-4o-mini", 500, api_key="sk-test-" + "x" * 20, base_url=url, timeout_seconds=2)


def test_openai_receives_exactly_the_previewed_body(openai_url: str) -> None:
    model = _openai(openai_url)
    request = model.build_request(_prompt())
    _OpenAIStandIn.replies = [(200, _completion(json.dumps(REVIEW)))]

    answer = model.send(request)

    assert _OpenAIStandIn.bodies == [request]
    assert answer == REVIEW


@pytest.mark.parametrize(
    ("reply", "transient"),
    [
        ((429, {"error": {"message": "rate limited"}}), True),
        ((500, {"error": {"message": "server error"}}), True),
        ((503, {"error": {"message": "unavailable"}}), True),
        ((400, {"error": {"message": "bad request"}}), False),
        ((401, {"error": {"message": "bad key"}}), False),
        ((200, _completion("{}", finish_reason="length")), False),
        ((200, _completion(None, refusal="I cannot help")), False),
        ((200, _completion("not json")), False),
    ],
)
def test_openai_failures_are_classified(openai_url: str, reply: tuple[int, Any], transient: bool) -> None:
    model = _openai(openai_url)
    _OpenAIStandIn.replies = [reply]

    with pytest.raises(ModelError) as raised:
        model.send(model.build_request(_prompt()))

    assert isinstance(raised.value, TransientModelError) is transient
    assert "sk-test" not in str(raised.value)


def test_openai_answer_in_a_markdown_fence_is_accepted(openai_url: str) -> None:
    model = _openai(openai_url)
    _OpenAIStandIn.replies = [(200, _completion("```json\n" + json.dumps(REVIEW) + "\n```"))]

    assert model.send(model.build_request(_prompt())) == REVIEW


def _bedrock() -> tuple[BedrockModel, Stubber]:
    client = boto3.client(
        "bedrock-runtime", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    return BedrockModel("anthropic.claude-3-5-haiku-20241022-v1:0", 500, client=client), Stubber(client)


def _converse_reply(content: list[dict[str, Any]], stop_reason: str = "tool_use") -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop_reason,
        "usage": {"inputTokens": 10, "outputTokens": 10, "totalTokens": 20},
        "metrics": {"latencyMs": 5},
    }


def test_bedrock_forces_the_review_tool_and_reads_its_input() -> None:
    model, stubber = _bedrock()
    request = model.build_request(_prompt())
    tool_use = {"toolUse": {"toolUseId": "t1", "name": REVIEW_TOOL_NAME, "input": REVIEW}}
    stubber.add_response("converse", _converse_reply([tool_use]), expected_params=request)

    with stubber:
        answer = model.send(request)

    assert answer == REVIEW
    assert request["toolConfig"]["toolChoice"] == {"tool": {"name": REVIEW_TOOL_NAME}}
    assert request["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"]["required"] == list(REVIEW)


def test_bedrock_text_answer_is_accepted() -> None:
    model, stubber = _bedrock()
    stubber.add_response("converse", _converse_reply([{"text": json.dumps(REVIEW)}], "end_turn"))

    with stubber:
        assert model.send(model.build_request(_prompt())) == REVIEW


def test_bedrock_throttling_is_retried_and_validation_errors_are_not() -> None:
    model, stubber = _bedrock()
    request = model.build_request(_prompt())
    tool_use = {"toolUse": {"toolUseId": "t1", "name": REVIEW_TOOL_NAME, "input": REVIEW}}
    stubber.add_client_error("converse", service_error_code="ThrottlingException", http_status_code=429)
    stubber.add_client_error("converse", service_error_code="ModelTimeoutException", http_status_code=408)
    stubber.add_response("converse", _converse_reply([tool_use]))
    stubber.add_client_error("converse", service_error_code="ValidationException", http_status_code=400)
    sleeps: list[float] = []

    with stubber:
        review = ask_model(model, request, FAST_RETRY, sleeps.append)
        with pytest.raises(ModelError) as raised:
            ask_model(model, request, FAST_RETRY, sleeps.append)

    assert review.risk_level == "medium"
    assert len(sleeps) == 2
    assert not isinstance(raised.value, TransientModelError)
    assert "ValidationException" in str(raised.value)
    stubber.assert_no_pending_responses()


def test_bedrock_cut_off_answer_is_an_error() -> None:
    model, stubber = _bedrock()
    stubber.add_response("converse", _converse_reply([{"text": "{"}], "max_tokens"))

    with stubber, pytest.raises(ModelError, match="cut off"):
        model.send(model.build_request(_prompt()))


def test_retries_are_bounded_and_back_off_exponentially() -> None:
    policy = RetryPolicy(max_attempts=5, base_delay_seconds=1.0, max_delay_seconds=3.0)
    calls: list[int] = []
    sleeps: list[float] = []

    def always_transient() -> None:
        calls.append(1)
        raise TransientModelError("busy")

    with pytest.raises(TransientModelError):
        call_with_retries(
            always_transient,
            is_transient=lambda error: isinstance(error, TransientModelError),
            policy=policy,
            what="test",
            sleep=sleeps.append,
        )

    assert len(calls) == 5
    ceilings = [1.0, 2.0, 3.0, 3.0]
    assert [ceiling / 2 <= delay <= ceiling for delay, ceiling in zip(sleeps, ceilings, strict=True)] == [True] * 4


def test_permanent_errors_are_not_retried() -> None:
    calls: list[int] = []

    def permanent() -> None:
        calls.append(1)
        raise ModelError("bad request")

    with pytest.raises(ModelError):
        call_with_retries(permanent, is_transient=lambda error: False, policy=FAST_RETRY, what="test")

    assert calls == [1]


def test_review_is_validated_and_bounded() -> None:
    long_text = "x" * (MAX_TEXT_LENGTH + 50)
    answer = dict(
        REVIEW,
        risk_level=" HIGH ",
        cost_changes=[{"address": f"r{index}", "change": long_text} for index in range(MAX_ITEMS_PER_LIST + 5)],
    )

    review = parse_review(answer)

    assert review.risk_level == "high"
    assert len(review.cost_changes) == MAX_ITEMS_PER_LIST
    assert len(review.cost_changes[0].change) == MAX_TEXT_LENGTH
    for broken in ({**REVIEW, "risk_level": "none"}, {**REVIEW, "security_findings": "none"}, [REVIEW]):
        with pytest.raises(InvalidReviewError):
            parse_review(broken)


def test_openai_sdk_is_imported_only_when_sending() -> None:
    script = (
        "import sys, json\n"
        "from ai_reviewer import handler\n"
        "from ai_reviewer.pipeline import create_model, prepare_review\n"
        "from ai_reviewer.settings import Settings\n"
        "plan = json.load(open(sys.argv[1]))\n"
        "prepare_review(plan, create_model(Settings.from_env({})), 60000)\n"
        "print('openai' in sys.modules)\n"
    )
    env = dict(os.environ, PYTHONPATH="lambda")
    result = subprocess.run(
        [sys.executable, "-c", script, str(FIXTURES / "sensitive_and_secrets.json")],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).parent.parent,
        check=True,
    )

    assert result.stdout.strip() == "False"


def test_bedrock_settings_need_an_explicit_model() -> None:
    settings = Settings.from_env({"AI_PROVIDER": "bedrock", "AI_MODEL": "apac.anthropic.claude-3-5-sonnet"})

    model = create_model(settings)
    prepared = prepare_review(json.loads((FIXTURES / "sensitive_and_secrets.json").read_text()), model, 60000)

    assert model.label == "bedrock/apac.anthropic.claude-3-5-sonnet"
    assert prepared.request is not None and prepared.request["modelId"] == "apac.anthropic.claude-3-5-sonnet"
