"""NAT instances for small teams: about a fifth of a NAT gateway's price, in exchange for a bandwidth ceiling and an
instance to keep patched. Reached only through SSM (no SSH, no key pair), IMDSv2 only, encrypted root volume, and
a security group that forwards nothing but the HTTPS the private subnets are allowed to send."""

from __future__ import annotations

from stacks.config import AtlantisConfig
from stacks.iam import assume_role_policy
from stacks.machinery.aws import aws
from stacks.machinery.framework import Construct
from stacks.security_groups import allow_tcp

# The steps of the AWS VPC User Guide, "NAT instances" > "Create a NAT AMI", for Amazon Linux 2023: forward IPv4,
# masquerade out of the primary interface, drop the stock REJECT rule of the FORWARD chain, and save the rules where
# the iptables service loads them at boot (what "service iptables save" does).
# The Elastic IP is associated once the instance runs, so the package install waits for it (up to 5 minutes).
NAT_USER_DATA = """#!/bin/bash
set -euo pipefail
for _ in $(seq 60); do dnf install -y iptables-services && break; sleep 5; done
systemctl enable --now iptables
echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-nat.conf
sysctl --system
interface="$(ip route show default | awk '{print $5; exit}')"
iptables -t nat -A POSTROUTING -o "$interface" -j MASQUERADE
iptables -F FORWARD
iptables-save > /etc/sysconfig/iptables
"""


AMAZON_LINUX_2023_ARM64 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"


class NatInstances(Construct):
    """Shared pieces (image, role, security group) once; ``add`` places one instance in a public subnet and returns
    the network interface the private subnets route through. Exposes ``instance_ids`` for the status alarms."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AtlantisConfig,
        vpc_id: str,
        private_cidrs: list[str],
        name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.name = name
        self.instance_ids: list[str] = []
        # The newest Amazon Linux 2023 arm64 image, from the public parameter AWS keeps for it (the AMI id is not a
        # secret, hence insecure_value). A deploy after a new release replaces the instance, which is how the NAT gets
        # its OS updates (egress pauses for the minute or two the replacement takes).
        self.image_id = aws.data_aws_ssm_parameter.DataAwsSsmParameter(
            self, "image", name=AMAZON_LINUX_2023_ARM64
        ).insecure_value
        partition = aws.data_aws_partition.DataAwsPartition(self, "partition").partition
        role = aws.iam_role.IamRole(
            self,
            "role",
            name=f"{name}-nat-instance",
            description="NAT instance: Systems Manager Session Manager access only",
            assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
        )
        aws.iam_role_policy_attachment.IamRolePolicyAttachment(
            self,
            "ssm",
            role=role.name,
            policy_arn=f"arn:{partition}:iam::aws:policy/AmazonSSMManagedInstanceCore",
        )
        self.profile = aws.iam_instance_profile.IamInstanceProfile(
            self, "profile", name=f"{name}-nat-instance", role=role.name
        )
        self.security_group = aws.security_group.SecurityGroup(
            self,
            "security-group",
            name=f"{name}-nat",
            description="NAT instance: HTTPS from the private subnets, forwarded to the internet",
            vpc_id=vpc_id,
            tags={"Name": f"{name}-nat"},
        )
        for index, cidr in enumerate(private_cidrs):
            allow_tcp(
                self,
                f"https-in-{index}",
                self.security_group.id,
                "in",
                443,
                f"HTTPS from private subnet {cidr}",
                cidr=cidr,
            )
        # Forwarded traffic and the instance's own package and SSM traffic: the same HTTPS the tasks may send.
        allow_tcp(self, "https-out", self.security_group.id, "out", 443, "HTTPS to the internet", cidr="0.0.0.0/0")

    def add(self, index: int, public_subnet_id: str) -> str:
        label = f"{self.name}-nat-{index}"
        # The interface and the Elastic IP outlive the instance, so the private route and the egress address stay
        # the same when the instance is replaced.
        interface = aws.network_interface.NetworkInterface(
            self,
            f"interface-{index}",
            subnet_id=public_subnet_id,
            security_groups=[self.security_group.id],
            source_dest_check=False,
            description=f"{label}: egress for the private subnets",
            tags={"Name": label},
        )
        instance = aws.instance.Instance(
            self,
            f"instance-{index}",
            ami=self.image_id,
            instance_type=self.config.nat_instance_type,
            iam_instance_profile=self.profile.name,
            network_interface=[
                aws.instance.InstanceNetworkInterface(device_index=0, network_interface_id=interface.id)
            ],
            metadata_options=aws.instance.InstanceMetadataOptions(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
            ),
            root_block_device=aws.instance.InstanceRootBlockDevice(
                encrypted=True, volume_type="gp3", volume_size=8, delete_on_termination=True
            ),
            # Standard credits: a NAT idles far below the t4g baseline, and unlimited mode could bill surplus credits.
            credit_specification=aws.instance.InstanceCreditSpecification(cpu_credits="standard"),
            maintenance_options=aws.instance.InstanceMaintenanceOptions(auto_recovery="default"),
            monitoring=True,
            ebs_optimized=True,
            user_data=NAT_USER_DATA,
            user_data_replace_on_change=True,
            tags={"Name": label},
        )
        aws.eip.Eip(self, f"address-{index}", domain="vpc", instance=instance.id, tags={"Name": label})
        self.instance_ids.append(instance.id)
        return str(interface.id)
