"""Secrets Manager secrets (resources and the data source for a secret made outside the stack), KMS keys, WAF, SSM."""

from __future__ import annotations

from costs.model import Basis, Category, LineItem, PricingContext
from costs.stack import Resource


def price_secret(secret: Resource, context: PricingContext) -> list[LineItem]:
    return [_secret_line(secret, "Secrets Manager secret", context)]


def price_secret_data_source(secret: Resource, context: PricingContext) -> list[LineItem]:
    """A secret the stack only reads (quick-deploy creates it) is still one secret on the bill."""
    name = secret.config.get("name") or secret.config.get("arn")
    managed_here = any(
        resource.config.get("name") == name for resource in context.stack.of_type("aws_secretsmanager_secret")
    )
    if managed_here:
        return []
    return [
        _secret_line(
            secret,
            "Secrets Manager secret (data source: made outside, still billed)",
            context,
        )
    ]


def _secret_line(secret: Resource, item: str, context: PricingContext) -> LineItem:
    return LineItem(
        secret.address,
        item,
        secret.instances,
        "secret-months",
        context.prices.price("secretsmanager.secret_month"),
        Basis.FIXED,
        Category.SECURITY,
    )


def price_kms_key(key: Resource, context: PricingContext) -> list[LineItem]:
    rotation = key.config.get("enable_key_rotation") is True
    return [
        LineItem(
            key.address,
            "KMS customer managed key",
            key.instances,
            "key-months",
            context.prices.price("kms.key_month"),
            Basis.FIXED,
            Category.SECURITY,
            note="automatic rotation adds $1/month after each of the first two rotations" if rotation else "",
        )
    ]


def price_web_acl(acl: Resource, context: PricingContext) -> list[LineItem]:
    rules = acl.config.get("rule") or []
    rule_count = len(rules) if isinstance(rules, list) else 1
    return [
        LineItem(
            acl.address,
            "WAF web ACL",
            acl.instances,
            "web ACL-months",
            context.prices.price("waf.web_acl_month"),
            Basis.FIXED,
            Category.SECURITY,
        ),
        LineItem(
            acl.address,
            "WAF rules (a referenced rule group counts as one rule)",
            rule_count * acl.instances,
            "rule-months",
            context.prices.price("waf.rule_month"),
            Basis.FIXED,
            Category.SECURITY,
        ),
        LineItem(
            acl.address,
            "WAF requests inspected",
            context.assume("waf.requests_month") * acl.instances,
            "requests",
            context.prices.price("waf.request"),
            Basis.USAGE,
            Category.SECURITY,
            assumption=context.assumption_label("waf.requests_month"),
        ),
    ]


def price_ssm_parameter(parameter: Resource, context: PricingContext) -> list[LineItem]:
    if parameter.config.get("tier") != "Advanced":
        return []  # Standard parameters are free; Intelligent-Tiering picks Standard unless the value needs more.
    return [
        LineItem(
            parameter.address,
            "SSM Parameter Store advanced parameter",
            parameter.instances,
            "parameter-months",
            context.prices.price("ssm.advanced_parameter_month"),
            Basis.FIXED,
            Category.SECURITY,
        )
    ]
