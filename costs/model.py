"""What an estimate is made of: priced lines, the context pricers read, and the seed's categories."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from costs.prices import PriceTable
from costs.stack import Resource, SynthesizedStack


class Basis(StrEnum):
    """Fixed: billed because the resource exists. Usage: billed by traffic or data, so resting on an assumption."""

    FIXED = "fixed"
    USAGE = "usage"


class Category(StrEnum):
    """The seed's cost breakdown, plus what it did not list."""

    FARGATE = "ECS Fargate"
    LOAD_BALANCER = "ALB"
    EFS = "EFS"
    MONITORING = "CloudWatch/SNS"
    NAT = "NAT Gateway"
    SERVERLESS = "Lambda/SQS/EventBridge"
    STORAGE = "S3/DynamoDB"
    SECURITY = "Secrets Manager/KMS/WAF"
    OTHER = "Other"


@dataclass(frozen=True)
class LineItem:
    address: str
    item: str
    quantity: float
    unit: str
    unit_price: float
    basis: Basis
    category: Category
    assumption: str = ""
    note: str = ""

    @property
    def monthly_usd(self) -> float:
        return self.quantity * self.unit_price


class NotPricedError(Exception):
    """A pricer recognised the resource but cannot price it; the reason is shown next to it."""


@dataclass
class PricingContext:
    """Everything a pricer may read, and where it leaves stack-wide notes."""

    stack: SynthesizedStack
    prices: PriceTable
    hours: float
    notes: list[str] = field(default_factory=list)

    def assume(self, key: str) -> float:
        return self.prices.assumption(key)

    def assumption_label(self, key: str) -> str:
        """'assumption KEY = 20 GB/month ...': names the price-table key, so a reader knows what to override."""
        value = self.prices.assumption(key)
        return f"assumption {key} = {_plain_number(value)} {self.prices.assumption_units.get(key, '')}".rstrip()

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


def config_number(resource: Resource, key: str, default: float, context: PricingContext) -> float:
    """A numeric attribute; a computed value (``${var.x}``) falls back to ``default`` with a note saying so."""
    value: Any = resource.config.get(key, default)
    if isinstance(value, bool):
        return default
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            context.note(f"{resource.address}: {key} is computed ({value}); priced as {_plain_number(default)}")
    return default


def _plain_number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.4f}".rstrip("0")
