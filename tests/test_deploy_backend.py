"""Steps 3 and 4 against moto: the state backend and the secret are created once, then reused without change."""

from __future__ import annotations

import json

import pytest
from botocore.stub import Stubber

from deploy.backend import ensure_bucket
from deploy.errors import DeployError
from tests.deploy_fakes.aws import RecordingMotoServer
from tests.deploy_fakes.github_api import FakeGitHub
from tests.deploy_fakes.helpers import (
    ACCOUNT_ID,
    REGION,
    DeployPaths,
    aws_client,
    fake_github_token,
    run_cli,
)

pytest_plugins = ["tests.deploy_fakes.fixtures"]

BUCKET = "acme-atlantis-tfstate-ap-northeast-2"
TABLE = "acme-atlantis-tf-lock"
SECRET = "prod-atlantis-secrets"


@pytest.fixture
def token(fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> str:
    value = fake_github_token()
    fake_github.add_token(value, "acme-bot")
    fake_github.add_repositories("acme", "infra")
    monkeypatch.setenv("ATLANTIS_GITHUB_TOKEN", value)
    return value


def no_apply(paths: DeployPaths, *extra: str) -> list[str]:
    paths.synthesized_stub(BUCKET)
    return ["--org", "acme", "--no-apply", "--yes", "--skip-synth", "--config-dir", str(paths.config_dir), *extra]


def secret_json() -> dict[str, str]:
    return json.loads(aws_client("secretsmanager").get_secret_value(SecretId=SECRET)["SecretString"])


def test_first_run_creates_a_safe_bucket_a_lock_table_and_the_secret(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, token: str
) -> None:
    result = run_cli(*no_apply(deploy_paths))

    assert result.code == 0, result.err
    changed = {operation.name for operation in moto_aws.log.changes()}
    assert {"CreateTable", "CreateSecret", f"PUT /{BUCKET}"} <= changed
    s3 = aws_client("s3")
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert all(s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"].values())
    [statement] = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    table = aws_client("dynamodb").describe_table(TableName=TABLE)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "LockID", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "LockID", "AttributeType": "S"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    values = secret_json()
    assert values["github_token"] == token
    assert len(values["webhook_secret"]) == 64 and len(values["web_password"]) == 64
    assert values["webhook_secret"] != values["web_password"]
    assert token not in result.out + result.err
    assert values["webhook_secret"] not in result.out + result.err


def test_second_run_changes_nothing_and_keeps_the_webhook_secret(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, token: str
) -> None:
    assert run_cli(*no_apply(deploy_paths)).code == 0
    first_values = secret_json()
    first_version = aws_client("secretsmanager").describe_secret(SecretId=SECRET)["VersionIdsToStages"]
    config_after_first = deploy_paths.prod.read_text()
    moto_aws.log.clear()

    second = run_cli(*no_apply(deploy_paths))

    assert second.code == 0, second.err
    assert moto_aws.log.changes() == []
    assert secret_json() == first_values
    assert aws_client("secretsmanager").describe_secret(SecretId=SECRET)["VersionIdsToStages"] == first_version
    assert deploy_paths.prod.read_text() == config_after_first
    assert "already in place, unchanged" in second.out
    assert f"secret {SECRET}: unchanged" in second.out


def test_a_new_token_is_merged_without_dropping_other_keys(
    moto_aws: RecordingMotoServer,
    deploy_paths: DeployPaths,
    token: str,
    fake_github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    aws_client("secretsmanager").create_secret(
        Name=SECRET, SecretString=json.dumps({"github_token": token, "custom_key": "kept-by-the-tool"})
    )
    rotated = fake_github_token()
    fake_github.add_token(rotated, "acme-bot")
    monkeypatch.setenv("ATLANTIS_GITHUB_TOKEN", rotated)

    result = run_cli(*no_apply(deploy_paths))

    assert result.code == 0, result.err
    values = secret_json()
    assert values["github_token"] == rotated
    assert values["custom_key"] == "kept-by-the-tool"
    assert {"webhook_secret", "web_password"} <= set(values)
    assert "updated keys github_token, web_password, webhook_secret" in result.out


def test_a_rerun_without_a_token_uses_the_stored_one(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli(*no_apply(deploy_paths)).code == 0
    monkeypatch.delenv("ATLANTIS_GITHUB_TOKEN")

    result = run_cli(*no_apply(deploy_paths))

    assert result.code == 0, result.err
    assert f"the one stored in {SECRET}" in result.out
    assert secret_json()["github_token"] == token


def test_an_existing_bucket_of_this_account_gets_the_missing_settings(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, token: str
) -> None:
    s3 = aws_client("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_policy(
        Bucket=BUCKET,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "ExistingStatement",
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{BUCKET}/*",
                    }
                ],
            }
        ),
    )

    result = run_cli(*no_apply(deploy_paths))

    assert result.code == 0, result.err
    assert f"bucket {BUCKET} created" not in result.out
    assert f"bucket {BUCKET}: versioning enabled" in result.out
    sids = [statement["Sid"] for statement in json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]]
    assert sids == ["ExistingStatement", "DenyInsecureTransport"]


def test_a_lock_table_with_another_key_is_refused(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, token: str
) -> None:
    aws_client("dynamodb").create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )

    result = run_cli(*no_apply(deploy_paths))

    assert result.code == 1
    assert result.err.startswith("error: [3/8] Bootstrap state backend failed after")
    assert "Terraform locking needs a LockID (string) hash key" in result.err
    assert "existing_lock_table" in result.err
    assert "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_a_bucket_in_another_region_is_refused(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, token: str
) -> None:
    aws_client("s3", "us-west-2").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-west-2"}
    )

    result = run_cli(*no_apply(deploy_paths))

    assert result.code == 1
    assert f"state bucket {BUCKET} is in us-west-2, but aws_region is {REGION}" in result.err


def test_a_bucket_owned_by_another_account_is_refused() -> None:
    # moto serves any account's bucket to anyone, so S3's 403 for a foreign ExpectedBucketOwner is stubbed here.
    s3 = aws_client("s3")
    with Stubber(s3) as stub:
        stub.add_client_error("head_bucket", service_error_code="403", http_status_code=403)
        with pytest.raises(DeployError, match="belongs to another AWS account"):
            ensure_bucket(s3, BUCKET, REGION, ACCOUNT_ID, {})


def test_a_bucket_name_taken_at_creation_is_refused() -> None:
    s3 = aws_client("s3")
    with Stubber(s3) as stub:
        stub.add_client_error("head_bucket", service_error_code="404", http_status_code=404)
        stub.add_client_error("create_bucket", service_error_code="BucketAlreadyExists", http_status_code=409)
        with pytest.raises(DeployError, match="taken by another AWS account"):
            ensure_bucket(s3, BUCKET, REGION, ACCOUNT_ID, {})


def test_a_secret_scheduled_for_deletion_is_restored_with_its_keys(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, token: str
) -> None:
    secretsmanager = aws_client("secretsmanager")
    secretsmanager.create_secret(
        Name=SECRET, SecretString=json.dumps({"github_token": token, "webhook_secret": "k" * 64})
    )
    secretsmanager.delete_secret(SecretId=SECRET, RecoveryWindowInDays=7)

    result = run_cli(*no_apply(deploy_paths))

    assert result.code == 0, result.err
    assert "scheduled for deletion, will be restored" in result.out
    assert "DeletedDate" not in secretsmanager.describe_secret(SecretId=SECRET)
    values = secret_json()
    assert values["webhook_secret"] == "k" * 64  # the old webhook secret survives, so GitHub's hooks still match
    assert values["github_token"] == token and "web_password" in values
