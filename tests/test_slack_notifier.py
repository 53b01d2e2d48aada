"""The Slack notifier Lambda against a local stand-in for Slack and moto's Secrets Manager.

Every test runs with logs captured at DEBUG and checks on teardown that the webhook URL (and its secret
path) never reached them.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from slack_notifier import webhook_secret
from slack_notifier.blocks import (
    FIELD_TEXT_LIMIT,
    FIELDS_PER_SECTION,
    HEADER_TEXT_LIMIT,
    MESSAGE_TEXT_LIMIT,
    SECTION_TEXT_LIMIT,
)
from slack_notifier.handler import handler
from slack_notifier.messages import build_slack_message
from slack_notifier.settings import ConfigurationError, MessageContext, RetryPolicy, Settings
from slack_notifier.slack_client import SlackDeliveryError, retry_delay
from slack_notifier.webhook_secret import WebhookSecretError

EVENTS = Path(__file__).parent / "fixtures" / "events"
REGION = "ap-northeast-2"
SECRET_NAME = "prod-atlantis-secrets"
ALARM_CONSOLE_URL = (
    "https://ap-northeast-2.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-2"
    "#alarmsV2:alarm/prod-atlantis-cpu-high"
)
SEOUL = MessageContext(environment="prod", default_region=REGION)


def load_event(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return document


def sns_event(*messages: str, subject: str | None = None) -> dict[str, Any]:
    """An SNS Lambda event shaped like the fixture envelope, one record per message."""
    envelope = load_event("sns-lambda-event.json")
    template = envelope["Records"][0]
    records = []
    for index, body in enumerate(messages):
        record = copy.deepcopy(template)
        record["Sns"].update(Message=body, Subject=subject, MessageId=f"00000000-0000-0000-0000-{index:012d}")
        records.append(record)
    return {"Records": records}


def alarm_event(name: str) -> dict[str, Any]:
    alarm = load_event(name)
    return sns_event(json.dumps(alarm), subject=f'{alarm["NewStateValue"]}: "{alarm["AlarmName"]}" in Seoul')


class FakeLambdaContext:
    def __init__(self, remaining_millis: int = 30_000) -> None:
        self.remaining_millis = remaining_millis

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


# --- the local Slack stand-in ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ScriptedReply:
    status: int
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)


class FakeSlack:
    """Records what was posted and answers with scripted replies, then 200 "ok" once they run out."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.content_types: list[str] = []
        self.replies: deque[ScriptedReply] = deque()
        self.always: ScriptedReply | None = None
        self.lock = threading.Lock()
        self.webhook_url = ""

    def reply(self, *replies: ScriptedReply) -> None:
        self.replies.extend(replies)

    def next_reply(self, body: bytes, content_type: str) -> ScriptedReply:
        with self.lock:
            self.bodies.append(body)
            self.content_types.append(content_type)
            if self.replies:
                return self.replies.popleft()
            return self.always or ScriptedReply(200)

    @property
    def payloads(self) -> list[dict[str, Any]]:
        payloads = [json.loads(body) for body in self.bodies]
        for payload in payloads:
            assert_within_slack_limits(payload)
        return payloads


class SlackServer(ThreadingHTTPServer):
    fake: FakeSlack


class SlackRequestHandler(BaseHTTPRequestHandler):
    server: SlackServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        reply = self.server.fake.next_reply(body, self.headers.get("Content-Type", ""))
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        # The default writes the request path, which is the secret part of a webhook URL, to stderr.
        return


def assert_within_slack_limits(payload: dict[str, Any]) -> None:
    assert payload["text"] and len(payload["text"]) <= MESSAGE_TEXT_LIMIT
    for block in payload.get("blocks", []):
        if block["type"] == "header":
            assert 0 < len(block["text"]["text"]) <= HEADER_TEXT_LIMIT
        elif block["type"] == "section":
            assert block.get("text") or block.get("fields"), block
            assert len(block.get("text", {}).get("text", "")) <= SECTION_TEXT_LIMIT
            assert len(block.get("fields", [])) <= FIELDS_PER_SECTION
            assert all(0 < len(item["text"]) <= FIELD_TEXT_LIMIT for item in block.get("fields", []))
        else:
            assert block["type"] == "context" and block["elements"], block


def all_block_text(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False)


def field_values(payload: dict[str, Any]) -> dict[str, str]:
    fields = [item["text"] for block in payload["blocks"] for item in block.get("fields", [])]
    return dict(item.removeprefix("*").split("*\n", 1) for item in fields)


def captured_logs(caplog: pytest.LogCaptureFixture) -> str:
    # caplog.text only holds the current phase; by teardown the test's own records live under "call". Setup
    # is left out on purpose: there the test itself creates the secret, and botocore logs that request.
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    records = caplog.get_records("call")
    return "\n".join(formatter.format(record) for record in records)


# --- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture
def slack(caplog: pytest.LogCaptureFixture) -> Iterator[FakeSlack]:
    caplog.set_level(logging.DEBUG)
    fake = FakeSlack()
    server = SlackServer(("127.0.0.1", 0), SlackRequestHandler)
    server.fake = fake
    # Shaped like a real webhook; the token is assembled here so no credential-like literal sits in the file.
    webhook_path = "/services/T0000FAKE/B0000FAKE/" + "x" * 24
    fake.webhook_url = f"http://127.0.0.1:{server.server_address[1]}{webhook_path}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
    logged = captured_logs(caplog)
    assert fake.webhook_url not in logged
    assert webhook_path not in logged


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Lambda-like environment with moto standing in for AWS; yields a Secrets Manager client."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_PROFILE", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIA" + "TESTTESTTESTTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake" * 10)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("ENVIRONMENT", "prod")
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("SLACK_MAX_ATTEMPTS", "4")
    monkeypatch.setenv("SLACK_BACKOFF_BASE_SECONDS", "0.001")
    monkeypatch.setenv("SLACK_BACKOFF_MAX_SECONDS", "0.01")
    # The notifier raises botocore's log level to keep it from logging the secret; start each test from the
    # library default so that every test proves it again.
    botocore_logger = logging.getLogger("botocore")
    level_before = botocore_logger.level
    botocore_logger.setLevel(logging.NOTSET)
    webhook_secret.clear_cache()
    try:
        with mock_aws():
            yield boto3.client("secretsmanager", region_name=REGION)
    finally:
        webhook_secret.clear_cache()
        botocore_logger.setLevel(level_before)


@pytest.fixture
def notifier(aws: Any, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> FakeSlack:
    """A deployed notifier: the secret holds the stand-in's webhook URL next to the other Atlantis keys."""
    secret = {"github_token": "ghp_" + "x" * 36, "slack_webhook_url": slack.webhook_url}
    arn = aws.create_secret(Name=SECRET_NAME, SecretString=json.dumps(secret))["ARN"]
    monkeypatch.setenv("SECRET_ARN", arn)
    return slack


# --- CloudWatch alarms ----------------------------------------------------------------------------------


def test_alarm_is_posted_as_block_kit_with_state_reason_and_console_links(notifier: FakeSlack) -> None:
    result = handler(alarm_event("cloudwatch-alarm-ecs-cpu-ALARM.json"), FakeLambdaContext())

    assert result == {"delivered": 1}
    assert notifier.content_types == ["application/json; charset=utf-8"]
    [payload] = notifier.payloads
    assert payload["text"] == "[prod] ALARM: prod-atlantis-cpu-high"
    assert payload["blocks"][0]["text"]["text"] == ":red_circle: ALARM: prod-atlantis-cpu-high"
    assert field_values(payload) == {
        "State": "OK → ALARM",
        "Environment": "prod",
        "Metric": "AWS/ECS CPUUtilization",
        "Condition": "Average &gt;= 80 in 2 of 2 periods of 5 min",
        "Dimensions": "ServiceName=prod-atlantis-service, ClusterName=prod-atlantis",
        "Region": "Asia Pacific (Seoul) (ap-northeast-2)",
    }
    text = all_block_text(payload)
    assert "Atlantis service CPU is above 80% on average" in text
    assert "*Reason*\\nThreshold Crossed: 2 out of the last 2 datapoints" in text
    assert f"<{ALARM_CONSOLE_URL}|Open the alarm in CloudWatch>" in text
    assert (
        "<https://ap-northeast-2.console.aws.amazon.com/ecs/v2/clusters/prod-atlantis/services/"
        "prod-atlantis-service/health?region=ap-northeast-2|Open the ECS service>"
    ) in text
    assert "State changed at 2024-11-26T13:50:12.345+0000" in text


def test_ok_notification_shows_recovery_and_links_only_the_alarm(notifier: FakeSlack) -> None:
    handler(alarm_event("cloudwatch-alarm-alb-unhealthy-hosts-OK.json"), FakeLambdaContext())

    [payload] = notifier.payloads
    assert payload["blocks"][0]["text"]["text"] == ":large_green_circle: OK: prod-atlantis-unhealthy-hosts"
    fields = field_values(payload)
    assert fields["State"] == "ALARM → OK"
    assert fields["Condition"] == "Maximum &gt; 0 in 2 of 3 periods of 1 min"
    text = all_block_text(payload)
    assert "was not greater than the threshold (0.0)" in text
    assert "#alarmsV2:alarm/prod-atlantis-unhealthy-hosts|Open the alarm in CloudWatch>" in text
    assert "Open the ECS service" not in text


@pytest.mark.parametrize(
    ("alarm_arn", "expected_region"),
    [
        ("arn:aws:cloudwatch:us-east-1:123456789012:alarm:prod-atlantis-cpu-high", "us-east-1"),
        (None, REGION),  # no ARN: the function's own region
        ("arn:aws:cloudwatch:evil.example/x:123456789012:alarm:prod-atlantis-cpu-high", REGION),
    ],
)
def test_alarm_console_link_takes_the_region_from_the_alarm_arn(alarm_arn: str | None, expected_region: str) -> None:
    alarm = load_event("cloudwatch-alarm-ecs-cpu-ALARM.json")
    alarm["AlarmArn"] = alarm_arn

    payload = build_slack_message(json.dumps(alarm), "", SEOUL).payload

    expected = f"https://{expected_region}.console.aws.amazon.com/cloudwatch/home?region={expected_region}#"
    assert expected in all_block_text(payload)


def test_untrusted_alarm_text_is_escaped_and_kept_within_slack_limits() -> None:
    alarm = load_event("cloudwatch-alarm-ecs-cpu-ALARM.json")
    alarm["AlarmName"] = "n" * 400
    alarm["AlarmDescription"] = "Wake everyone: <!channel> & <https://evil.example|click>"
    alarm["NewStateReason"] = "&" * 5000
    alarm["NewStateValue"] = "INSUFFICIENT_DATA"

    message = build_slack_message(json.dumps(alarm), "", SEOUL)

    assert message.kind == "cloudwatch-alarm"
    assert_within_slack_limits(message.payload)
    text = all_block_text(message.payload)
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in text
    reason = message.payload["blocks"][3]["text"]["text"]
    assert reason.startswith("*Reason*\n&amp;") and reason.endswith("&amp;…")
    assert message.payload["blocks"][0]["text"]["text"].startswith(":large_yellow_circle: INSUFFICIENT DATA: nnn")


def test_metric_math_and_composite_alarms_still_get_a_message() -> None:
    alarm = load_event("cloudwatch-alarm-ecs-cpu-ALARM.json")
    alarm["Trigger"] = {
        "Metrics": [
            {"Id": "m1", "ReturnData": False, "MetricStat": {"Metric": {"MetricName": "HTTPCode_Target_5XX_Count"}}},
            {"Id": "e1", "Expression": "m1 / 60", "Label": "5xx per second", "ReturnData": True},
        ],
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 0.5,
        "EvaluationPeriods": 1,
    }
    composite = {**alarm, "AlarmRule": 'ALARM("prod-atlantis-cpu-high")', "Trigger": None}

    math_fields = field_values(build_slack_message(json.dumps(alarm), "", SEOUL).payload)
    composite_fields = field_values(build_slack_message(json.dumps(composite), "", SEOUL).payload)

    assert math_fields["Metric"] == "m1 / 60"
    assert math_fields["Condition"] == "&gt; 0.5 in 1 of 1 periods"
    assert composite_fields["Rule"] == 'ALARM("prod-atlantis-cpu-high")'
    assert "Metric" not in composite_fields


# --- ECS task events ------------------------------------------------------------------------------------


def test_transformed_ecs_task_stopped_event_without_exit_codes(notifier: FakeSlack) -> None:
    handler(sns_event(json.dumps(load_event("ecs-task-stopped-transformed.json"))), FakeLambdaContext())

    [payload] = notifier.payloads
    assert payload["text"] == "[prod] ECS task stopped: prod-atlantis-service (TaskFailedToStart)"
    assert payload["blocks"][0]["text"]["text"] == ":octagonal_sign: ECS task stopped: prod-atlantis-service"
    assert field_values(payload) == {
        "Environment": "prod",
        "Cluster": "prod-atlantis",
        "Service": "prod-atlantis-service",
        "Stop code": "TaskFailedToStart",
        "Task": "0d9e6a3b7c2f4e1a9b8c7d6e5f4a3b2c",
        "Region": REGION,
    }
    text = all_block_text(payload)
    assert "*Stopped reason*\\nResourceInitializationError: unable to pull secrets" in text
    assert "*Containers*\\n• atlantis: no exit code" in text
    assert (
        "<https://ap-northeast-2.console.aws.amazon.com/ecs/v2/clusters/prod-atlantis/tasks/"
        "0d9e6a3b7c2f4e1a9b8c7d6e5f4a3b2c/configuration?region=ap-northeast-2|Open the task>"
    ) in text
    assert "/services/prod-atlantis-service/health?region=ap-northeast-2|Open the ECS service>" in text


def test_untransformed_eventbridge_task_state_change(notifier: FakeSlack) -> None:
    handler(sns_event(json.dumps(load_event("ecs-task-state-change-eventbridge.json"))), FakeLambdaContext())

    [payload] = notifier.payloads
    assert payload["text"] == "[prod] ECS task stopped: prod-atlantis-service (EssentialContainerExited)"
    text = all_block_text(payload)
    assert "• atlantis: exit code 137, OutOfMemoryError: Container killed due to memory usage" in text
    assert "*Stopped reason*\\nEssential container in task exited" in text
    assert "/tasks/3f1c7a2e9b8d4c6f8a0e1d2c3b4a5f60/configuration?region=ap-northeast-2|Open the task>" in text
    assert "Stopped at 2024-11-26T14:02:31.240Z" in text


# --- plain text fallback --------------------------------------------------------------------------------


def test_malformed_json_is_posted_as_plain_text(notifier: FakeSlack) -> None:
    truncated_alarm = '{"AlarmName": "prod-atlantis-cpu-high", "NewStateValue": "AL'

    handler(sns_event(truncated_alarm, subject="ALARM: prod-atlantis-cpu-high"), FakeLambdaContext())

    assert notifier.payloads == [{"text": f"[prod] ALARM: prod-atlantis-cpu-high\n{truncated_alarm}"}]


@pytest.mark.parametrize(
    "body",
    ['{"source": "aws.health", "detail": {"eventTypeCode": "AWS_ECS_OPERATIONAL_ISSUE"}}', "[1, 2, 3]", "Deployed."],
)
def test_unknown_shapes_are_posted_as_plain_text(notifier: FakeSlack, body: str) -> None:
    handler(sns_event(body), FakeLambdaContext())

    assert notifier.payloads == [{"text": f"[prod] Notification from the alerts topic\n{body}"}]


def test_plain_text_is_escaped_and_truncated_to_slack_limits() -> None:
    body = "Ping <!channel> & friends " + "&" * 10_000

    payload = build_slack_message(body, "", SEOUL).payload

    assert set(payload) == {"text"}
    assert len(payload["text"]) <= MESSAGE_TEXT_LIMIT
    assert payload["text"].startswith("[prod] Notification from the alerts topic\nPing &lt;!channel&gt; &amp; friends")
    assert payload["text"].endswith("&amp;…")


# --- retries --------------------------------------------------------------------------------------------


def test_rate_limit_honours_retry_after_up_to_the_cap(notifier: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    # Base backoff is 1 ms, so a wait of at least the 0.2 s cap can only come from Retry-After.
    monkeypatch.setenv("SLACK_BACKOFF_MAX_SECONDS", "0.2")
    notifier.reply(ScriptedReply(429, b"rate_limited", {"Retry-After": "30"}), ScriptedReply(200))

    started = time.monotonic()
    result = handler(alarm_event("cloudwatch-alarm-ecs-cpu-ALARM.json"), FakeLambdaContext())
    elapsed = time.monotonic() - started

    assert result == {"delivered": 1}
    assert len(notifier.bodies) == 2 and notifier.bodies[0] == notifier.bodies[1]
    assert 0.2 <= elapsed < 2


def test_server_errors_are_retried_a_bounded_number_of_times(notifier: FakeSlack) -> None:
    notifier.always = ScriptedReply(500, b"internal_error")

    with pytest.raises(SlackDeliveryError) as raised:
        handler(alarm_event("cloudwatch-alarm-ecs-cpu-ALARM.json"), FakeLambdaContext())

    assert len(notifier.bodies) == 4  # SLACK_MAX_ATTEMPTS
    message = str(raised.value)
    assert "HTTP 500 (internal_error) after 4 attempt(s)" in message
    assert notifier.webhook_url not in message and "/services/" not in message


def test_client_errors_are_not_retried(notifier: FakeSlack) -> None:
    notifier.reply(ScriptedReply(400, b"invalid_payload"))

    with pytest.raises(SlackDeliveryError, match=r"HTTP 400 \(invalid_payload\) after 1 attempt"):
        handler(alarm_event("cloudwatch-alarm-ecs-cpu-ALARM.json"), FakeLambdaContext())

    assert len(notifier.bodies) == 1


def test_retries_stop_before_the_lambda_times_out(notifier: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BACKOFF_BASE_SECONDS", "0.5")
    monkeypatch.setenv("SLACK_BACKOFF_MAX_SECONDS", "0.5")
    notifier.always = ScriptedReply(503, b"")

    # 2.1 s left minus the 2 s safety margin leaves no room for a backoff of at least 0.25 s.
    with pytest.raises(SlackDeliveryError, match="no time left to retry"):
        handler(alarm_event("cloudwatch-alarm-ecs-cpu-ALARM.json"), FakeLambdaContext(remaining_millis=2100))

    assert len(notifier.bodies) == 1


def test_one_failed_record_does_not_stop_the_others(notifier: FakeSlack) -> None:
    notifier.reply(ScriptedReply(400, b"invalid_blocks"), ScriptedReply(200))
    event = sns_event("first", "second")

    with pytest.raises(SlackDeliveryError, match="1 of 2 notification"):
        handler(event, FakeLambdaContext())

    assert [payload["text"].rsplit("\n", 1)[1] for payload in notifier.payloads] == ["first", "second"]


@pytest.mark.parametrize(
    ("retry_after", "attempt", "low", "high"),
    [
        ("2", 1, 2.0, 2.0),
        ("120", 1, 8.0, 8.0),  # capped
        ("-3", 1, 0.0, 0.0),
        (None, 1, 0.25, 0.5),  # base 0.5 with jitter
        (None, 3, 1.0, 2.0),  # doubled per attempt
        (None, 10, 4.0, 8.0),  # capped
        ("Wed, 21 Oct 2026 07:28:00 GMT", 2, 0.5, 1.0),  # not seconds: backoff
    ],
)
def test_retry_delay(retry_after: str | None, attempt: int, low: float, high: float) -> None:
    assert low <= retry_delay(attempt, retry_after, RetryPolicy()) <= high


# --- the webhook secret ---------------------------------------------------------------------------------


def test_secret_is_read_once_across_invocations(notifier: FakeSlack, aws: Any) -> None:
    handler(sns_event("first"), FakeLambdaContext())
    # Deleted secret: a second read would fail, so the second delivery proves the URL came from the cache.
    aws.delete_secret(SecretId=SECRET_NAME, ForceDeleteWithoutRecovery=True)

    result = handler(sns_event("second"), FakeLambdaContext())

    assert result == {"delivered": 1}
    assert len(notifier.bodies) == 2


def test_secret_is_read_again_once_the_cache_expires(
    notifier: FakeSlack, aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webhook_secret, "CACHE_TTL_SECONDS", 0.0)
    handler(sns_event("first"), FakeLambdaContext())
    aws.delete_secret(SecretId=SECRET_NAME, ForceDeleteWithoutRecovery=True)

    with pytest.raises(WebhookSecretError):
        handler(sns_event("second"), FakeLambdaContext())


def test_missing_secret_fails_clearly(aws: Any, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:does-not-exist-AbCdEf"
    monkeypatch.setenv("SECRET_ARN", missing)

    with pytest.raises(WebhookSecretError) as raised:
        handler(sns_event("hello"), FakeLambdaContext())

    assert str(raised.value) == (
        f"Cannot read secret {missing} (ResourceNotFoundException); it must exist and hold the key 'slack_webhook_url'"
    )
    assert slack.bodies == []


@pytest.mark.parametrize(
    "secret_string",
    [
        pytest.param(lambda url: json.dumps({"github_token": "ghp_" + "y" * 36}), id="key-missing"),
        pytest.param(lambda url: json.dumps({"slack_webhook_url": ""}), id="key-empty"),
        pytest.param(lambda url: url, id="not-json"),
        pytest.param(
            lambda url: json.dumps({"slack_webhook_url": url.replace("127.0.0.1", "hooks.example")}),
            id="plain-http-to-remote-host",
        ),
    ],
)
def test_unusable_secret_fails_naming_the_key_but_no_value(
    aws: Any,
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    secret_string: Callable[[str], str],
) -> None:
    # Keep botocore from logging this test's own CreateSecret request, which carries the URL.
    with caplog.at_level(logging.WARNING, logger="botocore"):
        arn = aws.create_secret(Name=SECRET_NAME, SecretString=secret_string(slack.webhook_url))["ARN"]
    monkeypatch.setenv("SECRET_ARN", arn)

    with pytest.raises(WebhookSecretError) as raised:
        handler(sns_event("hello"), FakeLambdaContext())

    message = str(raised.value)
    assert "'slack_webhook_url'" in message and SECRET_NAME in message
    assert "/services/" not in message and "ghp_" not in message
    assert slack.bodies == []


# --- configuration and event shape ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected_error"),
    [
        ({"SECRET_ARN": ""}, "SECRET_ARN is not set"),
        ({"SLACK_MAX_ATTEMPTS": "many"}, "SLACK_MAX_ATTEMPTS must be an integer between 1 and 10"),
        ({"SLACK_MAX_ATTEMPTS": "50"}, "SLACK_MAX_ATTEMPTS must be an integer between 1 and 10"),
        ({"SLACK_BACKOFF_BASE_SECONDS": "-1"}, "SLACK_BACKOFF_BASE_SECONDS must be a number between 0 and 20"),
    ],
)
def test_invalid_settings_name_the_variable(overrides: dict[str, str], expected_error: str) -> None:
    environ = {"SECRET_ARN": "prod-atlantis-secrets", **overrides}

    with pytest.raises(ConfigurationError, match=expected_error):
        Settings.from_environment(environ)


def test_settings_defaults_keep_retries_well_inside_the_lambda_timeout() -> None:
    settings = Settings.from_environment({"SECRET_ARN": "prod-atlantis-secrets", "LOG_LEVEL": "LOUD"})

    assert settings.retry == RetryPolicy(max_attempts=5, backoff_base_seconds=0.5)
    assert settings.retry.total_budget_seconds <= 20
    assert settings.log_level == logging.INFO
    assert settings.message_context == MessageContext(environment="", default_region="us-east-1")


@pytest.mark.parametrize("event", [{}, {"Records": []}, {"Records": [{"EventSource": "aws:sqs", "body": "x"}]}])
def test_events_that_are_not_sns_are_refused(notifier: FakeSlack, event: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"not an SNS event"):
        handler(event, FakeLambdaContext())

    assert notifier.bodies == []


def test_logs_are_captured_at_debug_and_never_hold_the_webhook_url(
    notifier: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    notifier.reply(ScriptedReply(503, b"service_unavailable"))

    handler(alarm_event("cloudwatch-alarm-ecs-cpu-ALARM.json"), FakeLambdaContext())

    logged = captured_logs(caplog)
    # The capture is real (so the teardown check of every test means something) ...
    assert "Reading the Slack webhook URL from secret arn:aws:secretsmanager:" in logged
    assert "Slack answered HTTP 503 (service_unavailable) on attempt 1 of 4" in logged
    assert "Posted cloudwatch-alarm message" in logged
    # ... and neither the URL nor the secret response that botocore would log at DEBUG appears in it.
    assert notifier.webhook_url not in logged and "/services/" not in logged
    assert "SecretString" not in logged
