"""EC2 instances (the NAT instance option): instance hours, the root EBS volume and detailed monitoring."""

from __future__ import annotations

from costs.model import Basis, Category, LineItem, NotPricedError, PricingContext
from costs.stack import Resource, single_block

DEFAULT_ROOT_GB = 8  # the Amazon Linux 2023 image's root volume when volume_size is not set
DETAILED_MONITORING = "ec2.detailed_monitoring_metrics_per_instance"


def price_ec2_instance(instance: Resource, context: PricingContext) -> list[LineItem]:
    instance_type = str(instance.config.get("instance_type", ""))
    price_key = f"ec2.instance_hour:{instance_type}"
    if not context.prices.has_price(price_key):
        raise NotPricedError(f"instance type {instance_type or '(computed)'} is not in the price table")
    nat = is_nat_instance(instance, context)
    category = Category.NAT if nat else Category.OTHER
    lines = [
        LineItem(
            instance.address,
            f"EC2 {instance_type} Linux hours" + (" (NAT instance)" if nat else ""),
            instance.instances * context.hours,
            "instance-hours",
            context.prices.price(price_key),
            Basis.FIXED,
            category,
            note="a NAT instance has no per-GB processing charge (a NAT gateway does)" if nat else "",
        ),
        _root_volume(instance, category, context),
    ]
    if instance.config.get("monitoring") is True:
        lines.append(
            LineItem(
                instance.address,
                "EC2 detailed monitoring (1-minute metrics, billed as custom metrics)",
                context.assume(DETAILED_MONITORING) * instance.instances,
                "metric-months",
                context.prices.price("cloudwatch.custom_metric_month"),
                Basis.FIXED,
                Category.MONITORING,
                assumption=context.assumption_label(DETAILED_MONITORING),
            )
        )
    return lines


def _root_volume(instance: Resource, category: Category, context: PricingContext) -> LineItem:
    root = single_block(instance.config.get("root_block_device"))
    volume_type = str(root.get("volume_type", "gp3"))
    size = root.get("volume_size")
    price_key = f"ebs.{volume_type}_gb_month"
    if not context.prices.has_price(price_key):
        raise NotPricedError(f"EBS volume type {volume_type} is not in the price table")
    return LineItem(
        instance.address,
        f"EBS {volume_type} root volume",
        (size if isinstance(size, int | float) and not isinstance(size, bool) else DEFAULT_ROOT_GB)
        * instance.instances,
        "GB-months",
        context.prices.price(price_key),
        Basis.FIXED,
        category,
        note="" if size else f"volume_size not set: priced at the image's {DEFAULT_ROOT_GB} GB",
    )


def is_nat_instance(instance: Resource, context: PricingContext) -> bool:
    """Source/destination checking off, on the instance or on the network interface it is launched with."""
    if instance.config.get("source_dest_check") is False:
        return True
    interfaces = instance.config.get("network_interface") or []
    for attachment in interfaces if isinstance(interfaces, list) else [interfaces]:
        interface = (
            context.stack.referenced(attachment.get("network_interface_id")) if isinstance(attachment, dict) else None
        )
        if interface is not None and interface.config.get("source_dest_check") is False:
            return True
    return False
