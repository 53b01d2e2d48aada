"""Encrypted SQS queues: with a customer KMS key when the stack has one, else SQS-managed encryption."""

from __future__ import annotations

from typing import Any

from stacks.machinery.aws import aws
from stacks.machinery.framework import Construct

FOURTEEN_DAYS = 1_209_600  # SQS's maximum retention: dead letters wait as long as possible for a human


def encrypted_queue(scope: Construct, construct_id: str, *, name: str, kms_key_arn: str | None, **settings: Any) -> Any:
    return aws.sqs_queue.SqsQueue(
        scope,
        construct_id,
        name=name,
        kms_master_key_id=kms_key_arn,
        sqs_managed_sse_enabled=None if kms_key_arn else True,
        **settings,
    )


def dead_letter_queue(scope: Construct, construct_id: str, *, name: str, kms_key_arn: str | None) -> Any:
    return encrypted_queue(
        scope, construct_id, name=name, kms_key_arn=kms_key_arn, message_retention_seconds=FOURTEEN_DAYS
    )
