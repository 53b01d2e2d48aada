"""CloudWatch log groups, the vended logs AWS delivers into them (VPC flow logs, WAF logs), and metric filters."""

from __future__ import annotations

from costs.model import Basis, Category, LineItem, NotPricedError, PricingContext
from costs.stack import Resource, referenced_address

DAYS_PER_MONTH = 30.42
FLOW_LOG_VOLUME = "vpc_flow_logs.gb_month_per_flow_log"
WAF_LOG_VOLUME = "waf.log_gb_month_per_web_acl"


def price_log_group(group: Resource, context: PricingContext) -> list[LineItem]:
    """Ingestion and storage; a group fed by vended logs pays their delivery on the source's line instead."""
    sources = _vended_sources(group, context)
    ingested, volume_key = _monthly_volume(group, sources, context)
    months_kept, kept_label = _months_kept(group, context)
    storage = LineItem(
        group.address,
        f"CloudWatch Logs storage ({kept_label})",
        ingested * months_kept,
        "GB-months",
        context.prices.price("cloudwatch.logs_storage_gb_month"),
        Basis.USAGE,
        Category.MONITORING,
        assumption=context.assumption_label(volume_key),
        note=f"ingestion is billed as vended logs on {sources[0][0].address}" if sources else "",
    )
    if sources:
        return [storage]
    infrequent = group.config.get("log_group_class") == "INFREQUENT_ACCESS"
    ingestion = LineItem(
        group.address,
        "CloudWatch Logs ingestion" + (" (Infrequent Access class)" if infrequent else ""),
        ingested,
        "GB",
        context.prices.price("cloudwatch.logs_ingestion_ia_gb" if infrequent else "cloudwatch.logs_ingestion_gb"),
        Basis.USAGE,
        Category.MONITORING,
        assumption=context.assumption_label(volume_key),
    )
    return [ingestion, storage]


def _monthly_volume(group: Resource, sources: list[tuple[Resource, str]], context: PricingContext) -> tuple[float, str]:
    """GB arriving each month, and the usage assumption it rests on."""
    if sources:
        return sum(context.assume(key) * source.instances for source, key in sources), sources[0][1]
    key = "cloudwatch.log_ingestion_gb_month_per_group"
    return context.assume(key) * group.instances, key


def _vended_sources(group: Resource, context: PricingContext) -> list[tuple[Resource, str]]:
    """Flow logs and WAF logging configurations that deliver into ``group``, with their volume assumption."""
    flow_logs = [
        (flow, FLOW_LOG_VOLUME) for flow in context.stack.references_to(group, "aws_flow_log", "log_destination")
    ]
    waf_logs = [
        (logging, WAF_LOG_VOLUME)
        for logging in context.stack.of_type("aws_wafv2_web_acl_logging_configuration")
        if group.address in (referenced_address(d) for d in logging.config.get("log_destination_configs") or [])
    ]
    return flow_logs + waf_logs


def _months_kept(group: Resource, context: PricingContext) -> tuple[float, str]:
    retention = group.config.get("retention_in_days")
    if isinstance(retention, int) and retention > 0:
        return retention / DAYS_PER_MONTH, f"{retention}-day retention, steady state"
    months = context.assume("cloudwatch.log_months_kept_without_retention")
    return months, f"never expires: {months:g} months accumulated"


def price_flow_log(flow_log: Resource, context: PricingContext) -> list[LineItem]:
    to_s3 = flow_log.config.get("log_destination_type") == "s3"
    return [_vended_delivery(flow_log, "VPC flow logs", to_s3, FLOW_LOG_VOLUME, context)]


def price_waf_logging(logging: Resource, context: PricingContext) -> list[LineItem]:
    destinations = logging.config.get("log_destination_configs") or [""]
    destination = str(destinations[0])
    target = referenced_address(destination) or ""
    if target.startswith("aws_s3_bucket.") or ":s3:::" in destination:
        return [_vended_delivery(logging, "WAF logs", True, WAF_LOG_VOLUME, context)]
    if target.startswith("aws_cloudwatch_log_group.") or ":logs:" in destination:
        return [_vended_delivery(logging, "WAF logs", False, WAF_LOG_VOLUME, context)]
    raise NotPricedError("WAF log delivery to Kinesis Data Firehose is not in the price table")


def _vended_delivery(source: Resource, what: str, to_s3: bool, volume_key: str, context: PricingContext) -> LineItem:
    return LineItem(
        source.address,
        f"{what} delivered to {'S3' if to_s3 else 'CloudWatch Logs'} (vended logs)",
        context.assume(volume_key) * source.instances,
        "GB",
        context.prices.price("cloudwatch.vended_logs_s3_gb" if to_s3 else "cloudwatch.vended_logs_gb"),
        Basis.USAGE,
        Category.MONITORING,
        assumption=context.assumption_label(volume_key),
    )


def price_log_metric_filter(metric_filter: Resource, context: PricingContext) -> list[LineItem]:
    transformations = metric_filter.config.get("metric_transformation") or [{}]
    count = len(transformations) if isinstance(transformations, list) else 1
    return [
        LineItem(
            metric_filter.address,
            "Custom metric from a log metric filter",
            count * metric_filter.instances,
            "metric-months",
            context.prices.price("cloudwatch.custom_metric_month"),
            Basis.USAGE,
            Category.MONITORING,
            assumption="assumption: the metric is published every hour of the month",
        )
    ]
