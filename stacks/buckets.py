"""A private S3 bucket with the settings every bucket of this project shares: owner-enforced, public access blocked,
encrypted, versioned, TLS-only, EventBridge notifications on, and a lifecycle that expires what it should."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from stacks.machinery.aws import aws
from stacks.machinery.framework import Construct


class SecureBucket(Construct):
    """Exposes ``bucket``, ``name`` (the bucket id) and ``arn``.

    ``policy_statements`` receives the bucket ARN and returns statements added after the TLS-only deny.
    ``kms_key_arn``: a customer key for SSE-KMS; None with ``sse="aws:kms"`` uses the AWS-managed key; ``sse="AES256"``
    for the services that can write only SSE-S3 objects (ALB access logs).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket_name: str,
        sse: str = "aws:kms",
        kms_key_arn: str | None = None,
        force_destroy: bool = False,
        expiration_days: int | None = None,
        noncurrent_days: int,
        policy_statements: Callable[[str], list[dict[str, Any]]] | None = None,
        access_log_bucket: str | None = None,
        access_log_prefix: str = "",
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = aws.s3_bucket.S3Bucket(self, "bucket", bucket=bucket_name, force_destroy=force_destroy)
        self.name: str = self.bucket.id
        self.arn: str = self.bucket.arn
        bucket_id = self.name
        aws.s3_bucket_ownership_controls.S3BucketOwnershipControls(
            self,
            "ownership",
            bucket=bucket_id,
            rule=aws.s3_bucket_ownership_controls.S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
        )
        aws.s3_bucket_public_access_block.S3BucketPublicAccessBlock(
            self,
            "public-access-block",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        encryption = aws.s3_bucket_server_side_encryption_configuration
        encryption.S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=bucket_id,
            rule=[
                encryption.S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=encryption.S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                        sse_algorithm=sse, kms_master_key_id=kms_key_arn
                    ),
                    bucket_key_enabled=sse == "aws:kms",
                )
            ],
        )
        aws.s3_bucket_versioning.S3BucketVersioningA(
            self,
            "versioning",
            bucket=bucket_id,
            versioning_configuration=aws.s3_bucket_versioning.S3BucketVersioningVersioningConfiguration(
                status="Enabled"
            ),
        )
        lifecycle = aws.s3_bucket_lifecycle_configuration
        lifecycle.S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            bucket=bucket_id,
            rule=[
                lifecycle.S3BucketLifecycleConfigurationRule(
                    id="expire",
                    status="Enabled",
                    filter=[lifecycle.S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    expiration=(
                        [lifecycle.S3BucketLifecycleConfigurationRuleExpiration(days=expiration_days)]
                        if expiration_days
                        else None
                    ),
                    noncurrent_version_expiration=[
                        lifecycle.S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                            noncurrent_days=noncurrent_days
                        )
                    ],
                    abort_incomplete_multipart_upload=[
                        lifecycle.S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                            days_after_initiation=1
                        )
                    ],
                )
            ],
        )
        aws.s3_bucket_notification.S3BucketNotification(self, "events", bucket=bucket_id, eventbridge=True)
        if access_log_bucket:
            aws.s3_bucket_logging.S3BucketLoggingA(
                self, "access-logs", bucket=bucket_id, target_bucket=access_log_bucket, target_prefix=access_log_prefix
            )
        deny_plain_http = {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [self.arn, f"{self.arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
        aws.s3_bucket_policy.S3BucketPolicy(
            self,
            "policy",
            bucket=bucket_id,
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [deny_plain_http, *(policy_statements(self.arn) if policy_statements else [])],
                }
            ),
        )
