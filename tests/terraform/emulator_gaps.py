"""What the emulator (moto) cannot do that our stacks need, in one place.

RESOURCE_GAPS: resource types left out of the *applied copy* only (an override file sets ``count = 0`` on them
there; the product and the validate/plan tiers keep them). ATTRIBUTE_GAPS: attributes moto does not store, so a
second plan updates them in place although nothing changed. Each entry has a probe that returns True while the gap
is still there; test_emulator_gaps.py runs every probe, so an entry that moto has since fixed fails its test and
gets deleted, the way the checkov skips are kept honest.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

ClientFactory = Callable[[str], Any]  # service name -> boto3 client against the emulator
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})


@dataclass(frozen=True)
class ResourceGap:
    resource_type: str
    reason: str
    still_there: Callable[[ClientFactory], bool]
    # attribute -> the literal a reference ${<type>.<name>.<attribute>} becomes in the applied copy
    stand_ins: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AttributeGap:
    resource_type: str
    attribute: str
    reason: str
    still_there: Callable[[ClientFactory], bool]


def _not_implemented(call: Callable[[], Any]) -> bool:
    """True when moto answers the call with its 'has not been implemented' server error."""
    try:
        call()
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return bool(status and status >= 500)
    except ResponseParserError as error:  # query-protocol services: moto's HTML error page is not XML
        return "500 Internal Server Error" in str(error)
    return False


def _file_system(clients: ClientFactory) -> tuple[Any, str]:
    efs = clients("efs")
    return efs, efs.create_file_system(CreationToken=secrets.token_hex(8))["FileSystemId"]


def _backup_policy_cannot_be_enabled(clients: ClientFactory) -> bool:
    efs, file_system = _file_system(clients)
    return _not_implemented(lambda: efs.put_backup_policy(FileSystemId=file_system, BackupPolicy={"Status": "ENABLED"}))


def _file_system_policy_cannot_be_deleted(clients: ClientFactory) -> bool:
    efs, file_system = _file_system(clients)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "elasticfilesystem:ClientMount"}],
    }
    efs.put_file_system_policy(FileSystemId=file_system, Policy=json.dumps(policy))
    return _not_implemented(lambda: efs.delete_file_system_policy(FileSystemId=file_system))


def _logging_fails_under_a_wildcard_principal(clients: ClientFactory) -> bool:
    s3 = clients("s3")
    source, target = (f"gap-{name}-{secrets.token_hex(4)}" for name in ("source", "target"))
    for bucket in (source, target):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-2"})
    deny_plain_http = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{target}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    allow_log_delivery = {
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{target}/*",
    }
    policy = {"Version": "2012-10-17", "Statement": [deny_plain_http, allow_log_delivery]}
    s3.put_bucket_policy(Bucket=target, Policy=json.dumps(policy))
    status = {"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": "s3/"}}
    return _not_implemented(lambda: s3.put_bucket_logging(Bucket=source, BucketLoggingStatus=status))


def _parameter_group_cannot_be_created(clients: ClientFactory) -> bool:
    elasticache = clients("elasticache")
    return _not_implemented(
        lambda: elasticache.create_cache_parameter_group(
            CacheParameterGroupName=f"gap-{secrets.token_hex(4)}", CacheParameterGroupFamily="valkey8", Description="x"
        )
    )


def _replication_group_has_no_member_clusters(clients: ClientFactory) -> bool:
    elasticache = clients("elasticache")
    group = f"gap-{secrets.token_hex(4)}"
    elasticache.create_replication_group(
        ReplicationGroupId=group, ReplicationGroupDescription="x", Engine="valkey", NumCacheClusters=2
    )
    try:
        elasticache.describe_cache_clusters(CacheClusterId=f"{group}-001")
    except ClientError as error:
        return error.response["Error"]["Code"] == "CacheClusterNotFound"
    return False


def _scalable_target_tags_unreadable(clients: ClientFactory) -> bool:
    autoscaling = clients("application-autoscaling")
    arn = "arn:aws:application-autoscaling:ap-northeast-2:123456789012:scalable-target/0123456789abcdef0123"
    return _not_implemented(lambda: autoscaling.list_tags_for_resource(ResourceARN=arn))


_SCALABLE_TARGET = {"resource_id": "service/emulator/emulator", "scalable_dimension": "ecs:service:DesiredCount"}


def _subnet_group_cannot_be_deleted(clients: ClientFactory) -> bool:
    elasticache, ec2 = clients("elasticache"), clients("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.98.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.98.1.0/24")["Subnet"]["SubnetId"]
    name = f"gap-{secrets.token_hex(4)}"
    elasticache.create_cache_subnet_group(
        CacheSubnetGroupName=name, CacheSubnetGroupDescription="x", SubnetIds=[subnet]
    )
    return _not_implemented(lambda: elasticache.delete_cache_subnet_group(CacheSubnetGroupName=name))


# The provider waits (create) or retries (delete) until its 20-minute timeout on these; see
# hashicorp/terraform-provider-aws v5.100.0 internal/service/efs/backup_policy.go (waitBackupPolicyEnabled) and
# internal/service/efs/file_system_policy.go (resourceFileSystemPolicyDelete).
RESOURCE_GAPS: tuple[ResourceGap, ...] = (
    ResourceGap(
        "aws_efs_backup_policy",
        "moto does not implement PutBackupPolicy (HTTP 500), so the policy is never reported ENABLED",
        _backup_policy_cannot_be_enabled,
    ),
    ResourceGap(
        "aws_s3_bucket_logging",
        'moto fails PutBucketLogging (HTTP 500) when the target bucket policy has a Principal "*" statement (TLS-only)',
        _logging_fails_under_a_wildcard_principal,
    ),
    ResourceGap(
        "aws_elasticache_parameter_group",
        "moto does not implement CreateCacheParameterGroup (HTTP 500); the replication group gets the default group",
        _parameter_group_cannot_be_created,
        stand_ins={"name": "default.valkey8"},
    ),
    ResourceGap(
        "aws_elasticache_replication_group",
        "moto creates no member clusters (<id>-001), and the provider reads them after create (CacheClusterNotFound)",
        _replication_group_has_no_member_clusters,
        stand_ins={"primary_endpoint_address": "redis.emulator.invalid"},
    ),
    ResourceGap(
        "aws_appautoscaling_target",
        "moto does not implement Application Auto Scaling ListTagsForResource (HTTP 500); the provider retries it",
        _scalable_target_tags_unreadable,
        stand_ins={**_SCALABLE_TARGET, "service_namespace": "ecs"},
    ),
    ResourceGap(
        "aws_appautoscaling_policy",
        "left out with its scalable target (above); moto does not implement ListTagsForResource for the target",
        _scalable_target_tags_unreadable,
    ),
    ResourceGap(
        "aws_elasticache_subnet_group",
        "moto does not implement DeleteCacheSubnetGroup (HTTP 500), so destroy retries until it times out",
        _subnet_group_cannot_be_deleted,
        stand_ins={"name": "emulator-subnet-group"},
    ),
    ResourceGap(
        "aws_efs_file_system_policy",
        "moto does not implement DeleteFileSystemPolicy (HTTP 500), so destroy retries until it times out",
        _file_system_policy_cannot_be_deleted,
    ),
)


def _service_field_not_stored(field_name: str, value: object) -> Callable[[ClientFactory], bool]:
    def probe(clients: ClientFactory) -> bool:
        ecs = clients("ecs")
        cluster = ecs.create_cluster(clusterName=f"gap-{secrets.token_hex(4)}")["cluster"]["clusterName"]
        family = ecs.register_task_definition(
            family="gap", containerDefinitions=[{"name": "app", "image": "app", "memory": 128}]
        )["taskDefinition"]["taskDefinitionArn"]
        service = ecs.create_service(
            cluster=cluster, serviceName="gap", taskDefinition=family, desiredCount=0, **{field_name: value}
        )["service"]["serviceName"]
        described = ecs.describe_services(cluster=cluster, services=[service])["services"][0]
        return bool(described.get(field_name) != value)

    return probe


def _eventbridge_notification_not_reported(clients: ClientFactory) -> bool:
    s3 = clients("s3")
    bucket = f"gap-events-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-2"})
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}})
    return "EventBridgeConfiguration" not in s3.get_bucket_notification_configuration(Bucket=bucket)


def _group_rule_description_not_stored(direction: str) -> Callable[[ClientFactory], bool]:
    return lambda clients: _rule_description_not_stored(clients, direction)


def _rule_description_not_stored(clients: ClientFactory, direction: str) -> bool:
    ec2 = clients("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    source, target = (
        ec2.create_security_group(GroupName=f"gap-{name}-{secrets.token_hex(3)}", Description=name, VpcId=vpc)[
            "GroupId"
        ]
        for name in ("source", "target")
    )
    pair = {"GroupId": source, "Description": "from the source group"}
    permission = {"IpProtocol": "tcp", "FromPort": 4141, "ToPort": 4141, "UserIdGroupPairs": [pair]}
    authorize = getattr(ec2, f"authorize_security_group_{direction}")
    authorize(GroupId=target, IpPermissions=[permission])
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [target]}])
    stored = [
        rule.get("Description")
        for rule in rules["SecurityGroupRules"]
        if rule.get("ReferencedGroupInfo") and rule["IsEgress"] == (direction == "egress")
    ]
    return stored != ["from the source group"]


# Found by the second quick-deploy run (test_terraform_quick_deploy.py): its plan updates these in place although
# nothing changed, because moto returns the attribute empty or not at all after storing the resource.
ATTRIBUTE_GAPS: tuple[AttributeGap, ...] = (
    AttributeGap(
        "aws_ecs_service",
        "availability_zone_rebalancing",
        "moto's DescribeServices does not return availabilityZoneRebalancing",
        _service_field_not_stored("availabilityZoneRebalancing", "DISABLED"),
    ),
    AttributeGap(
        "aws_ecs_service",
        "enable_ecs_managed_tags",
        "moto's DescribeServices does not return enableECSManagedTags",
        _service_field_not_stored("enableECSManagedTags", True),
    ),
    AttributeGap(
        "aws_ecs_service",
        "health_check_grace_period_seconds",
        "moto's DescribeServices does not return healthCheckGracePeriodSeconds",
        _service_field_not_stored("healthCheckGracePeriodSeconds", 180),
    ),
    AttributeGap(
        "aws_s3_bucket_notification",
        "eventbridge",
        "moto's GetBucketNotificationConfiguration leaves out EventBridgeConfiguration",
        _eventbridge_notification_not_reported,
    ),
    AttributeGap(
        "aws_vpc_security_group_ingress_rule",
        "description",
        "moto's DescribeSecurityGroupRules drops the description of a rule that references another group",
        _group_rule_description_not_stored("ingress"),
    ),
    AttributeGap(
        "aws_vpc_security_group_egress_rule",
        "description",
        "moto's DescribeSecurityGroupRules drops the description of a rule that references another group",
        _group_rule_description_not_stored("egress"),
    ),
)


def gap_types() -> list[str]:
    return [gap.resource_type for gap in RESOURCE_GAPS]


def stand_ins() -> dict[str, Mapping[str, str]]:
    """Resource type -> attribute -> stand-in, for harness.without_resource_types."""
    return {gap.resource_type: gap.stand_ins for gap in RESOURCE_GAPS}
