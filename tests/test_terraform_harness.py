"""The terraform tier's harness without terraform: how it finds the mirror, what CLI config it writes, how it
reports a failure in one line, and how it leaves emulator gaps out of an applied copy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.terraform.harness import (
    PROVIDER,
    StackCopy,
    TerraformError,
    cli_config_text,
    error_lines,
    find_mirror,
    find_toolchain,
    planned_actions,
    validation_errors,
    without_resource_types,
)


def provider_dir(root: Path) -> Path:
    return root / PROVIDER


def test_finds_the_newest_mirrored_version_in_either_layout(tmp_path: Path) -> None:
    unpacked = provider_dir(tmp_path / "opt" / "plugins") / "5.100.0" / "linux_amd64"
    unpacked.mkdir(parents=True)
    (unpacked / "terraform-provider-aws_v5.100.0_x5").write_text("binary")
    (provider_dir(tmp_path / "opt" / "plugins") / "terraform-provider-aws_5.99.1_linux_amd64.zip").write_text("zip")
    (provider_dir(tmp_path / "opt" / "plugins") / "6.0.0" / "darwin_arm64").mkdir(parents=True)  # other platform

    assert find_mirror([tmp_path / "nowhere", tmp_path / "opt"]) == (tmp_path / "opt" / "plugins", "5.100.0")
    assert find_mirror([tmp_path / "nowhere"]) is None


def test_cli_config_serves_aws_only_from_the_mirror(tmp_path: Path) -> None:
    text = cli_config_text(tmp_path / "mirror")

    assert f'path    = "{tmp_path / "mirror"}"' in text
    assert f'include = ["{PROVIDER}"]' in text and f'exclude = ["{PROVIDER}"]' in text


def test_without_terraform_or_mirror_the_reason_is_one_line(tmp_path: Path) -> None:
    assert find_toolchain(tmp_path, {"PATH": str(tmp_path)}) == "no terraform binary on PATH"
    binary = tmp_path / "bin" / "terraform"
    binary.parent.mkdir()
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    reason = find_toolchain(tmp_path, {"PATH": str(binary.parent)}, roots=[tmp_path / "empty"])
    assert isinstance(reason, str) and "\n" not in reason and reason.startswith("no filesystem mirror with")


def test_an_unsupported_argument_is_one_line_naming_resource_and_argument() -> None:
    diagnostics = {
        "valid": False,
        "diagnostics": [
            {
                "severity": "error",
                "summary": "Unsupported argument",
                "detail": 'An argument named "region" is not expected here.',
                "snippet": {"context": 'resource "aws_s3_bucket" "state_bucket_1234"'},
            }
        ],
    }

    assert validation_errors(diagnostics, "5.100.0") == [
        "resource aws_s3_bucket.state_bucket_1234: argument region is not in hashicorp/aws 5.100.0 "
        "(an argument of the 6.x provider the bindings target?)"
    ]


def test_error_lines_name_the_resource() -> None:
    output = (
        "\u2577\n\u2502 Error: creating EFS Backup Policy: timeout\n\u2502 \n"
        "\u2502   with aws_efs_backup_policy.storage_backup,\n\u2502   on cdk.tf.json line 610\n\u2575\n"
    )
    assert error_lines(output) == ["aws_efs_backup_policy.storage_backup: creating EFS Backup Policy: timeout"]


def ui_message(**fields: object) -> str:
    """One line of terraform's machine-readable UI (``-json``)."""
    return json.dumps({"@level": "info", "@module": "terraform.ui", **fields})


def test_json_errors_are_one_line_each_naming_the_resource() -> None:
    output = "\n".join(
        [
            ui_message(type="version", terraform="1.11.4"),
            ui_message(
                **{"@level": "error", "@message": "Error: creating EFS Backup Policy: timeout"},
                type="diagnostic",
                diagnostic={"severity": "error", "summary": "creating EFS Backup Policy: timeout",
                            "address": "aws_efs_backup_policy.storage_backup"},
            ),
            ui_message(**{"@level": "error", "@message": "Error: no valid credential sources"}, type="diagnostic"),
        ]
    )  # fmt: skip
    assert error_lines(output) == [
        "aws_efs_backup_policy.storage_backup: creating EFS Backup Policy: timeout",
        "Error: no valid credential sources",
    ]


def test_planned_actions_are_read_from_the_plans_json_messages() -> None:
    def change(address: str, action: str) -> str:
        return ui_message(type="planned_change", change={"resource": {"addr": address}, "action": action})

    output = "\n".join(
        [
            ui_message(type="version", terraform="1.11.4"),
            change("aws_vpc.main", "create"),
            change('aws_subnet.private["a"]', "create"),
            change("data.aws_iam_policy_document.task", "read"),
            change("aws_ecs_service.service", "update"),
            ui_message(type="change_summary", changes={"add": 2, "change": 1}),
        ]
    )
    assert planned_actions(output) == [
        ("aws_vpc.main", "create"),
        ('aws_subnet.private["a"]', "create"),
        ("aws_ecs_service.service", "update"),
    ]


def stack_with(tmp_path: Path, document: dict[str, object]) -> StackCopy:
    (tmp_path / "cdk.tf.json").write_text(json.dumps(document))
    return StackCopy(tmp_path, document)


def test_gaps_are_left_out_and_references_get_their_stand_ins(tmp_path: Path) -> None:
    stack = stack_with(
        tmp_path,
        {
            "resource": {
                "aws_elasticache_replication_group": {"redis": {"description": "x"}},
                "aws_ecs_task_definition": {
                    "task": {
                        "container_definitions": '[{"value": "${aws_elasticache_replication_group.redis.primary_endpoint_address}"}]',
                        "depends_on": ["aws_elasticache_replication_group.redis"],
                        "family": "atlantis",
                    }
                },
            }
        },
    )

    override = without_resource_types(
        stack, {"aws_elasticache_replication_group": {"primary_endpoint_address": "redis.emulator.invalid"}}
    )

    assert override == {
        "resource": {
            "aws_elasticache_replication_group": {"redis": {"count": 0}},
            "aws_ecs_task_definition": {"task": {"container_definitions": '[{"value": "redis.emulator.invalid"}]'}},
        }
    }
    with pytest.raises(TerraformError, match=r"no stand-in for aws_elasticache_replication_group.primary_endpoint"):
        without_resource_types(stack, {"aws_elasticache_replication_group": {}})
