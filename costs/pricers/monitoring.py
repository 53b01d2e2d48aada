"""CloudWatch alarms, dashboards and Container Insights, and SNS topics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from costs.model import Basis, Category, LineItem, PricingContext
from costs.stack import Resource, single_block

HIGH_RESOLUTION_PERIOD_SECONDS = 60
# An anomaly detection alarm is billed as three metrics: the metric and the band's upper and lower bounds.
ANOMALY_DETECTION_METRICS = 3


def price_metric_alarm(alarm: Resource, context: PricingContext) -> list[LineItem]:
    high_resolution = _period(alarm.config) < HIGH_RESOLUTION_PERIOD_SECONDS
    metrics = _alarm_metric_count(alarm.config)
    return [
        LineItem(
            alarm.address,
            f"CloudWatch {'high-resolution ' if high_resolution else ''}alarm ({metrics} metric{'s' if metrics > 1 else ''})",
            metrics * alarm.instances,
            "alarm metric-months",
            context.prices.price(
                "cloudwatch.alarm_high_resolution_month" if high_resolution else "cloudwatch.alarm_standard_month"
            ),
            Basis.FIXED,
            Category.MONITORING,
        )
    ]


def _period(config: Mapping[str, Any]) -> float:
    periods = [config.get("period")] + [
        single_block(query.get("metric")).get("period")
        for query in config.get("metric_query") or []
        if isinstance(query, dict)
    ]
    numeric = [float(period) for period in periods if isinstance(period, int | float) and not isinstance(period, bool)]
    return min(numeric, default=float(HIGH_RESOLUTION_PERIOD_SECONDS))


def _alarm_metric_count(config: Mapping[str, Any]) -> int:
    if config.get("threshold_metric_id"):
        return ANOMALY_DETECTION_METRICS
    queries = [query for query in config.get("metric_query") or [] if isinstance(query, dict) and "metric" in query]
    return max(1, len(queries))


def price_composite_alarm(alarm: Resource, context: PricingContext) -> list[LineItem]:
    return [
        LineItem(
            alarm.address,
            "CloudWatch composite alarm",
            alarm.instances,
            "alarm-months",
            context.prices.price("cloudwatch.alarm_composite_month"),
            Basis.FIXED,
            Category.MONITORING,
        )
    ]


def price_dashboard(dashboard: Resource, context: PricingContext) -> list[LineItem]:
    """$3 a month each, after the account's first three; the stack's dashboards take the free ones in address order."""
    free = int(context.prices.factor("cloudwatch.free_dashboards"))
    ordered = sorted(context.stack.of_type("aws_cloudwatch_dashboard"), key=lambda resource: resource.address)
    before = sum(resource.instances for resource in ordered[: ordered.index(dashboard)])
    billed = max(0, before + dashboard.instances - max(free, before))
    return [
        LineItem(
            dashboard.address,
            f"CloudWatch dashboard (first {free} in the account are free)",
            billed,
            "dashboard-months",
            context.prices.price("cloudwatch.dashboard_month"),
            Basis.FIXED,
            Category.MONITORING,
        )
    ]


def price_ecs_cluster(cluster: Resource, context: PricingContext) -> list[LineItem]:
    """The cluster is free; Container Insights, when on, publishes custom metrics and performance log events."""
    mode = _container_insights(cluster.config)
    if mode not in ("enabled", "enhanced"):
        return []
    services = sum(s.instances for s in context.stack.references_to(cluster, "aws_ecs_service", "cluster"))
    per_cluster = context.assume("cloudwatch.container_insights_metrics_per_cluster")
    per_service = context.assume("cloudwatch.container_insights_metrics_per_service")
    label = (
        f"assumption cloudwatch.container_insights_metrics_per_cluster = {per_cluster:g} "
        f"+ cloudwatch.container_insights_metrics_per_service = {per_service:g} x {services} service(s)"
    )
    enhanced = " (enhanced: billed per observation, approximated as metrics)" if mode == "enhanced" else ""
    return [
        LineItem(
            cluster.address,
            f"Container Insights custom metrics{enhanced}",
            per_cluster + per_service * services,
            "metric-months",
            context.prices.price("cloudwatch.custom_metric_month"),
            Basis.USAGE,
            Category.MONITORING,
            assumption=label,
        ),
        LineItem(
            cluster.address,
            "Container Insights performance log events",
            context.assume("cloudwatch.container_insights_log_gb_month_per_cluster"),
            "GB",
            context.prices.price("cloudwatch.logs_ingestion_gb"),
            Basis.USAGE,
            Category.MONITORING,
            assumption=context.assumption_label("cloudwatch.container_insights_log_gb_month_per_cluster"),
        ),
    ]


def _container_insights(config: Mapping[str, Any]) -> str:
    settings = config.get("setting") or []
    for setting in settings if isinstance(settings, list) else [settings]:
        if isinstance(setting, dict) and setting.get("name") == "containerInsights":
            return str(setting.get("value", "disabled"))
    return "disabled"


def price_sns_topic(topic: Resource, context: PricingContext) -> list[LineItem]:
    publishes = context.assume("sns.publishes_month_per_topic") * topic.instances
    lines = [
        LineItem(
            topic.address,
            "SNS publishes",
            publishes,
            "requests",
            context.prices.price("sns.publish_request"),
            Basis.USAGE,
            Category.MONITORING,
            assumption=context.assumption_label("sns.publishes_month_per_topic"),
        )
    ]
    emails = _email_subscriptions(topic, context)
    if emails:
        lines.append(
            LineItem(
                topic.address,
                f"SNS email deliveries ({emails} email subscription{'s' if emails > 1 else ''})",
                publishes * emails,
                "notifications",
                context.prices.price("sns.email_notification"),
                Basis.USAGE,
                Category.MONITORING,
                assumption=f"{context.assumption_label('sns.publishes_month_per_topic')}, x {emails} email",
            )
        )
    return lines


def _email_subscriptions(topic: Resource, context: PricingContext) -> int:
    subscriptions = context.stack.references_to(topic, "aws_sns_topic_subscription", "topic_arn")
    return sum(s.instances for s in subscriptions if str(s.config.get("protocol", "")).startswith("email"))
