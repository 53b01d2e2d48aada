"""EFS: encrypted, one mount target per private subnet, an access point for the atlantis user, TLS-only policy."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import only, resources


def test_file_system_is_encrypted_and_mounted_in_each_private_subnet(synthesized: dict[str, Any]) -> None:
    stack = synthesized["prod"]
    assert only(stack, "aws_efs_file_system")["encrypted"] is True
    targets = resources(stack, "aws_efs_mount_target")
    assert len(targets) == 2
    assert all("aws_subnet.network_private" in target["subnet_id"] for target in targets)
    assert all(len(target["security_groups"]) == 1 for target in targets)


def test_access_point_runs_as_the_atlantis_user(synthesized: dict[str, Any]) -> None:
    access_point = only(synthesized["prod"], "aws_efs_access_point")
    assert access_point["posix_user"] == {"uid": 100, "gid": 1000}
    root = access_point["root_directory"]
    assert root["path"] == "/home/atlantis"
    assert root["creation_info"] == {"owner_uid": 100, "owner_gid": 1000, "permissions": "0750"}


def test_policy_denies_plain_nfs_and_grants_only_the_task_role(synthesized: dict[str, Any]) -> None:
    policy = json.loads(only(synthesized["prod"], "aws_efs_file_system_policy")["policy"])
    deny, allow = policy["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert allow["Effect"] == "Allow"
    assert "aws_iam_role.iam_task-role" in allow["Principal"]["AWS"]
    assert sorted(allow["Action"]) == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    assert "aws_efs_access_point" in allow["Condition"]["StringEquals"]["elasticfilesystem:AccessPointArn"]


def test_backups_are_on_in_prod_only(synthesized: dict[str, Any]) -> None:
    assert only(synthesized["prod"], "aws_efs_backup_policy")["backup_policy"] == {"status": "ENABLED"}
    assert resources(synthesized["dev"], "aws_efs_backup_policy") == []
