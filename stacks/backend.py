"""Terraform state: the S3 backend with DynamoDB locking, and a bootstrap stack for accounts that have neither."""

from __future__ import annotations

import json

from stacks.aws import aws
from stacks.config import AtlantisConfig
from stacks.framework import Construct, S3Backend, TerraformOutput, TerraformStack
from stacks.kms import ServiceKey
from stacks.tagging import stackkit_tags


def configure_backend(stack: TerraformStack, config: AtlantisConfig) -> None:
    """S3 state with DynamoDB locking; ``terraform init -backend-config=...`` can still override any of it."""
    S3Backend(
        stack,
        bucket=config.state_bucket,
        key=config.state_key,
        region=config.aws_region,
        encrypt=True,
        dynamodb_table=config.lock_table,
    )


def bootstrap_stack_name(config: AtlantisConfig) -> str:
    return f"{config.org_name.lower()}-state-backend-{config.aws_region}"


class StateBackendStack(TerraformStack):
    """Creates the state bucket and lock table on local state (run once per account and region)."""

    def __init__(self, scope: Construct, config: AtlantisConfig) -> None:
        super().__init__(scope, bootstrap_stack_name(config))
        tags = {**stackkit_tags(config), "Stack": bootstrap_stack_name(config)}
        aws.provider.AwsProvider(
            self,
            "aws",
            region=config.aws_region,
            default_tags=[aws.provider.AwsProviderDefaultTags(tags=tags)],
        )
        account_id = aws.data_aws_caller_identity.DataAwsCallerIdentity(self, "identity").account_id
        partition = aws.data_aws_partition.DataAwsPartition(self, "partition").partition
        key = ServiceKey(
            self,
            "state-key",
            alias=f"{config.org_name.lower()}-terraform-state",
            description="Encrypts Terraform state and its lock table",
            account_id=account_id,
            partition=partition,
            services=[],
        )
        bucket = aws.s3_bucket.S3Bucket(self, "state-bucket", bucket=config.state_bucket)
        lifecycle = aws.s3_bucket_lifecycle_configuration
        # Keep every current state; old versions are the undo history, kept for 90 days.
        lifecycle.S3BucketLifecycleConfiguration(
            self,
            "state-bucket-lifecycle",
            bucket=bucket.id,
            rule=[
                lifecycle.S3BucketLifecycleConfigurationRule(
                    id="expire-old-state-versions",
                    status="Enabled",
                    filter=[lifecycle.S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    noncurrent_version_expiration=[
                        lifecycle.S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(noncurrent_days=90)
                    ],
                    abort_incomplete_multipart_upload=[
                        lifecycle.S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                            days_after_initiation=1
                        )
                    ],
                )
            ],
        )
        aws.s3_bucket_notification.S3BucketNotification(self, "state-bucket-events", bucket=bucket.id, eventbridge=True)
        # State history is how a bad apply is undone: never lose a version.
        aws.s3_bucket_versioning.S3BucketVersioningA(
            self,
            "state-bucket-versioning",
            bucket=bucket.id,
            versioning_configuration=aws.s3_bucket_versioning.S3BucketVersioningVersioningConfiguration(
                status="Enabled"
            ),
        )
        aws.s3_bucket_server_side_encryption_configuration.S3BucketServerSideEncryptionConfigurationA(
            self,
            "state-bucket-encryption",
            bucket=bucket.id,
            rule=[
                aws.s3_bucket_server_side_encryption_configuration.S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=aws.s3_bucket_server_side_encryption_configuration.S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                        sse_algorithm="aws:kms", kms_master_key_id=key.arn
                    ),
                    bucket_key_enabled=True,
                )
            ],
        )
        aws.s3_bucket_public_access_block.S3BucketPublicAccessBlock(
            self,
            "state-bucket-public-access-block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        aws.s3_bucket_ownership_controls.S3BucketOwnershipControls(
            self,
            "state-bucket-ownership",
            bucket=bucket.id,
            rule=aws.s3_bucket_ownership_controls.S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
        )
        aws.s3_bucket_policy.S3BucketPolicy(
            self,
            "state-bucket-tls-only",
            bucket=bucket.id,
            policy=tls_only_bucket_policy(bucket.arn),
        )
        table = aws.dynamodb_table.DynamodbTable(
            self,
            "lock-table",
            name=config.lock_table,
            billing_mode="PAY_PER_REQUEST",
            hash_key="LockID",
            attribute=[aws.dynamodb_table.DynamodbTableAttribute(name="LockID", type="S")],
            point_in_time_recovery=aws.dynamodb_table.DynamodbTablePointInTimeRecovery(enabled=True),
            server_side_encryption=aws.dynamodb_table.DynamodbTableServerSideEncryption(
                enabled=True, kms_key_arn=key.arn
            ),
            deletion_protection_enabled=True,
        )
        TerraformOutput(self, "state_bucket", value=bucket.bucket)
        TerraformOutput(self, "lock_table", value=table.name)


def tls_only_bucket_policy(bucket_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )
