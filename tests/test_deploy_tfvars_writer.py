"""Config writes keep comments and other keys, produce real HCL, and are re-validated before the file is replaced."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.config_stage import StagedConfig
from deploy.errors import DeployError
from deploy.tfvars_writer import TfvarsEditError, TfvarsValue, render_value, update_tfvars
from stacks.config import PROJECT_ROOT, load_config, parse_tfvars

SAMPLE = """\
# Header comment stays.
org_name    = "mycompany" # trailing comment stays
/* block
   comment */
repo_allowlist = [
  "github.com/mycompany/*", # one
  // "github.com/mycompany/ignored",
  "github.com/mycompany/infra",
]
extra_tags = {
  org_name = "not the top-level key"
}
use_existing_vpc = false
"""


def test_values_are_replaced_in_place_and_everything_else_is_kept() -> None:
    text = update_tfvars(
        SAMPLE,
        {"org_name": "acme", "repo_allowlist": ["github.com/acme/*"], "use_existing_vpc": True},
    )

    assert text.splitlines()[0] == "# Header comment stays."
    assert 'org_name    = "acme" # trailing comment stays' in text
    assert "/* block\n   comment */" in text
    assert 'repo_allowlist = [\n  "github.com/acme/*",\n]\n' in text
    assert 'org_name = "not the top-level key"' in text
    assert "use_existing_vpc = true\n" in text


def test_missing_keys_are_appended() -> None:
    text = update_tfvars('org_name = "acme"', {"existing_vpc_id": "vpc-0123abcd", "existing_public_subnet_ids": []})

    assert text == 'org_name = "acme"\nexisting_vpc_id = "vpc-0123abcd"\nexisting_public_subnet_ids = []\n'


def test_the_result_parses_back_to_the_values_written(tmp_path: Path) -> None:
    values: dict[str, TfvarsValue] = {
        "org_name": 'quo"te\\back',
        "existing_private_subnet_ids": ["subnet-0123abcd", "subnet-4567ef01"],
        "task_cpu": 2048,
    }
    path = tmp_path / "x.tfvars"
    path.write_text(update_tfvars(SAMPLE, values))

    parsed = parse_tfvars(path)

    assert parsed["org_name"] == 'quo"te\\back'
    assert parsed["existing_private_subnet_ids"] == ["subnet-0123abcd", "subnet-4567ef01"]
    assert parsed["task_cpu"] == 2048
    assert parsed["extra_tags"] == {"org_name": "not the top-level key"}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("org_name = <<EOT\nacme\nEOT\n", "heredoc"),
        ('repo_allowlist = [\n  "a",\n', "unclosed"),
        ('org_name = "acme\n', "unterminated string"),
        ("= 1\n", "expected key = value"),
    ],
)
def test_constructs_it_cannot_rewrite_are_reported(text: str, problem: str) -> None:
    with pytest.raises(TfvarsEditError, match=problem):
        update_tfvars(text, {"org_name": "acme"})


def test_render_value_writes_hcl_literals() -> None:
    assert render_value(True) == "true"
    assert render_value(3) == "3"
    assert render_value([]) == "[]"
    assert render_value(["a"]) == '[\n  "a",\n]'
    assert render_value("x\ny") == '"x\\ny"'


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    target.mkdir()
    for name in ("prod.tfvars", "dev.tfvars"):
        (target / name).write_text((PROJECT_ROOT / "config" / name).read_text())
    return target


def test_staged_changes_reach_the_real_file_only_on_commit(config_dir: Path) -> None:
    real = config_dir / "prod.tfvars"
    original = real.read_text()
    with StagedConfig(config_dir, "prod", {}) as staged:
        config = staged.update({"org_name": "acme", "aws_region": "eu-west-1"}, from_flags=True)
        assert (config.org_name, config.aws_region) == ("acme", "eu-west-1")
        assert real.read_text() == original
        assert staged.commit()

    committed = load_config(real, {})
    assert (committed.org_name, committed.aws_region) == ("acme", "eu-west-1")
    assert real.read_text().startswith("# Production Atlantis")


def test_an_invalid_flag_value_names_the_flag_and_leaves_the_file(config_dir: Path) -> None:
    real = config_dir / "prod.tfvars"
    original = real.read_text()
    with StagedConfig(config_dir, "prod", {}) as staged, pytest.raises(DeployError) as raised:
        staged.update({"certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/nope"}, from_flags=True)

    assert raised.value.problem.startswith("--certificate-arn:")
    assert real.read_text() == original


def test_a_file_edited_meanwhile_is_not_overwritten(config_dir: Path) -> None:
    real = config_dir / "prod.tfvars"
    with StagedConfig(config_dir, "prod", {}) as staged:
        staged.update({"org_name": "acme"})
        real.write_text(real.read_text() + "\n# edited by someone else\n")
        with pytest.raises(DeployError, match="changed while the tool was running"):
            staged.commit()


def test_a_missing_environment_lists_the_ones_that_exist(config_dir: Path) -> None:
    with pytest.raises(DeployError) as raised:
        StagedConfig(config_dir, "staging", {})

    assert "staging.tfvars not found" in raised.value.problem
    assert "dev, prod" in raised.value.hint
