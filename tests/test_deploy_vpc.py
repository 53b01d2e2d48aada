"""``--vpc-id``: subnets are discovered from a moto VPC and written into the environment's config."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from stacks.config import load_config
from tests.deploy_fakes.aws import RecordingMotoServer
from tests.deploy_fakes.github_api import FakeGitHub
from tests.deploy_fakes.helpers import REGION, DeployPaths, aws_client, fake_github_token, run_cli

pytest_plugins = ["tests.deploy_fakes.fixtures"]

ZONES = (f"{REGION}a", f"{REGION}b")


@dataclass(frozen=True)
class Network:
    vpc_id: str
    public: tuple[str, ...]
    private: tuple[str, ...]


def build_vpc(private_zones: tuple[str, ...] = ZONES, *, nat: bool = True) -> Network:
    """A VPC with an internet gateway, a public route table (0.0.0.0/0 -> igw) for one public subnet per zone and
    a private route table (0.0.0.0/0 -> NAT when ``nat``) for one private subnet per ``private_zones`` entry."""
    ec2 = aws_client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc_id)
    public_table = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    public = tuple(_subnet(ec2, vpc_id, f"10.20.{index}.0/24", zone, public_table) for index, zone in enumerate(ZONES))
    private_table = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    if nat:
        allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat_id = ec2.create_nat_gateway(SubnetId=public[0], AllocationId=allocation)["NatGateway"]["NatGatewayId"]
        ec2.create_route(RouteTableId=private_table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_id)
    private = tuple(
        _subnet(ec2, vpc_id, f"10.20.{10 + index}.0/24", zone, private_table)
        for index, zone in enumerate(private_zones)
    )
    return Network(vpc_id, public, private)


def _subnet(ec2: Any, vpc_id: str, cidr: str, zone: str, table: str) -> str:
    subnet_id = str(ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"])
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnet_id)
    return subnet_id


@pytest.fixture
def token(fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> str:
    value = fake_github_token()
    fake_github.add_token(value, "acme-bot")
    fake_github.add_repositories("acme", "infra")
    monkeypatch.setenv("ATLANTIS_GITHUB_TOKEN", value)
    return value


def test_discovered_subnets_are_written_into_the_config(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, token: str
) -> None:
    network = build_vpc()
    deploy_paths.synthesized_stub("acme-atlantis-tfstate-ap-northeast-2")

    result = run_cli(
        "--org", "acme", "--vpc-id", network.vpc_id, "--no-apply", "--yes", "--skip-synth",
        "--config-dir", str(deploy_paths.config_dir),
    )  # fmt: skip

    assert result.code == 0, result.err
    config = load_config(deploy_paths.prod, {})
    assert config.use_existing_vpc is True
    assert config.existing_vpc_id == network.vpc_id
    assert set(config.existing_public_subnet_ids) == set(network.public)
    assert set(config.existing_private_subnet_ids) == set(network.private)
    text = deploy_paths.prod.read_text()
    assert "# Set one of: certificate_arn" in text  # comments survive the rewrite
    assert f'existing_vpc_id             = "{network.vpc_id}"' in text  # and the alignment of the line
    assert "no 0.0.0.0/0 route" not in result.out


def test_one_private_subnet_stops_before_any_aws_change(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, token: str
) -> None:
    network = build_vpc(private_zones=ZONES[:1])
    original = deploy_paths.prod.read_text()
    moto_aws.log.clear()  # what build_vpc created is set-up, not the tool's doing

    result = run_cli(
        "--org", "acme", "--vpc-id", network.vpc_id, "--no-apply", "--yes", "--config-dir", str(deploy_paths.config_dir)
    )

    assert result.code == 1
    assert result.err.startswith("error: [2/8] Preflight checks failed")
    assert f"VPC {network.vpc_id} has private subnets in 1 AZ(s) ({network.private[0]} in {ZONES[0]})" in result.err
    assert "at least 2 Availability Zones" in result.err
    assert moto_aws.log.changes() == []
    assert aws_client("s3").list_buckets()["Buckets"] == []
    assert aws_client("secretsmanager").list_secrets()["SecretList"] == []
    assert deploy_paths.prod.read_text() == original


def test_an_unknown_vpc_is_reported(moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, token: str) -> None:
    result = run_cli(
        "--org", "acme", "--vpc-id", "vpc-0123456789abcdef0", "--no-apply", "--yes",
        "--config-dir", str(deploy_paths.config_dir),
    )  # fmt: skip

    assert result.code == 1
    assert f"VPC vpc-0123456789abcdef0 does not exist in {REGION}" in result.err
    assert moto_aws.log.changes() == []


def test_private_subnets_without_egress_are_noted(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, token: str
) -> None:
    network = build_vpc(nat=False)
    deploy_paths.synthesized_stub("acme-atlantis-tfstate-ap-northeast-2")

    result = run_cli(
        "--org", "acme", "--vpc-id", network.vpc_id, "--no-apply", "--yes", "--skip-synth",
        "--config-dir", str(deploy_paths.config_dir),
    )  # fmt: skip

    assert result.code == 0, result.err
    assert "have no 0.0.0.0/0 route (NAT gateway)" in result.out


@pytest.mark.synth
def test_dry_run_synthesizes_from_a_copy_and_changes_nothing(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, token: str
) -> None:
    network = build_vpc()
    original = deploy_paths.prod.read_text()
    moto_aws.log.clear()

    result = run_cli(
        "--org", "acme", "--vpc-id", network.vpc_id, "--dry-run", "--config-dir", str(deploy_paths.config_dir)
    )

    assert result.code == 0, result.err
    assert moto_aws.log.changes() == []
    assert deploy_paths.prod.read_text() == original
    assert "left as is (dry run)" in result.out
    synthesized = deploy_paths.outdir.with_name("cdktf.out.dry-run") / "stacks" / "prod-atlantis-stack" / "cdk.tf.json"
    document = synthesized.read_text()
    assert all(subnet in document for subnet in network.private + network.public)
    assert json.loads(document)["terraform"]["backend"]["s3"]["bucket"] == "acme-atlantis-tfstate-ap-northeast-2"
    assert not deploy_paths.outdir.exists()
    assert token not in document
