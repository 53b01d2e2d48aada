"""Where the ALB (and the stack's other buckets) write access logs: a private, TLS-only, expiring S3 bucket."""

from __future__ import annotations

import json

from stacks.aws import aws
from stacks.framework import Construct


class AccessLogBucket(Construct):
    """Exposes ``bucket`` (id = name). ALB access logs support SSE-S3 only, so this bucket uses AES256."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        account_id: str,
        region: str,
        retention_days: int,
        force_destroy: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = aws.s3_bucket.S3Bucket(
            self, "bucket", bucket=f"{prefix}-access-logs-{account_id}-{region}", force_destroy=force_destroy
        )
        bucket_id = self.bucket.id
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
        sse = aws.s3_bucket_server_side_encryption_configuration
        sse.S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=bucket_id,
            rule=[
                sse.S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=sse.S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                        sse_algorithm="AES256"
                    )
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
            "expiry",
            bucket=bucket_id,
            rule=[
                lifecycle.S3BucketLifecycleConfigurationRule(
                    id="expire-access-logs",
                    status="Enabled",
                    filter=[lifecycle.S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    expiration=[lifecycle.S3BucketLifecycleConfigurationRuleExpiration(days=retention_days)],
                    noncurrent_version_expiration=[
                        lifecycle.S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(noncurrent_days=7)
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
        elb_account = aws.data_aws_elb_service_account.DataAwsElbServiceAccount(self, "elb-account")
        bucket_arn = self.bucket.arn
        aws.s3_bucket_policy.S3BucketPolicy(
            self,
            "policy",
            bucket=bucket_id,
            policy=json.dumps(
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
                        },
                        {
                            # Regions launched before August 2022 deliver from a regional ELB account...
                            "Sid": "ElbAccessLogsRegionalAccount",
                            "Effect": "Allow",
                            "Principal": {"AWS": elb_account.arn},
                            "Action": "s3:PutObject",
                            "Resource": f"{bucket_arn}/alb/AWSLogs/{account_id}/*",
                        },
                        {
                            # ...newer regions from the log delivery service principal.
                            "Sid": "ElbAccessLogsDeliveryService",
                            "Effect": "Allow",
                            "Principal": {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
                            "Action": "s3:PutObject",
                            "Resource": f"{bucket_arn}/alb/AWSLogs/{account_id}/*",
                        },
                        {
                            "Sid": "S3ServerAccessLogs",
                            "Effect": "Allow",
                            "Principal": {"Service": "logging.s3.amazonaws.com"},
                            "Action": "s3:PutObject",
                            "Resource": f"{bucket_arn}/s3/*",
                            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                        },
                    ],
                }
            ),
        )
        self.name: str = bucket_id
