"""NAT gateways, public IPv4 addresses, load balancers, VPC endpoints and hosted zones."""

from __future__ import annotations

from costs.model import Basis, Category, LineItem, NotPricedError, PricingContext
from costs.pricers.ec2 import is_nat_instance
from costs.stack import Resource


def price_nat_gateway(nat: Resource, context: PricingContext) -> list[LineItem]:
    gateways = sum(resource.instances for resource in context.stack.of_type("aws_nat_gateway")) or 1
    share = nat.instances / gateways
    return [
        LineItem(
            nat.address,
            "NAT gateway hours",
            nat.instances * context.hours,
            "gateway-hours",
            context.prices.price("nat_gateway.hour"),
            Basis.FIXED,
            Category.NAT,
        ),
        LineItem(
            nat.address,
            "NAT gateway data processing" + (f" (1/{gateways} of the traffic)" if gateways > 1 else ""),
            context.assume("nat_gateway.data_processed_gb_month") * share,
            "GB",
            context.prices.price("nat_gateway.data_processed_gb"),
            Basis.USAGE,
            Category.NAT,
            assumption=context.assumption_label("nat_gateway.data_processed_gb_month"),
        ),
    ]


def price_eip(eip: Resource, context: PricingContext) -> list[LineItem]:
    nat = _nat_using(eip, context)
    item = f"Public IPv4 (Elastic IP) of NAT {_nat_kind(nat)} {nat.name}" if nat else "Public IPv4 (Elastic IP)"
    return [
        LineItem(
            eip.address,
            item,
            eip.instances * context.hours,
            "address-hours",
            context.prices.price("vpc.public_ipv4_hour"),
            Basis.FIXED,
            Category.NAT if nat else Category.OTHER,
        )
    ]


def _nat_using(eip: Resource, context: PricingContext) -> Resource | None:
    """The NAT gateway that holds the address, or the NAT instance it is associated with."""
    users = context.stack.references_to(eip, "aws_nat_gateway", "allocation_id")
    if users:
        return users[0]
    instance = context.stack.referenced(eip.config.get("instance"))
    if instance is not None and instance.type == "aws_instance" and is_nat_instance(instance, context):
        return instance
    return None


def _nat_kind(nat: Resource) -> str:
    return "gateway" if nat.type == "aws_nat_gateway" else "instance"


def price_load_balancer(balancer: Resource, context: PricingContext) -> list[LineItem]:
    kind = str(balancer.config.get("load_balancer_type", "application"))
    if kind == "gateway":
        raise NotPricedError("Gateway Load Balancer rates are not in the price table")
    short, capacity_unit = ("alb", "lcu") if kind == "application" else ("nlb", "nlcu")
    hours = balancer.instances * context.hours
    lines = [
        LineItem(
            balancer.address,
            f"{short.upper()} hours",
            hours,
            f"{short.upper()}-hours",
            context.prices.price(f"{short}.hour"),
            Basis.FIXED,
            Category.LOAD_BALANCER,
        ),
        LineItem(
            balancer.address,
            f"{short.upper()} capacity units",
            hours * context.assume("load_balancer.average_capacity_units"),
            f"{capacity_unit.upper()}-hours",
            context.prices.price(f"{short}.{capacity_unit}_hour"),
            Basis.USAGE,
            Category.LOAD_BALANCER,
            assumption=context.assumption_label("load_balancer.average_capacity_units"),
        ),
    ]
    public_addresses = _public_ipv4_count(balancer)
    if public_addresses:
        lines.append(
            LineItem(
                balancer.address,
                f"Public IPv4 of the internet-facing {short.upper()} ({public_addresses} AZs)",
                public_addresses * hours,
                "address-hours",
                context.prices.price("vpc.public_ipv4_hour"),
                Basis.FIXED,
                Category.LOAD_BALANCER,
            )
        )
    return lines


def _public_ipv4_count(balancer: Resource) -> int:
    internal = balancer.config.get("internal") is True
    if internal or balancer.config.get("ip_address_type") == "dualstack-without-public-ipv4":
        return 0
    subnets = balancer.config.get("subnets") or balancer.config.get("subnet_mapping") or []
    return len(subnets) if isinstance(subnets, list) else 1


def price_vpc_endpoint(endpoint: Resource, context: PricingContext) -> list[LineItem]:
    if endpoint.config.get("vpc_endpoint_type", "Gateway") != "Interface":
        return []  # Gateway endpoints (S3, DynamoDB) are free.
    zones = len(endpoint.config.get("subnet_ids") or []) or 1
    return [
        LineItem(
            endpoint.address,
            f"Interface endpoint {endpoint.config.get('service_name', '')} in {zones} AZ(s)".replace("  ", " "),
            zones * endpoint.instances * context.hours,
            "endpoint-AZ-hours",
            context.prices.price("vpc_endpoint.interface_az_hour"),
            Basis.FIXED,
            Category.OTHER,
        ),
        LineItem(
            endpoint.address,
            "Interface endpoint data processing",
            context.assume("vpc_endpoint.data_processed_gb_month_per_endpoint") * endpoint.instances,
            "GB",
            context.prices.price("vpc_endpoint.data_processed_gb"),
            Basis.USAGE,
            Category.OTHER,
            assumption=context.assumption_label("vpc_endpoint.data_processed_gb_month_per_endpoint"),
        ),
    ]


def price_hosted_zone(zone: Resource, context: PricingContext) -> list[LineItem]:
    return [
        LineItem(
            zone.address,
            "Route 53 hosted zone",
            zone.instances,
            "zone-months",
            context.prices.price("route53.hosted_zone_month"),
            Basis.FIXED,
            Category.OTHER,
        )
    ]
