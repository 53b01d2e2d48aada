"""Lambda entry point: an SQS batch of S3 plan events in, PR comments (and Slack posts) out.

Each message is handled on its own and the batch answer lists only the failed ones
(`batchItemFailures`), so SQS redelivers just those and, after maxReceiveCount, moves them to the
dead-letter queue. Messages that can never work (malformed events, deleted objects) are logged and
reported as processed, so they do not loop.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3

from ai_reviewer.events import PullRequest, UnusableMessageError, parse_plan_object, pull_request_of
from ai_reviewer.http_json import HttpError
from ai_reviewer.pipeline import ask_model, create_model, prepare_review
from ai_reviewer.providers import ModelError, ReviewModel
from ai_reviewer.publish import GitHubComments, ReviewMarker, SlackWebhook
from ai_reviewer.report import ReviewReport, render_comment, render_slack
from ai_reviewer.settings import ConfigError, Settings, load_secrets
from ai_reviewer.storage import fetch_plan

log = logging.getLogger("ai_reviewer")


@dataclass
class Runtime:
    """Everything a message needs; built once per Lambda container."""

    settings: Settings
    s3: Any
    model: ReviewModel
    github: GitHubComments
    slack: SlackWebhook | None
    sleep: Callable[[float], None] = time.sleep


@functools.cache
def _runtime() -> Runtime:
    """Read the environment and the secret once per container, not once per message."""
    settings = Settings.from_env(os.environ)
    log.setLevel(settings.log_level)
    secrets = load_secrets(boto3.client("secretsmanager"), settings.secret_arn)
    if settings.ai_provider == "openai" and not secrets.openai_api_key:
        raise ConfigError("AI_PROVIDER is openai but the secret has no openai_api_key")
    return Runtime(
        settings=settings,
        s3=boto3.client("s3"),
        model=create_model(settings, secrets.openai_api_key),
        github=GitHubComments(settings.github_api_url, secrets.github_token),
        slack=SlackWebhook(secrets.slack_webhook_url) if secrets.slack_webhook_url else None,
    )


def handler(event: Any, context: Any) -> dict[str, list[dict[str, str]]]:
    raw_records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(raw_records, list):
        log.error("ignoring an invocation without an SQS Records list")
        return _failures([])
    # A record that is not an object has no messageId to report; it is processed as malformed.
    records = [record if isinstance(record, dict) else {} for record in raw_records]
    try:
        runtime = _runtime()
    except Exception:
        # Misconfiguration: fail every message so that nothing is lost while it gets fixed.
        log.exception("the reviewer cannot start; all %d messages will be retried", len(records))
        return _failures([record.get("messageId") for record in records])
    return _failures([record.get("messageId") for record in records if not _process(record, runtime)])


def _failures(message_ids: list[Any]) -> dict[str, list[dict[str, str]]]:
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in message_ids if message_id]}


def _process(record: dict[str, Any], runtime: Runtime) -> bool:
    """Handle one SQS record; False means SQS should deliver it again."""
    message_id = record.get("messageId")
    try:
        review_message(record.get("body"), runtime)
    except UnusableMessageError as error:
        log.warning("dropping message %s: %s", message_id, error)
    except (ModelError, HttpError, ConfigError) as error:
        log.error("message %s failed and will be retried: %s", message_id, error)
        return False
    except Exception:
        log.exception("message %s failed unexpectedly and will be retried", message_id)
        return False
    return True


def review_message(body: Any, runtime: Runtime) -> None:
    plan_object = parse_plan_object(body)
    plan_file = fetch_plan(runtime.s3, plan_object, runtime.settings.max_plan_bytes)
    pull = pull_request_of(plan_object.key, plan_file.metadata)
    marker = ReviewMarker(project=pull.project, source=plan_file.source, plan_time=plan_file.last_modified)
    where = f"{pull.repo}#{pull.number} project {pull.project!r} ({plan_file.source})"
    if _already_reviewed(runtime.github, pull, marker):
        log.info("skipping %s: this plan or a newer one is already reviewed", where)
        return

    prepared = prepare_review(plan_file.plan, runtime.model, runtime.settings.max_input_tokens)
    review = None
    if prepared.request is not None:
        review = ask_model(runtime.model, prepared.request, runtime.settings.model_retry, runtime.sleep)
    report = ReviewReport(
        pull=pull,
        review=review,
        review_input=prepared.prompt.review_input,
        redaction=prepared.redaction,
        model_label=runtime.model.label,
    )
    comment_url = _publish_comment(runtime.github, pull, marker, render_comment(marker.render(), report))
    if comment_url is None:
        log.info("skipping %s: a newer plan was reviewed meanwhile", where)
        return
    log.info("reviewed %s: %s", where, comment_url)
    if runtime.slack is not None:
        _notify_slack(runtime.slack, render_slack(report, comment_url))


def _already_reviewed(github: GitHubComments, pull: PullRequest, marker: ReviewMarker) -> bool:
    existing = github.find_review(pull)
    return existing is not None and existing.marker.covers(marker)


def _publish_comment(github: GitHubComments, pull: PullRequest, marker: ReviewMarker, body: str) -> str | None:
    # Looked up again: the model call takes long enough for another message to publish first.
    existing = github.find_review(pull)
    if existing is None:
        return github.create(pull, body)
    if existing.marker.covers(marker):
        return None
    return github.update(pull, existing.comment_id, body)


def _notify_slack(slack: SlackWebhook, text: str) -> None:
    # The PR comment is the record; a failed notification must not make SQS redeliver the message,
    # because the redelivery would find the comment and stop before notifying anyway.
    try:
        slack.post(text)
    except HttpError as error:
        log.warning("the Slack notification failed: %s", error)
