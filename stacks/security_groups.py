"""Who may talk to whom: the internet to the ALB, the ALB to Atlantis, Atlantis to EFS. Nothing else."""

from __future__ import annotations

from typing import Any

from stacks.config import AtlantisConfig
from stacks.machinery.aws import aws
from stacks.machinery.framework import Construct

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
                protocol = "HTTPS" if port == 443 else "HTTP"
                allow_tcp(
                    self, f"alb-ingress-{port}-{index}", self.alb.id, "in", port, f"{protocol} from {cidr}", cidr=cidr
                )
        allow_tcp(
            self,
            "alb-to-task",
            self.alb.id,
            "out",
            ATLANTIS_PORT,
            "Forward to Atlantis tasks on 4141",
            group=self.task.id,
        )
        allow_tcp(
            self,
            "task-from-alb",
            self.task.id,
            "in",
            ATLANTIS_PORT,
            "Atlantis 4141 from the load balancer",
            group=self.alb.id,
        )
        # Atlantis clones repositories, downloads providers and calls GitHub and AWS APIs: HTTPS anywhere.
        allow_tcp(
            self,
            "task-https-out",
            self.task.id,
            "out",
            443,
            "HTTPS to GitHub, Terraform registries and AWS APIs",
            cidr="0.0.0.0/0",
        )
        allow_tcp(
            self, "task-to-efs", self.task.id, "out", NFS_PORT, "NFS to the Atlantis file system", group=self.efs.id
        )
        allow_tcp(self, "efs-from-task", self.efs.id, "in", NFS_PORT, "NFS from the Atlantis tasks", group=self.task.id)

    @property
    def functions(self) -> Any:
        """The Lambdas' group (HTTPS out, nothing in), created when the first function asks for it."""
        if self._functions is None:
            self._functions = self._group(
                "functions", f"{self._name}-functions", "Atlantis Lambdas: HTTPS out only, nothing in", self._vpc_id
            )
            allow_tcp(
                self,
                "functions-https-out",
                self._functions.id,
                "out",
                443,
                "HTTPS to Slack, GitHub, the model API and AWS APIs",
                cidr="0.0.0.0/0",
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


def allow_tcp(
    scope: Construct,
    construct_id: str,
    group_id: str,
    direction: str,
    port: int,
    description: str,
    *,
    cidr: str | None = None,
    group: str | None = None,
) -> None:
    """One described TCP rule on ``group_id``: ``direction`` "in" or "out", to/from a CIDR or another group."""
    peer: dict[str, str]
    if group is not None:
        peer = {"referenced_security_group_id": group}
    elif cidr is not None:
        peer = {"cidr_ipv6": cidr} if ":" in cidr else {"cidr_ipv4": cidr}
    else:
        raise ValueError("allow_tcp needs a cidr or a group")
    rule = (
        aws.vpc_security_group_ingress_rule.VpcSecurityGroupIngressRule
        if direction == "in"
        else (aws.vpc_security_group_egress_rule.VpcSecurityGroupEgressRule)
    )
    rule(
        scope,
        construct_id,
        security_group_id=group_id,
        description=description,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        **peer,
    )
