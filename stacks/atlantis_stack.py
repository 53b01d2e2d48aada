"""One environment's Atlantis: read top-down, it is the architecture diagram in the README."""

from __future__ import annotations

from stacks.aws import aws
from stacks.backend import configure_backend
from stacks.config import AtlantisConfig
from stacks.framework import Construct, TerraformOutput, TerraformStack
from stacks.iam import AtlantisRoles
from stacks.load_balancer import AtlantisLoadBalancer
from stacks.monitoring import AtlantisMonitoring
from stacks.network import AtlantisNetwork
from stacks.secrets import AtlantisSecret
from stacks.security_groups import AtlantisSecurityGroups
from stacks.service import AtlantisLogGroup, AtlantisService
from stacks.storage import AtlantisStorage
from stacks.tagging import stackkit_tags


class AtlantisStack(TerraformStack):
    def __init__(self, scope: Construct, config: AtlantisConfig) -> None:
        super().__init__(scope, config.stack_name)
        self.config = config
        aws.provider.AwsProvider(
            self,
            "aws",
            region=config.aws_region,
            default_tags=[aws.provider.AwsProviderDefaultTags(tags=stackkit_tags(config))],
        )
        configure_backend(self, config)
        identity = aws.data_aws_caller_identity.DataAwsCallerIdentity(self, "identity")
        partition = aws.data_aws_partition.DataAwsPartition(self, "partition")

        network = AtlantisNetwork(self, "network", config=config)
        groups = AtlantisSecurityGroups(self, "security-groups", config=config, vpc_id=network.vpc_id)
        secret = AtlantisSecret(self, "secret", config=config)
        logs = AtlantisLogGroup(self, "logs", config=config, kms_key_arn=None)
        roles = AtlantisRoles(
            self,
            "iam",
            config=config,
            account_id=identity.account_id,
            secret_arn=secret.arn,
            log_group_arn=logs.arn,
        )
        storage = AtlantisStorage(
            self,
            "storage",
            config=config,
            private_subnet_ids=network.private_subnet_ids,
            security_group_id=groups.efs.id,
            task_role_arn=roles.task_role.arn,
        )
        roles.grant_efs(storage.file_system.arn, storage.access_point.arn)
        load_balancer = AtlantisLoadBalancer(
            self,
            "load-balancer",
            config=config,
            vpc_id=network.vpc_id,
            public_subnet_ids=network.public_subnet_ids,
            security_group_id=groups.alb.id,
        )
        service = AtlantisService(
            self,
            "service",
            config=config,
            url=load_balancer.url,
            secret=secret,
            log_group=logs,
            execution_role_arn=roles.execution_role.arn,
            task_role_arn=roles.task_role.arn,
            file_system_id=storage.file_system.id,
            access_point_id=storage.access_point.id,
            private_subnet_ids=network.private_subnet_ids,
            security_group_id=groups.task.id,
            target_group_arn=load_balancer.target_group.arn,
            depends_on=load_balancer.listeners,
        )
        monitoring = AtlantisMonitoring(
            self,
            "monitoring",
            config=config,
            account_id=identity.account_id,
            partition=partition.partition,
            secret=secret,
            cluster_name=service.cluster.name,
            cluster_arn=service.cluster.arn,
            service_name=service.service.name,
            load_balancer_arn_suffix=load_balancer.alb.arn_suffix,
            target_group_arn_suffix=load_balancer.target_group.arn_suffix,
            file_system_id=storage.file_system.id,
        )
        monitoring.add_dashboard()

        self.network = network
        self.load_balancer = load_balancer
        self.service = service
        outputs = {
            "atlantis_url": (load_balancer.url, "Atlantis UI and API"),
            "webhook_url": (
                f"{load_balancer.url}/events",
                "GitHub webhook payload URL (content type application/json)",
            ),
            "alb_dns_name": (load_balancer.dns_name, "Load balancer DNS name (point custom_domain here)"),
            "ecs_cluster_name": (service.cluster.name, "ECS cluster"),
            "ecs_service_name": (service.service.name, "ECS service"),
            "secret_arn": (secret.arn, "Secrets Manager secret Atlantis reads"),
            "efs_file_system_id": (storage.file_system.id, "EFS file system holding Atlantis data"),
            "log_group_name": (logs.name, "CloudWatch log group of the Atlantis task"),
            "alerts_topic_arn": (monitoring.topic.arn, "SNS topic for alarms and task-stop events"),
        }
        for name, (value, description) in outputs.items():
            TerraformOutput(self, name, value=value, description=description)
