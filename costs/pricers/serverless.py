"""Lambda functions, SQS queues and EventBridge buses (the AI reviewer and notifiers), and ElastiCache nodes."""

from __future__ import annotations

from costs.model import Basis, Category, LineItem, NotPricedError, PricingContext, config_number
from costs.stack import Resource

LAMBDA_DEFAULT_MEMORY_MB = 128


def price_lambda_function(function: Resource, context: PricingContext) -> list[LineItem]:
    invocations = context.assume("lambda.invocations_month_per_function") * function.instances
    seconds = context.assume("lambda.average_duration_seconds")
    memory_gb = config_number(function, "memory_size", LAMBDA_DEFAULT_MEMORY_MB, context) / 1024
    architectures = function.config.get("architectures") or ["x86_64"]
    architecture = "arm64" if "arm64" in architectures else "x86_64"
    return [
        LineItem(
            function.address,
            f"Lambda compute ({architecture}, {memory_gb * 1024:g} MB x {seconds:g} s per invocation)",
            invocations * seconds * memory_gb,
            "GB-seconds",
            context.prices.price(f"lambda.{architecture}_gb_second"),
            Basis.USAGE,
            Category.SERVERLESS,
            assumption=f"{context.assumption_label('lambda.invocations_month_per_function')}, "
            f"{context.assumption_label('lambda.average_duration_seconds')}",
        ),
        LineItem(
            function.address,
            "Lambda requests",
            invocations,
            "requests",
            context.prices.price("lambda.request"),
            Basis.USAGE,
            Category.SERVERLESS,
            assumption=context.assumption_label("lambda.invocations_month_per_function"),
        ),
    ]


def price_sqs_queue(queue: Resource, context: PricingContext) -> list[LineItem]:
    fifo = queue.config.get("fifo_queue") is True
    # A Lambda event source mapping long-polls all month; a dead-letter queue sees a request now and then.
    polled = bool(context.stack.references_to(queue, "aws_lambda_event_source_mapping", "event_source_arn"))
    volume = "sqs.requests_month_per_polled_queue" if polled else "sqs.requests_month_per_queue"
    return [
        LineItem(
            queue.address,
            f"SQS {'FIFO' if fifo else 'standard'} requests{' (polled by Lambda)' if polled else ''}",
            context.assume(volume) * queue.instances,
            "requests",
            context.prices.price("sqs.fifo_request" if fifo else "sqs.standard_request"),
            Basis.USAGE,
            Category.SERVERLESS,
            assumption=context.assumption_label(volume),
        )
    ]


def price_event_bus(bus: Resource, context: PricingContext) -> list[LineItem]:
    return [
        LineItem(
            bus.address,
            "EventBridge custom events",
            context.assume("eventbridge.custom_events_month_per_bus") * bus.instances,
            "events",
            context.prices.price("eventbridge.custom_event"),
            Basis.USAGE,
            Category.SERVERLESS,
            assumption=context.assumption_label("eventbridge.custom_events_month_per_bus"),
        )
    ]


def price_elasticache_cluster(cluster: Resource, context: PricingContext) -> list[LineItem]:
    if cluster.config.get("replication_group_id"):
        return []  # A member of a replication group: its nodes are priced with the group.
    nodes = config_number(cluster, "num_cache_nodes", 1, context)
    return [_cache_nodes(cluster, nodes, str(cluster.config.get("engine", "redis")), context)]


def price_elasticache_replication_group(group: Resource, context: PricingContext) -> list[LineItem]:
    if "num_node_groups" in group.config:
        shards = config_number(group, "num_node_groups", 1, context)
        nodes = shards * (config_number(group, "replicas_per_node_group", 0, context) + 1)
    else:
        nodes = config_number(group, "num_cache_clusters", 1, context)
    return [_cache_nodes(group, nodes, str(group.config.get("engine", "redis")), context)]


def _cache_nodes(resource: Resource, nodes: float, engine: str, context: PricingContext) -> LineItem:
    node_type = str(resource.config.get("node_type", ""))
    key = f"elasticache.node_hour:{node_type}"
    if not context.prices.has_price(key):
        raise NotPricedError(f"node type {node_type or '(none)'} is not in the price table")
    rate = context.prices.price(key)
    if engine == "valkey":
        rate *= context.prices.factor("elasticache.valkey_fraction_of_redis")
    return LineItem(
        resource.address,
        f"ElastiCache {engine} {node_type} nodes",
        nodes * resource.instances * context.hours,
        "node-hours",
        rate,
        Basis.FIXED,
        Category.OTHER,
    )
