"""Who may talk to whom: the internet to the ALB, the ALB to Atlantis, Atlantis to EFS. Nothing else."""

from __future__ import annotations

from typing import Any

from stacks.aws import aws
from stacks.config import AtlantisConfig
from stacks.framework import Construct

ATLANTIS_PORT = 4141
NFS_PORT = 2049


class AtlantisSecurityGroups(Construct):
    """Exposes ``alb``, ``task`` and ``efs`` security groups."""

    def __init__(self, scope: Construct, construct_id: str, *, config: AtlantisConfig, vpc_id: str) -> None:
        super().__init__(scope, construct_id)
        name = f"{config.environment}-atlantis"
        self.alb = self._group("alb", f"{name}-alb", "Atlantis load balancer: HTTP(S) from allowed_cidrs", vpc_id)
        self.task = self._group("task", f"{name}-task", "Atlantis tasks: 4141 from the load balancer only", vpc_id)
        self.efs = self._group("efs", f"{name}-efs", "Atlantis EFS: NFS from the Atlantis tasks only", vpc_id)
        self._vpc_id = vpc_id
        self._name = name
        self._functions: Any = None

        listener_ports = [80, 443] if config.has_certificate else [80]
        # GitHub must always reach /events: when the UI is limited to allowed_cidrs, GitHub's hook ranges are added
        # (the WAF can further limit /events to them, and the UI still requires authentication).
        sources = list(config.allowed_cidrs)
        if "0.0.0.0/0" not in sources:
            sources += [cidr for cidr in config.github_webhook_cidrs if cidr not in sources]
        for port in listener_ports:
            for index, cidr in enumerate(sources):
                rule_args = {"cidr_ipv6": cidr} if ":" in cidr else {"cidr_ipv4": cidr}
                aws.vpc_security_group_ingress_rule.VpcSecurityGroupIngressRule(
                    self,
                    f"alb-ingress-{port}-{index}",
                    security_group_id=self.alb.id,
                    description=f"{'HTTPS' if port == 443 else 'HTTP'} from {cidr}",
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    **rule_args,
                )
        aws.vpc_security_group_egress_rule.VpcSecurityGroupEgressRule(
            self,
            "alb-to-task",
            security_group_id=self.alb.id,
            description="Forward to Atlantis tasks on 4141",
            ip_protocol="tcp",
            from_port=ATLANTIS_PORT,
            to_port=ATLANTIS_PORT,
            referenced_security_group_id=self.task.id,
        )
        aws.vpc_security_group_ingress_rule.VpcSecurityGroupIngressRule(
            self,
            "task-from-alb",
            security_group_id=self.task.id,
            description="Atlantis 4141 from the load balancer",
            ip_protocol="tcp",
            from_port=ATLANTIS_PORT,
            to_port=ATLANTIS_PORT,
            referenced_security_group_id=self.alb.id,
        )
        # Atlantis clones repositories, downloads providers and calls GitHub and AWS APIs: HTTPS anywhere.
        aws.vpc_security_group_egress_rule.VpcSecurityGroupEgressRule(
            self,
            "task-https-out",
            security_group_id=self.task.id,
            description="HTTPS to GitHub, Terraform registries and AWS APIs",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4="0.0.0.0/0",
        )
        aws.vpc_security_group_egress_rule.VpcSecurityGroupEgressRule(
            self,
            "task-to-efs",
            security_group_id=self.task.id,
            description="NFS to the Atlantis file system",
            ip_protocol="tcp",
            from_port=NFS_PORT,
            to_port=NFS_PORT,
            referenced_security_group_id=self.efs.id,
        )
        aws.vpc_security_group_ingress_rule.VpcSecurityGroupIngressRule(
            self,
            "efs-from-task",
            security_group_id=self.efs.id,
            description="NFS from the Atlantis tasks",
            ip_protocol="tcp",
            from_port=NFS_PORT,
            to_port=NFS_PORT,
            referenced_security_group_id=self.task.id,
        )

    @property
    def functions(self) -> Any:
        """The Lambdas' group (HTTPS out, nothing in), created when the first function asks for it."""
        if self._functions is None:
            self._functions = self._group(
                "functions", f"{self._name}-functions", "Atlantis Lambdas: HTTPS out only, nothing in", self._vpc_id
            )
            aws.vpc_security_group_egress_rule.VpcSecurityGroupEgressRule(
                self,
                "functions-https-out",
                security_group_id=self._functions.id,
                description="HTTPS to Slack, GitHub, the model API and AWS APIs",
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                cidr_ipv4="0.0.0.0/0",
            )
        return self._functions

    def _group(self, construct_id: str, name: str, description: str, vpc_id: str) -> Any:
        return aws.security_group.SecurityGroup(
            self,
            construct_id,
            name=name,
            description=description,
            vpc_id=vpc_id,
            tags={"Name": name},
        )
