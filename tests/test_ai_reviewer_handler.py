"""The Lambda handler end to end.

moto provides S3, SQS and Secrets Manager in process; one local HTTP server stands in for OpenAI
(reached through the official SDK with base_url pointing at it), the GitHub API and a Slack webhook.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from ai_reviewer import handler as handler_module
from ai_reviewer.handler import handler
from moto import mock_aws

FIXTURES = Path(__file__).parent / "fixtures" / "plans"
REGION = "ap-northeast-2"
BUCKET = "prod-atlantis-plans"
KEY = "acme/infra/7/prod-0123456789abcdef0123456789abcdef01234567.json"
BOT = "atlantis-bot"
MODEL_ATTEMPTS = 3
# Obviously fake credentials, assembled at test time.
GITHUB_TOKEN = "ghp_" + "T0k3n" * 7 + "x"
OPENAI_KEY = "sk-proj-" + "K3y" * 12

REVIEW = {
    "risk_level": "high",
    "summary": "Replaces the bastion host and deletes the logs bucket.",
    "destructive_changes": [{"address": "aws_s3_bucket.logs", "action": "delete", "impact": "Log history is lost."}],
    "security_findings": [
        {"address": "aws_security_group.web", "severity": "high", "finding": "SSH is open to 0.0.0.0/0."}
    ],
    "cost_changes": [{"address": "aws_db_instance.orders", "change": "Larger instance class."}],
}


def _completion(review: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": json.dumps(review), "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


@dataclass
class ModelReply:
    status: int = 200
    body: Any = None  # defaults to a completion carrying REVIEW
    delay_seconds: float = 0.0


@dataclass
class StandIns:
    """State of the fake OpenAI, GitHub and Slack endpoints."""

    base_url: str = ""
    model_requests: list[bytes] = field(default_factory=list)
    model_replies: list[ModelReply] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    github_authorizations: list[str] = field(default_factory=list)
    github_writes: list[str] = field(default_factory=list)
    slack_messages: list[dict[str, Any]] = field(default_factory=list)
    slack_status: int = 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_comment(self, issue: str, body: str, login: str = BOT) -> dict[str, Any]:
        comment = {
            "id": 1000 + len(self.comments),
            "issue": issue,
            "body": body,
            "user": {"login": login},
            "html_url": f"https://github.example/{issue}#comment-{1000 + len(self.comments)}",
        }
        self.comments.append(comment)
        return comment


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def do_PATCH(self) -> None:
        self._route()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _route(self) -> None:
        stand_ins: StandIns = self.server.stand_ins
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with stand_ins.lock:
            if self.path.startswith("/openai/"):
                reply = self._openai(stand_ins, body)
            elif self.path.startswith("/github/"):
                reply = self._github(stand_ins, body)
            elif self.path == "/slack/hook":
                stand_ins.slack_messages.append(json.loads(body))
                reply = ModelReply(stand_ins.slack_status, "ok")
            else:
                reply = ModelReply(404, {"message": "not found"})
        time.sleep(reply.delay_seconds)
        payload = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
        self.send_response(reply.status)
        self.send_header("Content-Type", "text/plain" if isinstance(reply.body, str) else "application/json")
        self.send_header("Content-Length", str(len(payload.encode())))
        self.end_headers()
        self.wfile.write(payload.encode())

    def _openai(self, stand_ins: StandIns, body: bytes) -> ModelReply:
        assert self.path == "/openai/v1/chat/completions"
        assert self.headers["Authorization"] == f"Bearer {OPENAI_KEY}"
        stand_ins.model_requests.append(body)
        reply = stand_ins.model_replies.pop(0) if stand_ins.model_replies else ModelReply()
        if reply.body is None:
            reply = ModelReply(reply.status, _completion(REVIEW), reply.delay_seconds)
        return reply

    def _github(self, stand_ins: StandIns, body: bytes) -> ModelReply:
        stand_ins.github_authorizations.append(self.headers["Authorization"])
        path = self.path.removeprefix("/github")
        if path == "/user":
            return ModelReply(200, {"login": BOT})
        listing = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/(\d+)/comments\?per_page=100", path)
        if listing and self.command == "GET":
            issue = f"{listing[1]}#{listing[2]}"
            return ModelReply(200, [comment for comment in stand_ins.comments if comment["issue"] == issue])
        creating = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/(\d+)/comments", path)
        if creating and self.command == "POST":
            stand_ins.github_writes.append("create")
            return ModelReply(201, stand_ins.add_comment(f"{creating[1]}#{creating[2]}", json.loads(body)["body"]))
        updating = re.fullmatch(r"/repos/[^/]+/[^/]+/issues/comments/(\d+)", path)
        if updating and self.command == "PATCH":
            stand_ins.github_writes.append("update")
            comment = next(item for item in stand_ins.comments if item["id"] == int(updating[1]))
            if comment["user"]["login"] != BOT:
                return ModelReply(403, {"message": "not yours"})
            comment["body"] = json.loads(body)["body"]
            return ModelReply(200, comment)
        return ModelReply(404, {"message": "not found"})


@pytest.fixture
def stand_ins() -> Iterator[StandIns]:
    state = StandIns()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.stand_ins = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    thread.join()


@dataclass
class Aws:
    s3: Any
    sqs: Any
    secretsmanager: Any
    secret_arn: str
    queue_url: str = ""


@pytest.fixture(scope="module")
def aws_account() -> Iterator[Aws]:
    """One moto account per module: starting moto for every test would dominate the run time."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "NO_PROXY": "127.0.0.1,localhost",
        }.items():
            patch.setenv(name, value)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        with mock_aws():
            s3 = boto3.client("s3", region_name=REGION)
            s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
            s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
            secretsmanager = boto3.client("secretsmanager", region_name=REGION)
            secret_arn = secretsmanager.create_secret(Name="prod-atlantis-secrets", SecretString="{}")["ARN"]
            yield Aws(s3, boto3.client("sqs", region_name=REGION), secretsmanager, secret_arn)


@pytest.fixture
def aws(aws_account: Aws, monkeypatch: pytest.MonkeyPatch, stand_ins: StandIns) -> Iterator[Aws]:
    """A fresh queue, the secret reset and the Lambda environment pointing at this test's stand-ins."""
    secret = {
        "github_token": GITHUB_TOKEN,
        "openai_api_key": OPENAI_KEY,
        "slack_webhook_url": f"{stand_ins.base_url}/slack/hook",
    }
    aws_account.secretsmanager.put_secret_value(SecretId=aws_account.secret_arn, SecretString=json.dumps(secret))
    queue_url = aws_account.sqs.create_queue(QueueName=f"plan-reviews-{uuid.uuid4().hex}")["QueueUrl"]
    for name, value in {
        "AI_PROVIDER": "openai",
        "AI_MODEL": "gpt-4o-mini",
        "SECRET_ARN": aws_account.secret_arn,
        "GITHUB_API_URL": f"{stand_ins.base_url}/github",
        "OPENAI_BASE_URL": f"{stand_ins.base_url}/openai/v1",
        "MODEL_MAX_ATTEMPTS": str(MODEL_ATTEMPTS),
        "MODEL_RETRY_BASE_SECONDS": "0.001",
        "MODEL_RETRY_MAX_SECONDS": "0.005",
        "MODEL_TIMEOUT_SECONDS": "2",
        "LOG_LEVEL": "DEBUG",
    }.items():
        monkeypatch.setenv(name, value)
    handler_module._runtime.cache_clear()
    yield dataclasses.replace(aws_account, queue_url=queue_url)
    handler_module._runtime.cache_clear()


def planted_secrets() -> dict[str, str]:
    recipes = json.loads((FIXTURES / "planted_secrets.json").read_text())
    return {
        name: "".join(part if isinstance(part, str) else part[0] * part[1] for part in parts)
        for name, parts in recipes.items()
        if not name.startswith("_")
    }


def fixture_plan_bytes(name: str = "sensitive_and_secrets.json") -> bytes:
    secrets = planted_secrets()
    text = (FIXTURES / name).read_text()
    return re.sub(r"\{\{planted:(\w+)\}\}", lambda match: json.dumps(secrets[match[1]])[1:-1], text).encode()


def put_plan(aws: Aws, body: bytes, key: str = KEY, metadata: dict[str, str] | None = None) -> str:
    if metadata is None:
        metadata = {
            "repo": "acme/infra",
            "pull": "7",
            "commit": "0123456789abcdef0123456789abcdef01234567",
            "project": "prod",
        }
    response = aws.s3.put_object(Bucket=BUCKET, Key=key, Body=body, Metadata=metadata)
    return str(response["VersionId"])


def object_created_event(key: str, version_id: str | None, size: int = 1000) -> dict[str, Any]:
    obj: dict[str, Any] = {"key": key, "size": size, "etag": "0" * 32, "sequencer": "00"}
    if version_id:
        obj["version-id"] = version_id
    return {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2024-01-01T00:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:s3:::{BUCKET}"],
        "detail": {"version": "0", "bucket": {"name": BUCKET}, "object": obj, "reason": "PutObject"},
    }


def sqs_event(aws: Aws, *bodies: Any) -> dict[str, Any]:
    """Send the bodies through the moto queue and shape what comes out like Lambda's SQS event."""
    for body in bodies:
        aws.sqs.send_message(QueueUrl=aws.queue_url, MessageBody=body if isinstance(body, str) else json.dumps(body))
    messages = aws.sqs.receive_message(QueueUrl=aws.queue_url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == len(bodies)
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:plan-reviews",
                "awsRegion": REGION,
            }
            for message in messages
        ]
    }


def review_plan_event(aws: Aws, body: bytes | None = None) -> dict[str, Any]:
    plan = fixture_plan_bytes() if body is None else body
    version_id = put_plan(aws, plan)
    return sqs_event(aws, object_created_event(KEY, version_id, len(plan)))


def no_failures() -> dict[str, list[Any]]:
    return {"batchItemFailures": []}


def test_sensitive_values_and_planted_secrets_never_reach_the_model(aws: Aws, stand_ins: StandIns) -> None:
    plan_bytes = fixture_plan_bytes()
    plan_text = plan_bytes.decode()
    sensitive = set(re.findall(r'"(tf-sensitive-[a-z0-9-]+)"', plan_text))

    result = handler(review_plan_event(aws, plan_bytes), None)

    assert result == no_failures()
    [request] = stand_ins.model_requests
    sent = request.decode()
    assert len(sensitive) >= 10
    leaked = [value for value in [*sensitive, *planted_secrets().values()] if value in sent]
    assert leaked == []
    assert "(sensitive value)" in sent and "(redacted secret)" in sent
    body = json.loads(request)
    assert body["model"] == "gpt-4o-mini"
    assert body["response_format"]["type"] == "json_schema"


def test_review_is_posted_as_one_comment_and_to_slack(aws: Aws, stand_ins: StandIns) -> None:
    result = handler(review_plan_event(aws), None)

    assert result == no_failures()
    [comment] = stand_ins.comments
    assert comment["issue"] == "acme/infra#7"
    body = comment["body"]
    assert body.startswith("<!-- atlantis-ai-review:v1 project=prod source=")
    assert "risk 🟠 **HIGH**" in body
    assert "SSH is open to 0.0.0.0/0." in body
    assert re.search(r"\d+ values redacted before review \(\d+ marked sensitive by Terraform, \d+ detected", body)
    assert set(stand_ins.github_authorizations) == {f"Bearer {GITHUB_TOKEN}"}
    [slack] = stand_ins.slack_messages
    assert "*HIGH*" in slack["text"] and "acme/infra#7" in slack["text"]


def test_redelivered_message_posts_no_second_comment(aws: Aws, stand_ins: StandIns) -> None:
    event = review_plan_event(aws)

    assert handler(event, None) == no_failures()
    assert handler(event, None) == no_failures()

    assert len(stand_ins.comments) == 1
    assert stand_ins.github_writes == ["create"]
    assert len(stand_ins.model_requests) == 1
    assert len(stand_ins.slack_messages) == 1


def test_replan_updates_the_comment_in_place(aws: Aws, stand_ins: StandIns) -> None:
    assert handler(review_plan_event(aws), None) == no_failures()
    first_body = stand_ins.comments[0]["body"]
    stand_ins.model_replies.append(ModelReply(body=_completion(dict(REVIEW, risk_level="low"))))

    assert handler(review_plan_event(aws), None) == no_failures()

    [comment] = stand_ins.comments
    assert stand_ins.github_writes == ["create", "update"]
    assert comment["body"] != first_body and "**LOW**" in comment["body"]


def test_older_plan_delivered_late_does_not_overwrite_newer_review(aws: Aws, stand_ins: StandIns) -> None:
    plan = fixture_plan_bytes()
    old_version = put_plan(aws, plan)
    time.sleep(1.1)  # S3 LastModified has one-second resolution
    new_version = put_plan(aws, plan)
    assert handler(sqs_event(aws, object_created_event(KEY, new_version, len(plan))), None) == no_failures()

    assert handler(sqs_event(aws, object_created_event(KEY, old_version, len(plan))), None) == no_failures()

    assert stand_ins.github_writes == ["create"]
    assert len(stand_ins.model_requests) == 1
    assert f"versionId%3D{new_version}" in stand_ins.comments[0]["body"]


def test_rate_limits_and_server_errors_are_retried(aws: Aws, stand_ins: StandIns) -> None:
    stand_ins.model_replies += [
        ModelReply(429, {"error": {"message": "slow down"}}),
        ModelReply(503, {"error": {"message": "overloaded"}}),
    ]

    assert handler(review_plan_event(aws), None) == no_failures()

    assert len(stand_ins.model_requests) == 3
    assert len(stand_ins.comments) == 1


def test_persistent_model_errors_fail_the_message_after_bounded_attempts(aws: Aws, stand_ins: StandIns) -> None:
    stand_ins.model_replies += [ModelReply(500, {"error": {"message": "boom"}}) for _ in range(10)]
    event = review_plan_event(aws)

    result = handler(event, None)

    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert len(stand_ins.model_requests) == MODEL_ATTEMPTS
    assert stand_ins.comments == []


def test_model_timeouts_are_retried_then_fail_the_message(
    aws: Aws, stand_ins: StandIns, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODEL_TIMEOUT_SECONDS", "0.2")
    monkeypatch.setenv("MODEL_MAX_ATTEMPTS", "2")
    stand_ins.model_replies += [ModelReply(delay_seconds=0.6) for _ in range(2)]
    event = review_plan_event(aws)

    started = time.monotonic()
    result = handler(event, None)

    assert result["batchItemFailures"] == [{"itemIdentifier": event["Records"][0]["messageId"]}]
    assert len(stand_ins.model_requests) == 2
    assert time.monotonic() - started < 5


def test_invalid_model_answer_fails_the_message(aws: Aws, stand_ins: StandIns) -> None:
    stand_ins.model_replies.append(ModelReply(body=_completion({"risk_level": "catastrophic"})))
    event = review_plan_event(aws)

    result = handler(event, None)

    assert result["batchItemFailures"] == [{"itemIdentifier": event["Records"][0]["messageId"]}]
    assert len(stand_ins.model_requests) == 1
    assert stand_ins.comments == []


def test_only_the_failed_message_of_a_batch_is_reported(aws: Aws, stand_ins: StandIns) -> None:
    plan = fixture_plan_bytes()
    other_key = "acme/infra/8/staging-89abcdef0123456789abcdef0123456789abcdef.json"
    first = put_plan(aws, plan)
    second = put_plan(aws, plan, key=other_key, metadata={})
    stand_ins.model_replies += [ModelReply()] + [ModelReply(502, {"error": {}}) for _ in range(MODEL_ATTEMPTS)]
    event = sqs_event(aws, object_created_event(KEY, first), object_created_event(other_key, second))
    by_key = {json.loads(record["body"])["detail"]["object"]["key"]: record["messageId"] for record in event["Records"]}
    # moto's queue returns messages in order; the first one reviewed gets the good reply.
    first_reviewed = json.loads(event["Records"][0]["body"])["detail"]["object"]["key"]
    failed_key = other_key if first_reviewed == KEY else KEY

    result = handler(event, None)

    assert result == {"batchItemFailures": [{"itemIdentifier": by_key[failed_key]}]}
    assert len(stand_ins.comments) == 1


def test_malformed_messages_are_dropped_without_retry(aws: Aws, stand_ins: StandIns) -> None:
    unknown_key = "not/a/plan.json"
    aws.s3.put_object(Bucket=BUCKET, Key=unknown_key, Body=b"{}")
    not_json_plan = "acme/infra/7/broken-0123abcd.json"
    aws.s3.put_object(Bucket=BUCKET, Key=not_json_plan, Body=b"not json")
    wrong_type = dict(object_created_event(KEY, None), **{"detail-type": "Object Deleted"})
    event = sqs_event(
        aws,
        "this is not json",
        {"unexpected": "shape"},
        wrong_type,
        object_created_event(unknown_key, None),
        object_created_event(not_json_plan, None),
    )

    assert handler(event, None) == no_failures()
    assert stand_ins.model_requests == [] and stand_ins.comments == []


def test_missing_objects_and_versions_are_dropped(aws: Aws, stand_ins: StandIns) -> None:
    version_id = put_plan(aws, fixture_plan_bytes())
    aws.s3.delete_object(Bucket=BUCKET, Key=KEY, VersionId=version_id)
    event = sqs_event(
        aws,
        object_created_event("acme/infra/7/never-uploaded-0123abcd.json", None),
        object_created_event(KEY, version_id),
    )

    assert handler(event, None) == no_failures()
    assert stand_ins.model_requests == []


def test_plan_over_the_budget_is_summarized_and_says_so(
    aws: Aws, stand_ins: StandIns, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_INPUT_TOKENS", "4000")
    changes = [
        {
            "address": f"aws_instance.web[{index}]",
            "type": "aws_instance",
            "change": {
                "actions": ["delete"] if index % 4 == 0 else ["update"],
                "before": {"instance_type": "t3.micro", "user_data": "echo hello\n" * 20},
                "after": None if index % 4 == 0 else {"instance_type": "t3.small", "user_data": "echo hi\n" * 20},
            },
        }
        for index in range(200)
    ]
    plan = json.dumps({"format_version": "1.2", "resource_changes": changes}).encode()

    assert handler(review_plan_event(aws, plan), None) == no_failures()

    [request] = stand_ins.model_requests
    document = json.loads(json.loads(request)["messages"][1]["content"])
    assert document["change_counts"]["by_action"] == {"delete": 50, "update": 150}
    assert "coverage" in document
    assert document["resource_changes"][0]["action"] == "delete"
    assert "**Partial review:**" in stand_ins.comments[0]["body"]


def test_plan_without_changes_is_not_sent_to_the_model(aws: Aws, stand_ins: StandIns) -> None:
    plan = (FIXTURES / "no_changes.json").read_bytes()

    assert handler(review_plan_event(aws, plan), None) == no_failures()

    assert stand_ins.model_requests == []
    assert "changes no resources or outputs" in stand_ins.comments[0]["body"]


def test_secret_is_read_once_and_cached_across_invocations(aws: Aws, stand_ins: StandIns) -> None:
    assert handler(review_plan_event(aws), None) == no_failures()
    rotated = {"github_token": "ghp_" + "R0t4t3d" * 5 + "x", "openai_api_key": OPENAI_KEY}
    aws.secretsmanager.put_secret_value(SecretId=aws.secret_arn, SecretString=json.dumps(rotated))

    assert handler(review_plan_event(aws), None) == no_failures()

    assert set(stand_ins.github_authorizations) == {f"Bearer {GITHUB_TOKEN}"}
    assert len(stand_ins.slack_messages) == 2


def test_marker_in_someone_elses_comment_is_ignored(aws: Aws, stand_ins: StandIns) -> None:
    planted_marker = (
        "<!-- atlantis-ai-review:v1 project=prod source=x plan-time=2999-01-01T00%3A00%3A00Z -->\nLooks fine to me!"
    )
    stand_ins.add_comment("acme/infra#7", planted_marker, login="mallory")

    assert handler(review_plan_event(aws), None) == no_failures()

    assert stand_ins.github_writes == ["create"]
    assert stand_ins.comments[0]["body"] == planted_marker


def test_slack_failure_does_not_fail_the_message(aws: Aws, stand_ins: StandIns) -> None:
    stand_ins.slack_status = 404

    assert handler(review_plan_event(aws), None) == no_failures()

    assert len(stand_ins.comments) == 1
    assert len(stand_ins.slack_messages) == 1


def test_no_slack_post_without_a_webhook(aws: Aws, stand_ins: StandIns) -> None:
    aws.secretsmanager.put_secret_value(
        SecretId=aws.secret_arn,
        SecretString=json.dumps({"github_token": GITHUB_TOKEN, "openai_api_key": OPENAI_KEY}),
    )

    assert handler(review_plan_event(aws), None) == no_failures()

    assert len(stand_ins.comments) == 1
    assert stand_ins.slack_messages == []


def test_misconfiguration_fails_every_message_of_the_batch(aws: Aws, stand_ins: StandIns) -> None:
    aws.secretsmanager.put_secret_value(SecretId=aws.secret_arn, SecretString=json.dumps({"github_token": "x"}))
    plan = fixture_plan_bytes()
    version_id = put_plan(aws, plan)
    event = sqs_event(aws, object_created_event(KEY, version_id), object_created_event(KEY, version_id))

    result = handler(event, None)

    assert sorted(item["itemIdentifier"] for item in result["batchItemFailures"]) == sorted(
        record["messageId"] for record in event["Records"]
    )
    assert stand_ins.model_requests == []


def test_github_errors_fail_the_message(aws: Aws, stand_ins: StandIns, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_API_URL", f"{stand_ins.base_url}/github-missing")
    event = review_plan_event(aws)

    result = handler(event, None)

    assert result["batchItemFailures"] == [{"itemIdentifier": event["Records"][0]["messageId"]}]
    assert stand_ins.model_requests == []


def test_invocation_without_records_is_ignored() -> None:
    assert handler({"unexpected": True}, None) == no_failures()
