"""Terraform state: the S3 backend with DynamoDB locking, and a bootstrap stack for accounts that have neither."""

from __future__ import annotations

from stacks.buckets import SecureBucket
from stacks.config import AtlantisConfig
from stacks.kms import ServiceKey
from stacks.machinery.aws import aws
from stacks.machinery.framework import Construct, S3Backend, TerraformOutput, TerraformStack
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
        tags = stackkit_tags(config, stack=bootstrap_stack_name(config))
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
        # State history is how a bad apply is undone: keep every current state and old versions for 90 days.
        bucket = SecureBucket(self, "state", bucket_name=config.state_bucket, kms_key_arn=key.arn, noncurrent_days=90)
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
        TerraformOutput(self, "state_bucket", value=bucket.name)
        TerraformOutput(self, "lock_table", value=table.name)
