"""Lambda entry point: posts each notification of an SNS event to Slack."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_notifier.documents import mapping_of, mappings_in, text_of
from slack_notifier.messages import build_slack_message
from slack_notifier.settings import RetryPolicy, Settings
from slack_notifier.slack_client import SlackDeliveryError, post_message
from slack_notifier.webhook_secret import load_webhook_url

# Time kept free at the end of an invocation so that a failed delivery is reported before Lambda's timeout.
TIMEOUT_MARGIN_SECONDS = 2.0
NOT_AN_SNS_EVENT = "The event is not an SNS event: every Records[] item needs Sns.Message"

logger = logging.getLogger("slack_notifier")


@dataclass(frozen=True)
class SnsNotification:
    message_id: str
    subject: str
    body: str


def handler(event: Mapping[str, Any], context: Any) -> dict[str, int]:
    settings = Settings.from_environment(os.environ)
    logger.setLevel(settings.log_level)
    deadline = _delivery_deadline(settings.retry, context)
    notifications = _sns_notifications(event)
    webhook_url = load_webhook_url(settings.secret_id)
    errors: list[SlackDeliveryError] = []
    for notification in notifications:
        message = build_slack_message(notification.body, notification.subject, settings.message_context)
        try:
            attempts = post_message(webhook_url, message.payload, settings.retry, deadline)
        except SlackDeliveryError as error:
            logger.error("Could not post %s message %s: %s", message.kind, notification.message_id, error)
            errors.append(error)
            continue
        logger.info("Posted %s message %s in %d attempt(s)", message.kind, notification.message_id, attempts)
    if errors:
        # Failing the invocation lets Lambda's async retries try again and shows up in the Errors metric.
        raise SlackDeliveryError(
            f"{len(errors)} of {len(notifications)} notification(s) were not posted to Slack; first: {errors[0]}"
        )
    return {"delivered": len(notifications)}


def _sns_notifications(event: Mapping[str, Any]) -> list[SnsNotification]:
    notifications = []
    for record in mappings_in(event.get("Records")):
        sns = mapping_of(record.get("Sns"))
        body = sns.get("Message")
        if not isinstance(body, str):
            raise ValueError(NOT_AN_SNS_EVENT)
        message_id = text_of(sns, "MessageId") or "(no id)"
        notifications.append(SnsNotification(message_id, subject=text_of(sns, "Subject"), body=body))
    if not notifications:
        raise ValueError(NOT_AN_SNS_EVENT)
    return notifications


def _delivery_deadline(policy: RetryPolicy, context: Any) -> float:
    budget = policy.total_budget_seconds
    remaining_millis = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining_millis):
        budget = min(budget, remaining_millis() / 1000 - TIMEOUT_MARGIN_SECONDS)
    return time.monotonic() + budget
