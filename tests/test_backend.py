"""State: S3 backend with DynamoDB locking per stack, and a bootstrap stack that creates a safe bucket and table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import only


def bootstrap(synth_outdir: Path) -> dict[str, Any]:
    return json.loads((synth_outdir / "stacks/mycompany-state-backend-ap-northeast-2/cdk.tf.json").read_text())


def test_stacks_keep_state_in_s3_with_dynamodb_locking(synthesized: dict[str, Any]) -> None:
    backend = synthesized["prod"]["terraform"]["backend"]["s3"]
    assert backend == {
        "bucket": "mycompany-atlantis-tfstate-ap-northeast-2",
        "key": "prod-atlantis-stack/terraform.tfstate",
        "region": "ap-northeast-2",
        "encrypt": True,
        "dynamodb_table": "mycompany-atlantis-tf-lock",
    }
    assert synthesized["dev"]["terraform"]["backend"]["s3"]["key"] == "dev-atlantis-stack/terraform.tfstate"


def test_existing_bucket_and_table_are_used_as_given(synthesized: dict[str, Any]) -> None:
    backend = synthesized["prod_existing_vpc"]["terraform"]["backend"]["s3"]
    assert (backend["bucket"], backend["dynamodb_table"]) == ("acme-terraform-state", "acme-terraform-locks")


def test_bootstrap_stack_is_local_state_and_secure(synth_outdir: Path) -> None:
    stack = bootstrap(synth_outdir)
    assert "s3" not in stack.get("terraform", {}).get("backend", {})
    bucket = only(stack, "aws_s3_bucket")
    assert bucket["bucket"] == "mycompany-atlantis-tfstate-ap-northeast-2"
    assert only(stack, "aws_s3_bucket_versioning")["versioning_configuration"]["status"] == "Enabled"
    encryption = only(stack, "aws_s3_bucket_server_side_encryption_configuration")["rule"][0]
    assert encryption["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    block = only(stack, "aws_s3_bucket_public_access_block")
    assert all(
        block[key]
        for key in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    [statement] = json.loads(only(stack, "aws_s3_bucket_policy")["policy"])["Statement"]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    table = only(stack, "aws_dynamodb_table")
    assert table["name"] == "mycompany-atlantis-tf-lock"
    assert (table["billing_mode"], table["hash_key"]) == ("PAY_PER_REQUEST", "LockID")
    assert table["attribute"] == [{"name": "LockID", "type": "S"}]


def test_one_bootstrap_stack_per_account_region_and_none_for_existing_backends(synth_outdir: Path) -> None:
    stacks = sorted(path.name for path in (synth_outdir / "stacks").iterdir())
    assert [name for name in stacks if "state-backend" in name] == ["mycompany-state-backend-ap-northeast-2"]
