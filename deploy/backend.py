"""The Terraform state backend: an S3 bucket and a DynamoDB lock table, created or reused idempotently.

Every check reads first and writes only what is missing, so a second run makes no change and a run that stopped
halfway finishes the job. The bucket settings (versioning, encryption, public access block, TLS-only policy) are
enforced on a reused bucket too: state without version history or encryption is not safe to deploy on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from deploy.aws import error_code
from deploy.errors import DeployError
from deploy.polling import poll

TLS_ONLY_SID = "DenyInsecureTransport"
_PUBLIC_ACCESS_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


@dataclass(frozen=True)
class BackendResult:
    bucket_created: bool
    table_created: bool
    changes: tuple[str, ...]  # what was created or fixed; empty on a run that changed nothing


def ensure_state_backend(
    s3: Any,
    dynamodb: Any,
    *,
    bucket: str,
    table: str,
    region: str,
    account_id: str,
    tags: dict[str, str],
    timeout: float = 120.0,
    interval: float = 2.0,
    tls_only: bool = True,
) -> BackendResult:
    """``tls_only=False`` (emulator mode only) leaves out the aws:SecureTransport statement, which emulators
    cannot evaluate (moto denies every object read under it)."""
    bucket_created, bucket_changes = ensure_bucket(s3, bucket, region, account_id, tags, tls_only=tls_only)
    table_created, table_changes = ensure_lock_table(dynamodb, table, tags, timeout=timeout, interval=interval)
    return BackendResult(bucket_created, table_created, tuple(bucket_changes + table_changes))


def ensure_bucket(
    s3: Any, bucket: str, region: str, account_id: str, tags: dict[str, str], *, tls_only: bool = True
) -> tuple[bool, list[str]]:
    created = not _bucket_exists(s3, bucket, region, account_id)
    changes = []
    if created:
        _create_bucket(s3, bucket, region)
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})
        changes.append(f"bucket {bucket} created")
    changes += [f"bucket {bucket}: {change}" for change in _ensure_bucket_settings(s3, bucket, tls_only)]
    return created, changes


def _bucket_exists(s3: Any, bucket: str, region: str, account_id: str) -> bool:
    """True when the bucket is ours; False when it does not exist; DeployError when it is someone else's."""
    try:
        response = s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=account_id)
    except ClientError as error:
        code = error_code(error)
        if code in ("404", "NoSuchBucket", "NotFound"):
            return False
        if code in ("403", "AccessDenied"):
            raise DeployError(
                f"state bucket {bucket} exists but belongs to another AWS account (or this identity may not use it)",
                "set existing_state_bucket in the config to a bucket of this account, or change org_name",
            ) from None
        if code in ("301", "PermanentRedirect", "400"):
            where = error.response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("x-amz-bucket-region")
            raise _wrong_region(bucket, where or "another region", region) from None
        raise
    actual = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("x-amz-bucket-region")
    if actual and actual != region:
        raise _wrong_region(bucket, actual, region)
    return True


def _wrong_region(bucket: str, actual: str, expected: str) -> DeployError:
    return DeployError(
        f"state bucket {bucket} is in {actual}, but aws_region is {expected}",
        "set existing_state_bucket to a bucket in aws_region, or deploy to that region",
    )


def _create_bucket(s3: Any, bucket: str, region: str) -> None:
    params: dict[str, Any] = {"Bucket": bucket, "ObjectOwnership": "BucketOwnerEnforced"}
    if region != "us-east-1":  # us-east-1 rejects an explicit LocationConstraint
        params["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**params)
    except ClientError as error:
        if error_code(error) == "BucketAlreadyExists":
            raise DeployError(
                f"the bucket name {bucket} is taken by another AWS account",
                "set existing_state_bucket in the config to a bucket of this account, or change org_name",
            ) from None
        if error_code(error) != "BucketAlreadyOwnedByYou":  # a concurrent run created it first: reuse
            raise


def _ensure_bucket_settings(s3: Any, bucket: str, tls_only: bool) -> list[str]:
    changes = []
    if s3.get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled":
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        changes.append("versioning enabled")
    if not _has_default_encryption(s3, bucket):
        s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": True}]
            },
        )
        changes.append("default encryption (aws:kms) enabled")
    if _public_access_block(s3, bucket) != _PUBLIC_ACCESS_BLOCK:
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=_PUBLIC_ACCESS_BLOCK)
        changes.append("public access blocked")
    if not tls_only:
        return changes
    policy = _bucket_policy(s3, bucket)
    if not any(statement.get("Sid") == TLS_ONLY_SID for statement in policy["Statement"]):
        policy["Statement"].append(tls_only_statement(bucket))
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
        changes.append("TLS-only policy added")
    return changes


def _has_default_encryption(s3: Any, bucket: str) -> bool:
    try:
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    except ClientError as error:
        if error_code(error) == "ServerSideEncryptionConfigurationNotFoundError":
            return False
        raise
    return any(rule.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for rule in rules)


def _public_access_block(s3: Any, bucket: str) -> dict[str, bool]:
    try:
        configuration = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    except ClientError as error:
        if error_code(error) == "NoSuchPublicAccessBlockConfiguration":
            return {}
        raise
    return {key: bool(configuration.get(key)) for key in _PUBLIC_ACCESS_BLOCK}


def _bucket_policy(s3: Any, bucket: str) -> dict[str, Any]:
    """The existing policy (its other statements are kept as they are), or an empty one."""
    try:
        policy: dict[str, Any] = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except ClientError as error:
        if error_code(error) == "NoSuchBucketPolicy":
            return {"Version": "2012-10-17", "Statement": []}
        raise
    statements = policy.get("Statement", [])
    policy["Statement"] = statements if isinstance(statements, list) else [statements]
    return policy


def tls_only_statement(bucket: str) -> dict[str, Any]:
    arn = f"arn:aws:s3:::{bucket}"
    return {
        "Sid": TLS_ONLY_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def ensure_lock_table(
    dynamodb: Any, table: str, tags: dict[str, str], *, timeout: float, interval: float
) -> tuple[bool, list[str]]:
    try:
        description = dynamodb.describe_table(TableName=table)["Table"]
    except ClientError as error:
        if error_code(error) != "ResourceNotFoundException":
            raise
        _create_lock_table(dynamodb, table, tags, timeout=timeout, interval=interval)
        return True, [f"table {table} created"]
    _check_lock_schema(table, description)
    if description.get("TableStatus") != "ACTIVE":
        _wait_active(dynamodb, table, timeout=timeout, interval=interval)
    return False, []


def _create_lock_table(dynamodb: Any, table: str, tags: dict[str, str], *, timeout: float, interval: float) -> None:
    try:
        dynamodb.create_table(
            TableName=table,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
            SSESpecification={"Enabled": True},
            DeletionProtectionEnabled=True,
            Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
        )
    except ClientError as error:
        if error_code(error) != "ResourceInUseException":  # a concurrent run created it first
            raise
    _wait_active(dynamodb, table, timeout=timeout, interval=interval)
    dynamodb.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )


def _check_lock_schema(table: str, description: dict[str, Any]) -> None:
    keys = [(key["AttributeName"], key["KeyType"]) for key in description.get("KeySchema", [])]
    types = {
        attribute["AttributeName"]: attribute["AttributeType"]
        for attribute in description.get("AttributeDefinitions", [])
    }
    if keys != [("LockID", "HASH")] or types.get("LockID") != "S":
        raise DeployError(
            f"DynamoDB table {table} exists but its key is {keys}; Terraform locking needs a LockID (string) hash key",
            "set existing_lock_table in the config to a suitable table, or delete this one",
        )


def _wait_active(dynamodb: Any, table: str, *, timeout: float, interval: float) -> None:
    def active() -> bool | None:
        status = dynamodb.describe_table(TableName=table)["Table"].get("TableStatus")
        return True if status == "ACTIVE" else None

    if poll(active, timeout=timeout, interval=interval) is None:
        raise DeployError(f"DynamoDB table {table} did not become ACTIVE within {timeout:g}s", "re-run in a minute")
