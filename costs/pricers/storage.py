"""EFS (and its backups), S3 buckets, DynamoDB tables and ECR repositories."""

from __future__ import annotations

from costs.model import Basis, Category, LineItem, PricingContext, config_number
from costs.pricers.logs import DAYS_PER_MONTH
from costs.stack import Resource, referenced_address, single_block

IA_NOTE = "lifecycle_policy moves cold files to cheaper Infrequent Access"
# (what is priced, usage assumption, unit, price) for every bucket
S3_USAGE = (
    ("S3 Standard storage", "s3.stored_gb_per_bucket", "GB-months", "s3.standard_gb_month"),
    ("S3 PUT/LIST requests", "s3.put_requests_month_per_bucket", "requests", "s3.put_request"),
    ("S3 GET requests", "s3.get_requests_month_per_bucket", "requests", "s3.get_request"),
)


def price_efs_file_system(efs: Resource, context: PricingContext) -> list[LineItem]:
    lines = [
        LineItem(
            efs.address,
            "EFS Standard storage (Regional)",
            context.assume("efs.stored_gb") * efs.instances,
            "GB-months",
            context.prices.price("efs.standard_gb_month"),
            Basis.USAGE,
            Category.EFS,
            assumption=context.assumption_label("efs.stored_gb"),
            note=IA_NOTE if efs.config.get("lifecycle_policy") else "",
        )
    ]
    mode = efs.config.get("throughput_mode", "bursting")
    if mode == "elastic":
        lines += _elastic_throughput(efs, context)
    elif mode == "provisioned":
        lines.append(
            LineItem(
                efs.address,
                "EFS provisioned throughput",
                config_number(efs, "provisioned_throughput_in_mibps", 0, context) * efs.instances,
                "MiBps-months",
                context.prices.price("efs.provisioned_mibps_month"),
                Basis.FIXED,
                Category.EFS,
            )
        )
    return lines


def _elastic_throughput(efs: Resource, context: PricingContext) -> list[LineItem]:
    return [
        LineItem(
            efs.address,
            f"EFS Elastic Throughput {direction}",
            context.assume(f"efs.elastic_{direction}_gb_month") * efs.instances,
            f"GB {'read' if direction == 'read' else 'written'}",
            context.prices.price(f"efs.elastic_{direction}_gb"),
            Basis.USAGE,
            Category.EFS,
            assumption=context.assumption_label(f"efs.elastic_{direction}_gb_month"),
        )
        for direction in ("read", "write")
    ]


def price_efs_backup_policy(policy: Resource, context: PricingContext) -> list[LineItem]:
    if single_block(policy.config.get("backup_policy")).get("status") != "ENABLED":
        return []
    return [
        LineItem(
            policy.address,
            "AWS Backup of EFS, warm storage (daily, kept 35 days)",
            context.assume("efs.stored_gb"),
            "GB-months",
            context.prices.price("backup.efs_warm_gb_month"),
            Basis.USAGE,
            Category.EFS,
            assumption=context.assumption_label("efs.stored_gb"),
        )
    ]


def price_s3_bucket(bucket: Resource, context: PricingContext) -> list[LineItem]:
    lines = [
        _usage(bucket, item, assumption, bucket.instances, unit, price, context)
        for item, assumption, unit, price in S3_USAGE
    ]
    flow_logs = [
        flow
        for flow in context.stack.of_type("aws_flow_log")
        if flow.config.get("log_destination_type") == "s3"
        and referenced_address(flow.config.get("log_destination")) == bucket.address
    ]
    if flow_logs:
        lines[0] = _flow_log_storage(bucket, flow_logs, context)
    return lines


def _flow_log_storage(bucket: Resource, flow_logs: list[Resource], context: PricingContext) -> LineItem:
    """A flow-log bucket holds every month's delivery until its lifecycle rule expires it."""
    volume_key = "vpc_flow_logs.gb_month_per_flow_log"
    monthly = context.assume(volume_key) * sum(flow.instances for flow in flow_logs)
    days = _expiration_days(bucket, context)
    months = days / DAYS_PER_MONTH if days else context.assume("cloudwatch.log_months_kept_without_retention")
    kept = f"{days}-day expiration, steady state" if days else f"never expires: {months:g} months accumulated"
    return LineItem(
        bucket.address,
        f"S3 Standard storage of VPC flow logs ({kept})",
        monthly * months,
        "GB-months",
        context.prices.price("s3.standard_gb_month"),
        Basis.USAGE,
        Category.MONITORING,
        assumption=context.assumption_label(volume_key),
    )


def _expiration_days(bucket: Resource, context: PricingContext) -> int | None:
    for lifecycle in context.stack.of_type("aws_s3_bucket_lifecycle_configuration"):
        if referenced_address(lifecycle.config.get("bucket")) != bucket.address:
            continue
        rules = lifecycle.config.get("rule") or []
        for rule in rules if isinstance(rules, list) else [rules]:
            days = single_block(rule.get("expiration")).get("days") if isinstance(rule, dict) else None
            if isinstance(days, int) and not isinstance(days, bool) and days > 0:
                return days
    return None


def price_dynamodb_table(table: Resource, context: PricingContext) -> list[LineItem]:
    count = table.instances
    storage = _usage(
        table,
        "DynamoDB storage",
        "dynamodb.stored_gb_per_table",
        count,
        "GB-months",
        "dynamodb.storage_gb_month",
        context,
    )
    if table.config.get("billing_mode", "PROVISIONED") == "PAY_PER_REQUEST":
        return [
            _usage(
                table,
                "DynamoDB on-demand writes",
                "dynamodb.write_request_units_month_per_table",
                count,
                "write request units",
                "dynamodb.on_demand_write_request_unit",
                context,
            ),
            _usage(
                table,
                "DynamoDB on-demand reads",
                "dynamodb.read_request_units_month_per_table",
                count,
                "read request units",
                "dynamodb.on_demand_read_request_unit",
                context,
            ),
            storage,
        ]
    return [*_provisioned_capacity(table, context), storage]


def _provisioned_capacity(table: Resource, context: PricingContext) -> list[LineItem]:
    hours = table.instances * context.hours
    return [
        LineItem(
            table.address,
            f"DynamoDB provisioned {kind} capacity",
            config_number(table, f"{kind}_capacity", 0, context) * hours,
            f"{unit}-hours",
            context.prices.price(f"dynamodb.provisioned_{unit.lower()}_hour"),
            Basis.FIXED,
            Category.STORAGE,
        )
        for kind, unit in (("write", "WCU"), ("read", "RCU"))
    ]


def price_ecr_repository(repository: Resource, context: PricingContext) -> list[LineItem]:
    return [
        LineItem(
            repository.address,
            "ECR image storage",
            context.assume("ecr.stored_gb_per_repository") * repository.instances,
            "GB-months",
            context.prices.price("ecr.storage_gb_month"),
            Basis.USAGE,
            Category.OTHER,
            assumption=context.assumption_label("ecr.stored_gb_per_repository"),
        )
    ]


def _usage(
    resource: Resource,
    item: str,
    assumption_key: str,
    count: int,
    unit: str,
    price_key: str,
    context: PricingContext,
) -> LineItem:
    return LineItem(
        resource.address,
        item,
        context.assume(assumption_key) * count,
        unit,
        context.prices.price(price_key),
        Basis.USAGE,
        Category.STORAGE,
        assumption=context.assumption_label(assumption_key),
    )
