"""Network: a new two-AZ VPC with a NAT gateway per AZ (prod) or one NAT instance (dev), or the existing VPC with no
VPC resources."""

from __future__ import annotations

from typing import Any

from tests.conftest import only, resources

VPC_TYPES = (
    "aws_vpc",
    "aws_subnet",
    "aws_nat_gateway",
    "aws_internet_gateway",
    "aws_route_table",
    "aws_eip",
    "aws_instance",
)


def test_prod_vpc_spans_two_azs_with_a_nat_gateway_per_az(synthesized: dict[str, Any]) -> None:
    stack = synthesized["prod"]
    vpc = only(stack, "aws_vpc")
    assert vpc["cidr_block"] == "10.0.0.0/16" and vpc["enable_dns_hostnames"] is True
    subnets = resources(stack, "aws_subnet")
    tiers = sorted(subnet["tags"]["Tier"] for subnet in subnets)
    assert tiers == ["private", "private", "public", "public"]
    assert sorted(subnet["cidr_block"] for subnet in subnets) == [
        "10.0.0.0/18",
        "10.0.128.0/18",
        "10.0.192.0/18",
        "10.0.64.0/18",
    ]
    zones = {subnet["availability_zone"] for subnet in subnets}
    assert len(zones) == 2, "two distinct AZ expressions"
    assert all(
        subnet.get("map_public_ip_on_launch") is False for subnet in subnets if subnet["tags"]["Tier"] == "public"
    )
    assert len(resources(stack, "aws_nat_gateway")) == 2
    private_routes = [r for r in resources(stack, "aws_route") if "nat_gateway_id" in r]
    assert len({route["nat_gateway_id"] for route in private_routes}) == 2
    public_route = [r for r in resources(stack, "aws_route") if "gateway_id" in r]
    assert len(public_route) == 1 and public_route[0]["destination_cidr_block"] == "0.0.0.0/0"
    assert len(resources(stack, "aws_route_table_association")) == 4


def test_dev_shares_one_nat_instance(synthesized: dict[str, Any]) -> None:
    stack = synthesized["dev"]
    assert resources(stack, "aws_nat_gateway") == [] and len(resources(stack, "aws_instance")) == 1
    private_routes = [r for r in resources(stack, "aws_route") if "network_interface_id" in r]
    assert len(private_routes) == 2 and len({route["network_interface_id"] for route in private_routes}) == 1


def test_default_security_group_allows_nothing(synthesized: dict[str, Any]) -> None:
    group = only(synthesized["prod"], "aws_default_security_group")
    assert "ingress" not in group and "egress" not in group


def test_existing_vpc_creates_no_network_and_uses_the_given_subnets(synthesized: dict[str, Any]) -> None:
    stack = synthesized["prod_existing_vpc"]
    for resource_type in VPC_TYPES:
        assert resources(stack, resource_type) == [], resource_type
    service = only(stack, "aws_ecs_service")
    assert service["network_configuration"]["subnets"] == ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
    assert only(stack, "aws_lb")["subnets"] == ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
    assert {group["vpc_id"] for group in resources(stack, "aws_security_group")} == {"vpc-0123456789abcdef0"}
    mount_subnets = sorted(target["subnet_id"] for target in resources(stack, "aws_efs_mount_target"))
    assert mount_subnets == ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
