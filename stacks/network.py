"""Where Atlantis runs: a new two-AZ VPC, or the existing VPC and subnets named in config."""

from __future__ import annotations

import ipaddress
from typing import Any

from stacks.buckets import SecureBucket
from stacks.config import AtlantisConfig
from stacks.iam import assume_role_policy, policy_document
from stacks.machinery.aws import aws
from stacks.machinery.framework import Construct, Fn, Token
from stacks.nat_instance import NatInstances

AZ_COUNT = 2


class AtlantisNetwork(Construct):
    """Exposes ``vpc_id``, ``public_subnet_ids`` (load balancer), ``private_subnet_ids`` (tasks, EFS) and
    ``nat_instance_ids`` (empty unless ``nat_type = "instance"``)."""

    vpc_id: str
    public_subnet_ids: list[str]
    private_subnet_ids: list[str]
    nat_instance_ids: list[str]

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AtlantisConfig,
        account_id: str,
        logs_kms_arn: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.account_id = account_id
        self.logs_kms_arn = logs_kms_arn
        self.nat_instance_ids = []
        if config.use_existing_vpc:
            self.vpc_id = config.existing_vpc_id
            self.public_subnet_ids = list(config.existing_public_subnet_ids)
            self.private_subnet_ids = list(config.existing_private_subnet_ids)
        else:
            self._create_vpc()

    def _create_vpc(self) -> None:
        config = self.config
        name = f"{config.environment}-atlantis"
        zones = aws.data_aws_availability_zones.DataAwsAvailabilityZones(
            self,
            "zones",
            state="available",
            filter=[
                aws.data_aws_availability_zones.DataAwsAvailabilityZonesFilter(
                    name="zone-name", values=list(config.zone_names)
                ),
                aws.data_aws_availability_zones.DataAwsAvailabilityZonesFilter(
                    name="opt-in-status", values=["opt-in-not-required"]
                ),
            ],
        )
        vpc = aws.vpc.Vpc(
            self,
            "vpc",
            cidr_block=config.vpc_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": name},
        )
        # The default security group must allow nothing, so nothing lands in it by accident.
        aws.default_security_group.DefaultSecurityGroup(
            self, "default-security-group", vpc_id=vpc.id, tags={"Name": f"{name}-default-deny"}
        )
        internet_gateway = aws.internet_gateway.InternetGateway(
            self, "internet-gateway", vpc_id=vpc.id, tags={"Name": name}
        )
        public_cidrs, private_cidrs = subnet_cidrs(config.vpc_cidr)

        public_routes = aws.route_table.RouteTable(
            self, "public-routes", vpc_id=vpc.id, tags={"Name": f"{name}-public"}
        )
        aws.route.Route(
            self,
            "public-default-route",
            route_table_id=public_routes.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=internet_gateway.id,
        )
        public_subnets = []
        private_subnets = []
        egress_routes: list[dict[str, str]] = []
        if config.nat_type == "instance":
            self.nat_instances = NatInstances(
                self, "nat-instance", config=config, vpc_id=vpc.id, private_cidrs=private_cidrs, name=name
            )
        for index in range(AZ_COUNT):
            zone = Token.as_string(Fn.element(zones.names, index))
            public = aws.subnet.Subnet(
                self,
                f"public-{index}",
                vpc_id=vpc.id,
                cidr_block=public_cidrs[index],
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags={"Name": f"{name}-public-{index}", "Tier": "public"},
            )
            aws.route_table_association.RouteTableAssociation(
                self, f"public-{index}-routes", subnet_id=public.id, route_table_id=public_routes.id
            )
            public_subnets.append(public)
            if index == 0 or not config.single_nat_gateway:
                egress_routes.append(self._nat(index, public.id, name, internet_gateway))
            private = aws.subnet.Subnet(
                self,
                f"private-{index}",
                vpc_id=vpc.id,
                cidr_block=private_cidrs[index],
                availability_zone=zone,
                tags={"Name": f"{name}-private-{index}", "Tier": "private"},
            )
            private_routes = aws.route_table.RouteTable(
                self, f"private-{index}-routes", vpc_id=vpc.id, tags={"Name": f"{name}-private-{index}"}
            )
            aws.route.Route(
                self,
                f"private-{index}-default-route",
                route_table_id=private_routes.id,
                destination_cidr_block="0.0.0.0/0",
                **egress_routes[-1],
            )
            aws.route_table_association.RouteTableAssociation(
                self, f"private-{index}-routes-association", subnet_id=private.id, route_table_id=private_routes.id
            )
            private_subnets.append(private)

        if config.enable_vpc_flow_logs:
            self._flow_logs(vpc.id, name)
        self.vpc = vpc
        self.vpc_id = vpc.id
        self.public_subnet_ids = [subnet.id for subnet in public_subnets]
        self.private_subnet_ids = [subnet.id for subnet in private_subnets]
        if config.nat_type == "instance":
            self.nat_instance_ids = self.nat_instances.instance_ids

    def _nat(self, index: int, public_subnet_id: str, name: str, internet_gateway: Any) -> dict[str, str]:
        """One NAT (gateway or instance) in a public subnet; returns the private default route's target."""
        if self.config.nat_type == "instance":
            return {"network_interface_id": self.nat_instances.add(index, public_subnet_id)}
        address = aws.eip.Eip(self, f"nat-{index}-address", domain="vpc", tags={"Name": f"{name}-nat-{index}"})
        gateway = aws.nat_gateway.NatGateway(
            self,
            f"nat-{index}",
            allocation_id=address.id,
            subnet_id=public_subnet_id,
            tags={"Name": f"{name}-nat-{index}"},
            depends_on=[internet_gateway],
        )
        return {"nat_gateway_id": gateway.id}

    def _flow_logs(self, vpc_id: str, name: str) -> None:
        if self.config.flow_log_destination == "s3":
            self._flow_logs_to_s3(vpc_id, name)
            return
        log_group = aws.cloudwatch_log_group.CloudwatchLogGroup(
            self,
            "flow-log-group",
            name=f"/vpc/{name}-flow-logs",
            retention_in_days=self.config.flow_log_retention_days,
            kms_key_id=self.logs_kms_arn,
        )
        role = aws.iam_role.IamRole(
            self,
            "flow-log-role",
            name=f"{name}-flow-logs",
            description="Delivers the Atlantis VPC flow logs to CloudWatch Logs",
            assume_role_policy=assume_role_policy("vpc-flow-logs.amazonaws.com", self.account_id),
        )
        aws.iam_role_policy.IamRolePolicy(
            self,
            "flow-log-policy",
            name="deliver-flow-logs",
            role=role.id,
            policy=policy_document(
                {
                    "Sid": "WriteFlowLogs",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    "Resource": f"{log_group.arn}:*",
                }
            ),
        )
        aws.flow_log.FlowLog(
            self,
            "flow-log",
            vpc_id=vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
        )

    def _flow_logs_to_s3(self, vpc_id: str, name: str) -> None:
        """Half the delivery price of CloudWatch Logs and cheaper storage; queried with Athena instead of Logs
        Insights. Encrypted with the logs key (AWS-managed keys cannot grant the log delivery service)."""
        region = self.config.aws_region

        def delivery_statements(arn: str) -> list[dict[str, Any]]:
            source = {"aws:SourceAccount": self.account_id}
            delivery = {"Service": "delivery.logs.amazonaws.com"}
            return [
                {
                    "Sid": "FlowLogDeliveryWrite",
                    "Effect": "Allow",
                    "Principal": delivery,
                    "Action": "s3:PutObject",
                    "Resource": f"{arn}/AWSLogs/{self.account_id}/*",
                    "Condition": {"StringEquals": {**source, "s3:x-amz-acl": "bucket-owner-full-control"}},
                },
                {
                    "Sid": "FlowLogDeliveryCheck",
                    "Effect": "Allow",
                    "Principal": delivery,
                    "Action": ["s3:GetBucketAcl", "s3:ListBucket"],
                    "Resource": arn,
                    "Condition": {"StringEquals": source},
                },
            ]

        bucket = SecureBucket(
            self,
            "flow-log-bucket",
            bucket_name=f"{name}-flow-logs-{self.account_id}-{region}",
            sse="aws:kms" if self.logs_kms_arn else "AES256",
            kms_key_arn=self.logs_kms_arn,
            force_destroy=not self.config.deletion_protection,
            expiration_days=self.config.flow_log_retention_days,
            noncurrent_days=7,
            policy_statements=delivery_statements,
        )
        aws.flow_log.FlowLog(
            self,
            "flow-log",
            vpc_id=vpc_id,
            traffic_type="ALL",
            log_destination_type="s3",
            log_destination=bucket.arn,
            max_aggregation_interval=60,
        )


def subnet_cidrs(vpc_cidr: str) -> tuple[list[str], list[str]]:
    """Split the VPC into four equal blocks: two public subnets, then two private ones (one per AZ)."""
    quarters = [str(block) for block in ipaddress.ip_network(vpc_cidr).subnets(prefixlen_diff=2)]
    return quarters[:AZ_COUNT], quarters[AZ_COUNT : 2 * AZ_COUNT]
