"""Where the ALB (and the stack's other buckets) write access logs: a private, TLS-only, expiring S3 bucket."""

from __future__ import annotations

from typing import Any

from stacks.buckets import SecureBucket
from stacks.machinery.aws import aws
from stacks.machinery.framework import Construct


class AccessLogBucket(Construct):
    """Exposes ``name``. ALB access logs can be delivered only to SSE-S3 buckets, so this one uses AES256."""

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
        elb_account = aws.data_aws_elb_service_account.DataAwsElbServiceAccount(self, "elb-account")

        def delivery_statements(arn: str) -> list[dict[str, Any]]:
            alb_logs = f"{arn}/alb/AWSLogs/{account_id}/*"
            return [
                {
                    # Regions launched before August 2022 deliver from a regional ELB account...
                    "Sid": "ElbAccessLogsRegionalAccount",
                    "Effect": "Allow",
                    "Principal": {"AWS": elb_account.arn},
                    "Action": "s3:PutObject",
                    "Resource": alb_logs,
                },
                {
                    # ...newer regions from the log delivery service principal.
                    "Sid": "ElbAccessLogsDeliveryService",
                    "Effect": "Allow",
                    "Principal": {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": alb_logs,
                },
                {
                    "Sid": "S3ServerAccessLogs",
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"{arn}/s3/*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                },
            ]

        self.storage = SecureBucket(
            self,
            "bucket",
            bucket_name=f"{prefix}-access-logs-{account_id}-{region}",
            sse="AES256",
            force_destroy=force_destroy,
            expiration_days=retention_days,
            noncurrent_days=7,
            policy_statements=delivery_statements,
        )
        self.name: str = self.storage.name
