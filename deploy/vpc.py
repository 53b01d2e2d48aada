"""Finds the public and private subnets of an existing VPC for ``--vpc-id`` (read-only EC2 calls).

A subnet is public when its route table (its own association, else the VPC's main table) sends 0.0.0.0/0 to an
internet gateway. One subnet per Availability Zone is chosen for each tier: the load balancer accepts one subnet per
AZ, and the EFS mount targets are one per AZ too. Only AZs with both tiers count, because the load balancer cannot
reach tasks in an AZ it is not in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from deploy.aws import error_code
from deploy.errors import DeployError

MIN_ZONES = 2


@dataclass(frozen=True)
class VpcPlacement:
    vpc_id: str
    public_subnet_ids: tuple[str, ...]
    private_subnet_ids: tuple[str, ...]
    zones: tuple[str, ...]
    notes: tuple[str, ...] = ()

    def config_updates(self) -> dict[str, bool | str | list[str]]:
        return {
            "use_existing_vpc": True,
            "existing_vpc_id": self.vpc_id,
            "existing_public_subnet_ids": list(self.public_subnet_ids),
            "existing_private_subnet_ids": list(self.private_subnet_ids),
        }


def discover_vpc(ec2: Any, vpc_id: str, region: str) -> VpcPlacement:
    try:
        ec2.describe_vpcs(VpcIds=[vpc_id])
    except ClientError as error:
        if error_code(error).startswith("InvalidVpcID"):
            raise DeployError(f"VPC {vpc_id} does not exist in {region}", "check --vpc-id and the region") from None
        raise
    subnets = _all(ec2, "describe_subnets", "Subnets", vpc_id)
    tables = _all(ec2, "describe_route_tables", "RouteTables", vpc_id)
    table_of = _route_table_by_subnet(subnets, tables)
    public = [subnet for subnet in subnets if _is_public(table_of.get(subnet["SubnetId"]))]
    private = [subnet for subnet in subnets if subnet not in public]
    public_by_zone, private_by_zone = _one_per_zone(public), _one_per_zone(private)
    zones = sorted(set(public_by_zone) & set(private_by_zone))
    if len(zones) < MIN_ZONES:
        raise DeployError(
            f"VPC {vpc_id} has {_describe(private_by_zone, 'private')} and {_describe(public_by_zone, 'public')}; "
            f"Atlantis needs a private and a public subnet in each of at least {MIN_ZONES} Availability Zones "
            "(public = its route table sends 0.0.0.0/0 to an internet gateway)",
            "add the missing subnets or pick another VPC",
        )
    notes = []
    without_egress = [
        private_by_zone[zone]["SubnetId"]
        for zone in zones
        if not _has_default_route(table_of.get(private_by_zone[zone]["SubnetId"]))
    ]
    if without_egress:
        notes.append(
            f"private subnet(s) {', '.join(without_egress)} have no 0.0.0.0/0 route (NAT gateway): the task can pull "
            "its image and reach GitHub only through VPC endpoints or a proxy"
        )
    return VpcPlacement(
        vpc_id=vpc_id,
        public_subnet_ids=tuple(public_by_zone[zone]["SubnetId"] for zone in zones),
        private_subnet_ids=tuple(private_by_zone[zone]["SubnetId"] for zone in zones),
        zones=tuple(zones),
        notes=tuple(notes),
    )


def _all(ec2: Any, operation: str, key: str, vpc_id: str) -> list[dict[str, Any]]:
    pages = ec2.get_paginator(operation).paginate(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}], PaginationConfig={"MaxItems": 5000}
    )
    return [item for page in pages for item in page[key]]


def _route_table_by_subnet(
    subnets: list[dict[str, Any]], tables: list[dict[str, Any]]
) -> dict[str, dict[str, Any] | None]:
    """Each subnet's route table: its explicit association, else the VPC's main table."""
    main = next((table for table in tables if any(a.get("Main") for a in table.get("Associations", []))), None)
    explicit = {
        association["SubnetId"]: table
        for table in tables
        for association in table.get("Associations", [])
        if association.get("SubnetId")
    }
    return {subnet["SubnetId"]: explicit.get(subnet["SubnetId"], main) for subnet in subnets}


def _default_routes(table: dict[str, Any] | None) -> list[dict[str, Any]]:
    if table is None:
        return []
    return [
        route
        for route in table.get("Routes", [])
        if route.get("DestinationCidrBlock") == "0.0.0.0/0" and route.get("State", "active") == "active"
    ]


def _is_public(table: dict[str, Any] | None) -> bool:
    return any(str(route.get("GatewayId", "")).startswith("igw-") for route in _default_routes(table))


def _has_default_route(table: dict[str, Any] | None) -> bool:
    return bool(_default_routes(table))


def _one_per_zone(subnets: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per AZ, the subnet with the most free addresses (ties broken by id, so the choice is stable)."""
    chosen: dict[str, dict[str, Any]] = {}
    for subnet in sorted(subnets, key=lambda s: (-int(s.get("AvailableIpAddressCount", 0)), s["SubnetId"])):
        chosen.setdefault(subnet["AvailabilityZone"], subnet)
    return chosen


def _describe(by_zone: dict[str, dict[str, Any]], tier: str) -> str:
    if not by_zone:
        return f"no {tier} subnet"
    listing = ", ".join(f"{subnet['SubnetId']} in {zone}" for zone, subnet in sorted(by_zone.items()))
    return f"{tier} subnets in {len(by_zone)} AZ(s) ({listing})"
