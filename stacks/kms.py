"""Customer-managed KMS keys with rotation, each usable by the account's admins and the named AWS services."""

from __future__ import annotations

import json
from typing import Any

from stacks.aws import aws
from stacks.framework import Construct


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
