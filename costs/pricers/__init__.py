"""Which pricer handles which Terraform type, and which types AWS does not bill for at all."""

from __future__ import annotations

from collections.abc import Callable

from costs.model import LineItem, PricingContext
from costs.pricers.ec2 import price_ec2_instance
from costs.pricers.fargate import price_ecs_service
from costs.pricers.logs import price_flow_log, price_log_group, price_log_metric_filter, price_waf_logging
from costs.pricers.monitoring import (
    price_composite_alarm,
    price_dashboard,
    price_ecs_cluster,
    price_metric_alarm,
    price_sns_topic,
)
from costs.pricers.network import (
    price_eip,
    price_hosted_zone,
    price_load_balancer,
    price_nat_gateway,
    price_vpc_endpoint,
)
from costs.pricers.security import (
    price_kms_key,
    price_secret,
    price_secret_data_source,
    price_ssm_parameter,
    price_web_acl,
)
from costs.pricers.serverless import (
    price_elasticache_cluster,
    price_elasticache_replication_group,
    price_event_bus,
    price_lambda_function,
    price_sqs_queue,
)
from costs.pricers.storage import (
    price_dynamodb_table,
    price_ecr_repository,
    price_efs_backup_policy,
    price_efs_file_system,
    price_s3_bucket,
)
from costs.stack import Resource

Pricer = Callable[[Resource, PricingContext], list[LineItem]]

RESOURCE_PRICERS: dict[str, Pricer] = {
    "aws_ecs_service": price_ecs_service,
    "aws_ecs_cluster": price_ecs_cluster,
    "aws_nat_gateway": price_nat_gateway,
    "aws_instance": price_ec2_instance,
    "aws_eip": price_eip,
    "aws_lb": price_load_balancer,
    "aws_alb": price_load_balancer,
    "aws_vpc_endpoint": price_vpc_endpoint,
    "aws_route53_zone": price_hosted_zone,
    "aws_flow_log": price_flow_log,
    "aws_efs_file_system": price_efs_file_system,
    "aws_efs_backup_policy": price_efs_backup_policy,
    "aws_s3_bucket": price_s3_bucket,
    "aws_dynamodb_table": price_dynamodb_table,
    "aws_ecr_repository": price_ecr_repository,
    "aws_cloudwatch_log_group": price_log_group,
    "aws_cloudwatch_metric_alarm": price_metric_alarm,
    "aws_cloudwatch_composite_alarm": price_composite_alarm,
    "aws_cloudwatch_dashboard": price_dashboard,
    "aws_cloudwatch_log_metric_filter": price_log_metric_filter,
    "aws_sns_topic": price_sns_topic,
    "aws_lambda_function": price_lambda_function,
    "aws_sqs_queue": price_sqs_queue,
    "aws_cloudwatch_event_bus": price_event_bus,
    "aws_elasticache_cluster": price_elasticache_cluster,
    "aws_elasticache_replication_group": price_elasticache_replication_group,
    "aws_secretsmanager_secret": price_secret,
    "aws_kms_key": price_kms_key,
    "aws_kms_replica_key": price_kms_key,
    "aws_wafv2_web_acl": price_web_acl,
    "aws_wafv2_web_acl_logging_configuration": price_waf_logging,
    "aws_ssm_parameter": price_ssm_parameter,
}

# Data sources are lookups, not resources; only a looked-up secret is still billed to this stack's owner.
DATA_SOURCE_PRICERS: dict[str, Pricer] = {
    "aws_secretsmanager_secret": price_secret_data_source,
}

# Types AWS bills nothing for by themselves (their traffic, if any, is priced on the resource that carries it).
NO_DIRECT_COST_TYPES: frozenset[str] = frozenset(
    {
        # Identity and access
        "aws_iam_role",
        "aws_iam_policy",
        "aws_iam_role_policy",
        "aws_iam_role_policy_attachment",
        "aws_iam_policy_attachment",
        "aws_iam_instance_profile",
        "aws_iam_service_linked_role",
        "aws_iam_openid_connect_provider",
        # Network plumbing
        "aws_vpc",
        "aws_subnet",
        "aws_route",
        "aws_route_table",
        "aws_route_table_association",
        "aws_main_route_table_association",
        "aws_internet_gateway",
        "aws_network_interface",
        "aws_egress_only_internet_gateway",
        "aws_network_acl",
        "aws_network_acl_rule",
        "aws_network_acl_association",
        "aws_default_network_acl",
        "aws_default_route_table",
        "aws_default_security_group",
        "aws_vpc_dhcp_options",
        "aws_vpc_dhcp_options_association",
        "aws_security_group",
        "aws_security_group_rule",
        "aws_vpc_security_group_ingress_rule",
        "aws_vpc_security_group_egress_rule",
        "aws_route53_record",
        "aws_acm_certificate",
        "aws_acm_certificate_validation",
        # Load balancer configuration
        "aws_lb_listener",
        "aws_lb_listener_rule",
        "aws_lb_listener_certificate",
        "aws_lb_target_group",
        "aws_lb_target_group_attachment",
        "aws_alb_listener",
        "aws_alb_target_group",
        # ECS, EFS and scaling configuration
        "aws_ecs_task_definition",
        "aws_ecs_cluster_capacity_providers",
        "aws_ecs_account_setting_default",
        "aws_efs_mount_target",
        "aws_efs_access_point",
        "aws_efs_file_system_policy",
        "aws_appautoscaling_target",
        "aws_appautoscaling_policy",
        "aws_appautoscaling_scheduled_action",
        # Event wiring: AWS service events on the default bus are free
        "aws_cloudwatch_event_rule",
        "aws_cloudwatch_event_target",
        "aws_cloudwatch_event_bus_policy",
        "aws_cloudwatch_log_resource_policy",
        "aws_cloudwatch_log_subscription_filter",
        "aws_lambda_permission",
        "aws_lambda_event_source_mapping",
        "aws_lambda_alias",
        "aws_lambda_function_url",
        "aws_sns_topic_subscription",
        "aws_sns_topic_policy",
        "aws_sqs_queue_policy",
        "aws_sqs_queue_redrive_policy",
        "aws_sqs_queue_redrive_allow_policy",
        # S3 bucket configuration
        "aws_s3_bucket_policy",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_ownership_controls",
        "aws_s3_bucket_lifecycle_configuration",
        "aws_s3_bucket_notification",
        "aws_s3_bucket_acl",
        "aws_s3_bucket_cors_configuration",
        "aws_s3_bucket_logging",
        "aws_s3_account_public_access_block",
        # Keys, secrets and registries: the billed object is the key, secret or repository
        "aws_kms_alias",
        "aws_kms_key_policy",
        "aws_secretsmanager_secret_version",
        "aws_secretsmanager_secret_policy",
        "aws_secretsmanager_secret_rotation",
        "aws_ecr_lifecycle_policy",
        "aws_ecr_repository_policy",
        "aws_wafv2_web_acl_association",
        "aws_wafv2_ip_set",
        "aws_wafv2_regex_pattern_set",
        "aws_wafv2_rule_group",
        # Other providers: nothing on the AWS bill
        "random_password",
        "random_id",
        "random_string",
        "random_uuid",
        "null_resource",
        "terraform_data",
        "time_sleep",
        "time_rotating",
        "time_static",
        "tls_private_key",
        "local_file",
    }
)
