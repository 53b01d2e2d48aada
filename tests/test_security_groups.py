"""Security groups: internet -> ALB 80/443, ALB -> task 4141, task -> EFS 2049; every rule described."""

from __future__ import annotations

from typing import Any

from tests.conftest import resources


def groups_by_name(stack: dict[str, Any]) -> dict[str, str]:
    """Security group name -> the Terraform reference to its id."""
    names = {}
    for logical_id, group in stack["resource"]["aws_security_group"].items():
        names[group["name"]] = f"${{aws_security_group.{logical_id}.id}}"
    return names


def rules(stack: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [("ingress", r) for r in resources(stack, "aws_vpc_security_group_ingress_rule")] + [
        ("egress", r) for r in resources(stack, "aws_vpc_security_group_egress_rule")
    ]


def test_only_the_needed_paths_are_open(synthesized: dict[str, Any]) -> None:
    stack = synthesized["prod_full"]
    group = groups_by_name(stack)
    alb, task, efs = group["prod-atlantis-alb"], group["prod-atlantis-task"], group["prod-atlantis-efs"]
    functions = group["prod-atlantis-functions"]
    opened = {
        (
            direction,
            rule["security_group_id"],
            rule["from_port"],
            rule.get("cidr_ipv4") or rule.get("referenced_security_group_id"),
        )
        for direction, rule in rules(stack)
    }
    assert opened == {
        ("ingress", alb, 80, "0.0.0.0/0"),
        ("ingress", alb, 443, "0.0.0.0/0"),
        ("egress", alb, 4141, task),
        ("ingress", task, 4141, alb),
        ("egress", task, 443, "0.0.0.0/0"),
        ("egress", task, 2049, efs),
        ("ingress", efs, 2049, task),
        ("egress", functions, 443, "0.0.0.0/0"),
    }


def test_every_rule_and_group_has_a_description(synthesized: dict[str, Any]) -> None:
    for name in ("prod", "dev", "prod_full"):
        stack = synthesized[name]
        assert all(rule.get("description") for _, rule in rules(stack))
        assert all(group.get("description") for group in resources(stack, "aws_security_group"))


def test_without_a_certificate_only_http_is_open(synthesized: dict[str, Any]) -> None:
    ports = {rule["from_port"] for rule in resources(synthesized["prod"], "aws_vpc_security_group_ingress_rule")}
    assert ports == {80, 4141, 2049}
