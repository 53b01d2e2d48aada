"""Chooses the Slack layout for one message from the alerts topic by looking at its shape."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_notifier.alarm_message import build_alarm_message, is_cloudwatch_alarm
from slack_notifier.blocks import Payload, environment_prefix, plain_text_message
from slack_notifier.ecs_task_message import build_ecs_task_message, is_ecs_task_change
from slack_notifier.settings import MessageContext

PLAIN_TEXT_KIND = "plain-text"
DEFAULT_SUBJECT = "Notification from the alerts topic"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Layout:
    kind: str
    matches: Callable[[Mapping[str, Any]], bool]
    build: Callable[[Mapping[str, Any], MessageContext], Payload]


LAYOUTS = (
    Layout("cloudwatch-alarm", is_cloudwatch_alarm, build_alarm_message),
    Layout("ecs-task", is_ecs_task_change, build_ecs_task_message),
)


@dataclass(frozen=True)
class SlackMessage:
    kind: str
    payload: Payload


def build_slack_message(body: str, subject: str, ctx: MessageContext) -> SlackMessage:
    document = _json_object(body)
    layout = next((layout for layout in LAYOUTS if document is not None and layout.matches(document)), None)
    if layout is not None and document is not None:
        try:
            return SlackMessage(layout.kind, layout.build(document, ctx))
        except Exception:
            # An alert must reach Slack even when its layout trips over an unforeseen field value.
            logger.warning("Could not lay out a %s message; posting it as plain text", layout.kind, exc_info=True)
    heading = environment_prefix(ctx.environment) + (subject or DEFAULT_SUBJECT)
    return SlackMessage(PLAIN_TEXT_KIND, plain_text_message(f"{heading}\n{body}"))


def _json_object(body: str) -> Mapping[str, Any] | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return document if isinstance(document, Mapping) else None
