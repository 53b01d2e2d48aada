"""Slack message for a CloudWatch alarm state change, as CloudWatch publishes it to SNS."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_notifier import console_links
from slack_notifier.blocks import (
    SECTION_TEXT_LIMIT,
    Payload,
    context,
    environment_prefix,
    escaped,
    fields,
    header,
    labelled_section,
    link,
    message,
    section,
)
from slack_notifier.documents import mapping_of, mappings_in, number_text, text_of
from slack_notifier.settings import MessageContext

STATE_STYLES = {
    "ALARM": (":red_circle:", "ALARM"),
    "OK": (":large_green_circle:", "OK"),
    "INSUFFICIENT_DATA": (":large_yellow_circle:", "INSUFFICIENT DATA"),
}
UNKNOWN_STATE_EMOJI = ":grey_question:"

COMPARISON_SYMBOLS = {
    "GreaterThanOrEqualToThreshold": ">=",
    "GreaterThanThreshold": ">",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
    "LessThanLowerOrGreaterThanUpperThreshold": "outside the band",
    "LessThanLowerThreshold": "below the band",
    "GreaterThanUpperThreshold": "above the band",
}
ECS_NAMESPACES = {"AWS/ECS", "ECS/ContainerInsights"}


def is_cloudwatch_alarm(document: Mapping[str, Any]) -> bool:
    return isinstance(document.get("AlarmName"), str) and isinstance(document.get("NewStateValue"), str)


def build_alarm_message(alarm: Mapping[str, Any], ctx: MessageContext) -> Payload:
    name = text_of(alarm, "AlarmName")
    new_state = text_of(alarm, "NewStateValue")
    emoji, state_label = STATE_STYLES.get(new_state, (UNKNOWN_STATE_EMOJI, new_state))
    region = console_links.pick_region(
        console_links.region_from_arn(text_of(alarm, "AlarmArn")), fallback=ctx.default_region
    )
    trigger = mapping_of(alarm.get("Trigger"))
    return message(
        f"{environment_prefix(ctx.environment)}{state_label}: {name}",
        [
            header(f"{emoji} {state_label}: {name}"),
            section(escaped(text_of(alarm, "AlarmDescription"), SECTION_TEXT_LIMIT)),
            fields(
                [
                    ("State", _state_change(text_of(alarm, "OldStateValue"), new_state)),
                    ("Environment", ctx.environment),
                    ("Metric", describe_metric(trigger)),
                    ("Condition", describe_condition(trigger)),
                    ("Dimensions", describe_dimensions(trigger)),
                    ("Rule", text_of(alarm, "AlarmRule")),  # composite alarms have a rule instead of a metric
                    ("Region", _region_label(text_of(alarm, "Region"), region)),
                ]
            ),
            labelled_section("Reason", text_of(alarm, "NewStateReason")),
            section("  •  ".join(_console_links(name, region, trigger))),
            context(_footer(alarm)),
        ],
    )


def describe_metric(trigger: Mapping[str, Any]) -> str:
    metric_name = text_of(trigger, "MetricName")
    if metric_name:
        namespace = text_of(trigger, "Namespace")
        return f"{namespace} {metric_name}" if namespace else metric_name
    # Metric math and anomaly detection alarms list their metrics; the one returning data is what alarms.
    for query in mappings_in(trigger.get("Metrics")):
        if query.get("ReturnData"):
            return text_of(query, "Expression") or text_of(query, "Label") or text_of(query, "Id")
    return ""


def describe_condition(trigger: Mapping[str, Any]) -> str:
    operator = text_of(trigger, "ComparisonOperator")
    if not operator:
        return ""
    statistic = text_of(trigger, "ExtendedStatistic") or text_of(trigger, "Statistic").capitalize()
    threshold = number_text(trigger.get("Threshold")) or text_of(trigger, "ThresholdMetricId")
    condition = " ".join(part for part in (statistic, COMPARISON_SYMBOLS.get(operator, operator), threshold) if part)
    evaluation_periods = number_text(trigger.get("EvaluationPeriods"))
    if not evaluation_periods:
        return condition
    datapoints = number_text(trigger.get("DatapointsToAlarm")) or evaluation_periods
    period = _duration(trigger.get("Period"))
    periods = f"{datapoints} of {evaluation_periods} periods" + (f" of {period}" if period else "")
    return f"{condition} in {periods}"


def describe_dimensions(trigger: Mapping[str, Any]) -> str:
    return ", ".join(f"{name}={value}" for name, value in _dimensions(trigger).items())


def _console_links(name: str, region: str, trigger: Mapping[str, Any]) -> list[str]:
    links = [link(console_links.cloudwatch_alarm(region, name), "Open the alarm in CloudWatch")]
    dimensions = _dimensions(trigger)
    cluster, service = dimensions.get("ClusterName"), dimensions.get("ServiceName")
    if text_of(trigger, "Namespace") in ECS_NAMESPACES and cluster and service:
        links.append(link(console_links.ecs_service(region, cluster, service), "Open the ECS service"))
    return links


def _dimensions(trigger: Mapping[str, Any]) -> dict[str, str]:
    # CloudWatch writes dimensions to SNS with lower-case keys ("name", "value"); accept both spellings.
    dimensions: dict[str, str] = {}
    for pair in mappings_in(trigger.get("Dimensions")):
        name = text_of(pair, "name") or text_of(pair, "Name")
        if name:
            dimensions[name] = text_of(pair, "value") or text_of(pair, "Value")
    return dimensions


def _footer(alarm: Mapping[str, Any]) -> list[str]:
    changed_at, account = text_of(alarm, "StateChangeTime"), text_of(alarm, "AWSAccountId")
    return [f"State changed at {changed_at}" if changed_at else "", f"Account {account}" if account else ""]


def _state_change(old_state: str, new_state: str) -> str:
    return f"{old_state} → {new_state}" if old_state and old_state != new_state else new_state


def _region_label(region_name: str, region_code: str) -> str:
    return f"{region_name} ({region_code})" if region_name and region_name != region_code else region_code


def _duration(seconds: Any) -> str:
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds <= 0:
        return ""
    if seconds % 3600 == 0:
        return f"{int(seconds // 3600)} h"
    if seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{number_text(seconds)} s"
