"""Pricing a whole synthesized stack: every resource is priced, counted as free, or listed as not priced."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from costs.model import Basis, Category, LineItem, NotPricedError, PricingContext
from costs.pricers import DATA_SOURCE_PRICERS, NO_DIRECT_COST_TYPES, RESOURCE_PRICERS
from costs.prices import PriceTable
from costs.stack import Resource, SynthesizedStack


@dataclass(frozen=True)
class UnpricedResource:
    address: str
    type: str
    reason: str


@dataclass(frozen=True)
class Estimate:
    stack: str
    region: str
    hours: float
    prices: PriceTable
    lines: tuple[LineItem, ...]
    no_direct_cost: Counter[str]
    not_priced: tuple[UnpricedResource, ...]
    notes: tuple[str, ...]

    @property
    def fixed_usd(self) -> float:
        return sum(line.monthly_usd for line in self.lines if line.basis is Basis.FIXED)

    @property
    def usage_usd(self) -> float:
        return sum(line.monthly_usd for line in self.lines if line.basis is Basis.USAGE)

    @property
    def total_usd(self) -> float:
        return self.fixed_usd + self.usage_usd

    @property
    def no_direct_cost_count(self) -> int:
        return sum(self.no_direct_cost.values())

    def by_category(self) -> dict[Category, float]:
        totals = dict.fromkeys(Category, 0.0)
        for line in self.lines:
            totals[line.category] += line.monthly_usd
        return totals


def estimate_stack(stack: SynthesizedStack, prices: PriceTable, hours: float | None = None) -> Estimate:
    context = PricingContext(stack=stack, prices=prices, hours=prices.hours_per_month if hours is None else hours)
    lines: list[LineItem] = []
    free: Counter[str] = Counter()
    unpriced: list[UnpricedResource] = []
    for resource in stack.resources:
        priced = _price_resource(resource, context)
        if isinstance(priced, UnpricedResource):
            unpriced.append(priced)
        elif priced:
            lines += priced
        else:
            free[resource.type] += resource.instances
    for data_source in stack.data_sources:
        data_pricer = DATA_SOURCE_PRICERS.get(data_source.type)
        if data_pricer is not None:
            lines += data_pricer(data_source, context)
    _note_stack_facts(stack, lines, context)
    order = list(Category)
    return Estimate(
        stack=stack.name,
        region=stack.region or prices.region,
        hours=context.hours,
        prices=prices,
        lines=tuple(sorted(lines, key=lambda line: order.index(line.category))),
        no_direct_cost=free,
        not_priced=tuple(unpriced),
        notes=tuple(context.notes),
    )


def _price_resource(resource: Resource, context: PricingContext) -> list[LineItem] | UnpricedResource:
    """The resource's lines; an empty list when AWS bills nothing for it; the reason when it cannot be priced."""
    pricer = RESOURCE_PRICERS.get(resource.type)
    if pricer is None:
        if resource.type in NO_DIRECT_COST_TYPES:
            return []
        return UnpricedResource(resource.address, resource.type, "no pricing rule for this type")
    if resource.has_unresolved_multiplier:
        context.note(f"{resource.address}: for_each or a computed count; priced as one instance")
    try:
        return pricer(resource, context)
    except NotPricedError as reason:
        return UnpricedResource(resource.address, resource.type, str(reason))


def _note_stack_facts(stack: SynthesizedStack, lines: list[LineItem], context: PricingContext) -> None:
    prices = context.prices
    if stack.region and stack.region != prices.region:
        context.note(f"the stack deploys to {stack.region} but the price table is for {prices.region}")
    s3_backend = stack.backend.get("s3")
    if isinstance(s3_backend, dict) and s3_backend.get("bucket"):
        lock = f" and lock table {s3_backend['dynamodb_table']}" if s3_backend.get("dynamodb_table") else ""
        context.note(
            f"Terraform state lives in S3 bucket {s3_backend['bucket']}{lock}, outside this stack; "
            "price the state-backend stack for them"
        )
    if any("IPv4" in line.item for line in lines):
        hourly = prices.price("vpc.public_ipv4_hour")
        context.note(
            f"AWS bills every public IPv4 address (${hourly:g}/hour): a NAT gateway's is its Elastic IP "
            "(aws_eip line), an internet-facing load balancer holds one per AZ (on its line)"
        )
