"""Customer-managed KMS keys with rotation, each usable by the account's admins and the named AWS services."""

from __future__ import annotations

import json
from typing import Any

from stacks.machinery.aws import aws
from stacks.machinery.framework import Construct


def key_policy(account_id: str, partition: str, services: list[str], extra: list[dict[str, Any]] | None = None) -> str:
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if services:
        statements.append(
            {
                "Sid": "ServicesUseTheKey",
                "Effect": "Allow",
                "Principal": {"Service": services},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*", "kms:Encrypt", "kms:ReEncrypt*", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements + (extra or [])})


class ServiceKey(Construct):
    """Exposes ``key`` and ``arn``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alias: str,
        description: str,
        account_id: str,
        partition: str,
        services: list[str],
        extra_statements: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = aws.kms_key.KmsKey(
            self,
            "key",
            description=description,
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=key_policy(account_id, partition, services, extra_statements),
        )
        aws.kms_alias.KmsAlias(self, "alias", name=f"alias/{alias}", target_key_id=self.key.key_id)
        self.arn: str = self.key.arn


class StackKeys(Construct):
    """With ``kms_key_mode = "customer"``: a key for CloudWatch Logs and one for data at rest (EFS, S3, SQS, Lambda
    environment). Exposes ``logs_arn`` and ``data_arn``; both are None in "aws" mode (AWS-managed keys)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        region: str,
        account_id: str,
        partition: str,
        log_delivery_to_s3: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        log_arns = f"arn:{partition}:logs:{region}:{account_id}:*"
        # VPC flow logs written to S3 arrive through the log delivery service, which encrypts them with this key.
        s3_delivery = [
            {
                "Sid": "LogDeliveryToS3UsesTheKey",
                "Effect": "Allow",
                "Principal": {"Service": "delivery.logs.amazonaws.com"},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ]
        self.logs = ServiceKey(
            self,
            "logs",
            alias=f"{prefix}-logs",
            description=f"Encrypts the {prefix} CloudWatch log groups",
            account_id=account_id,
            partition=partition,
            services=[],
            extra_statements=[
                {
                    "Sid": "CloudWatchLogsUseTheKey",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                    "Action": [
                        "kms:Encrypt*",
                        "kms:Decrypt*",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:Describe*",
                    ],
                    "Resource": "*",
                    "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_arns}},
                },
                *(s3_delivery if log_delivery_to_s3 else []),
            ],
        )
        self.data = ServiceKey(
            self,
            "data",
            alias=f"{prefix}-data",
            description=f"Encrypts {prefix} data at rest: EFS, plans bucket, queues, Lambda environment",
            account_id=account_id,
            partition=partition,
            # EventBridge delivers S3 events into the encrypted review queue.
            services=["events.amazonaws.com"],
        )
        self.logs_arn: str | None = self.logs.arn
        self.data_arn: str | None = self.data.arn


class AwsManagedKeys:
    """The "aws" key mode: every service uses its AWS-managed key."""

    logs_arn: str | None = None
    data_arn: str | None = None
