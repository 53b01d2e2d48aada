"""One environment's Atlantis: read top-down, it is the architecture diagram in the README."""

from __future__ import annotations

from stacks.access_logs import AccessLogBucket
from stacks.ai_reviewer import AiReviewer
from stacks.autoscaling import ServiceAutoscaling
from stacks.backend import configure_backend
from stacks.config import AtlantisConfig
from stacks.iam import AtlantisRoles
from stacks.kms import AwsManagedKeys, StackKeys
from stacks.lambda_function import LambdaNetwork
from stacks.load_balancer import AtlantisLoadBalancer
from stacks.machinery.aws import aws
from stacks.machinery.framework import Construct, TerraformOutput, TerraformStack
from stacks.monitoring import AtlantisMonitoring
from stacks.naming import redis_secret_name
from stacks.network import AtlantisNetwork
from stacks.redis import AtlantisRedis, auth_token_from_secret
from stacks.repo_config import build_repo_config, escape_for_terraform
from stacks.secrets import AtlantisSecret
from stacks.security_groups import AtlantisSecurityGroups
from stacks.service import AtlantisLogGroup, AtlantisService
from stacks.storage import AtlantisStorage
from stacks.tagging import stackkit_tags
from stacks.waf import AtlantisWaf


class AtlantisStack(TerraformStack):
    def __init__(self, scope: Construct, config: AtlantisConfig) -> None:
        super().__init__(scope, config.stack_name)
        self.config = config
        prefix = f"{config.environment}-atlantis"
        aws.provider.AwsProvider(
            self,
            "aws",
            region=config.aws_region,
            default_tags=[aws.provider.AwsProviderDefaultTags(tags=stackkit_tags(config))],
        )
        configure_backend(self, config)
        account_id = aws.data_aws_caller_identity.DataAwsCallerIdentity(self, "identity").account_id
        partition = aws.data_aws_partition.DataAwsPartition(self, "partition").partition
        keys: StackKeys | AwsManagedKeys = (
            StackKeys(
                self,
                "keys",
                prefix=prefix,
                region=config.aws_region,
                account_id=account_id,
                partition=partition,
                log_delivery_to_s3=config.flow_logs_to_s3,
            )
            if config.kms_key_mode == "customer"
            else AwsManagedKeys()
        )

        network = AtlantisNetwork(self, "network", config=config, account_id=account_id, logs_kms_arn=keys.logs_arn)
        groups = AtlantisSecurityGroups(self, "security-groups", config=config, vpc_id=network.vpc_id)
        secret = AtlantisSecret(self, "secret", config=config)
        # The Redis AUTH token lives in a secret of its own: Terraform reads it (ElastiCache needs the value) and
        # so keeps it in state, which must not pull the GitHub token in with it.
        redis_secret = (
            AtlantisSecret(self, "redis-secret", config=config, name=redis_secret_name(config))
            if config.locking_db == "redis"
            else None
        )
        logs = AtlantisLogGroup(self, "logs", config=config, kms_key_arn=keys.logs_arn)
        roles = AtlantisRoles(
            self,
            "iam",
            config=config,
            account_id=account_id,
            secret_arns=[secret.arn] + ([redis_secret.arn] if redis_secret else []),
            log_group_arn=logs.arn,
        )
        storage = AtlantisStorage(
            self,
            "storage",
            config=config,
            private_subnet_ids=network.private_subnet_ids,
            security_group_id=groups.efs.id,
            task_role_arn=roles.task_role.arn,
            kms_key_arn=keys.data_arn,
        )
        roles.grant_efs(storage.file_system.arn, storage.access_point.arn)
        access_logs = (
            AccessLogBucket(
                self,
                "access-logs",
                prefix=prefix,
                account_id=account_id,
                region=config.aws_region,
                retention_days=config.access_log_retention_days,
                force_destroy=not config.deletion_protection,
            )
            if config.enable_alb_access_logs
            else None
        )
        load_balancer = AtlantisLoadBalancer(
            self,
            "load-balancer",
            config=config,
            vpc_id=network.vpc_id,
            public_subnet_ids=network.public_subnet_ids,
            security_group_id=groups.alb.id,
            access_log_bucket=access_logs.name if access_logs else None,
        )
        if config.enable_waf:
            AtlantisWaf(self, "waf", config=config, load_balancer_arn=load_balancer.alb.arn, logs_kms_arn=keys.logs_arn)
        if config.enable_ecs_exec:
            roles.grant_ecs_exec(logs.arn, keys.logs_arn)
        redis = (
            AtlantisRedis(
                self,
                "redis",
                name_prefix=prefix,
                vpc_id=network.vpc_id,
                subnet_ids=network.private_subnet_ids,
                client_security_group_id=groups.task.id,
                auth_token=auth_token_from_secret(self, "redis-auth-token", secret_arn=redis_secret.arn),
                kms_key_arn=keys.data_arn,
                log_kms_key_arn=keys.logs_arn,
                log_retention_days=config.log_retention_days,
            )
            if redis_secret
            else None
        )
        # Lambdas run in the private subnets; their security group exists only when a function does.
        functions_network = (
            LambdaNetwork(subnet_ids=network.private_subnet_ids, security_group_ids=[groups.functions.id])
            if config.enable_slack_notifications or config.enable_ai_reviewer
            else None
        )
        ai_reviewer = (
            AiReviewer(
                self,
                "ai-reviewer",
                config=config,
                account_id=account_id,
                partition=partition,
                secret=secret,
                network=functions_network,
                data_kms_arn=keys.data_arn,
                logs_kms_arn=keys.logs_arn,
                access_log_bucket=access_logs.name if access_logs else None,
            )
            if config.enable_ai_reviewer and functions_network
            else None
        )
        if ai_reviewer:
            roles.grant_task("upload-plans-for-review", *ai_reviewer.task_statements)
        repo_config = escape_for_terraform(
            build_repo_config(
                repo_allowlist=config.repo_allowlist,
                environment=config.environment,
                infracost=config.enable_infracost,
                plan_upload_command=ai_reviewer.upload_step() if ai_reviewer else None,
            ).to_json()
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
            exec_kms_arn=keys.logs_arn,
            extra_environment={
                "ATLANTIS_REPO_CONFIG_JSON": ai_reviewer.resolve_upload_step(repo_config)
                if ai_reviewer
                else repo_config,
                **(redis.atlantis_environment() if redis else {}),
            },
            secret_references=(
                {env: redis_secret.value_from(key) for env, key in AtlantisRedis.atlantis_secret_keys().items()}
                if redis_secret
                else None
            ),
        )
        if config.autoscaling_max_count:
            ServiceAutoscaling(
                self,
                "autoscaling",
                cluster_name=service.cluster.name,
                service_name=service.service.name,
                min_capacity=config.desired_count,
                max_capacity=config.autoscaling_max_count,
            )
        monitoring = AtlantisMonitoring(
            self,
            "monitoring",
            config=config,
            account_id=account_id,
            partition=partition,
            secret=secret,
            network=functions_network,
            keys=keys,
            cluster_name=service.cluster.name,
            cluster_arn=service.cluster.arn,
            service_name=service.service.name,
            load_balancer_arn_suffix=load_balancer.alb.arn_suffix,
            target_group_arn_suffix=load_balancer.target_group.arn_suffix,
            file_system_id=storage.file_system.id,
            nat_instance_ids=network.nat_instance_ids,
        )
        if ai_reviewer:
            ai_reviewer.watch(monitoring)
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
