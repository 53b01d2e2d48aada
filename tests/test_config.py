"""Configuration: every bad input is one clear line naming the file and key; exit 2 from main.py, nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from stacks.config import AtlantisConfig, ConfigError, load_all, load_config
from tests.conftest import CONFIG_DIR, FAKE_ACCOUNT, REPO, render_tfvars

PROD = CONFIG_DIR / "prod.tfvars"


def write(tmp_path: Path, overrides: dict[str, str], name: str = "prod") -> Path:
    path = tmp_path / f"{name}.tfvars"
    path.write_text(render_tfvars(PROD, overrides))
    return path


def error_for(tmp_path: Path, overrides: dict[str, str]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, overrides), environ={})
    return caught.value


def test_shipped_configs_load_with_the_seed_values() -> None:
    prod, dev = load_config(PROD, environ={}), load_config(CONFIG_DIR / "dev.tfvars", environ={})
    assert (prod.org_name, prod.aws_region, prod.stack_name, prod.secret_name) == (
        "mycompany",
        "ap-northeast-2",
        "prod-atlantis-stack",
        "prod-atlantis-secrets",
    )
    assert prod.repo_allowlist == ("github.com/mycompany/*",)
    # Environment-dependent defaults: prod pays for safety, dev for economy.
    assert (prod.single_nat_gateway, prod.deletion_protection, prod.enable_efs_backup) == (False, True, True)
    assert (dev.single_nat_gateway, dev.deletion_protection, dev.enable_efs_backup) == (True, False, False)


def test_stackkit_environment_variables_override_the_file() -> None:
    environ = {"TF_STACK_REGION": "eu-west-1", "TF_STACK_NAME": "atlantis-prod", "TF_VERSION": "1.9.8"}
    config = load_config(PROD, environ=environ)
    assert (config.aws_region, config.stack_name, config.terraform_version) == ("eu-west-1", "atlantis-prod", "1.9.8")


def test_overridden_values_are_validated_too() -> None:
    with pytest.raises(ConfigError, match="aws_region"):
        load_config(PROD, environ={"TF_STACK_REGION": "mars-north-1"})


def test_stack_name_override_needs_a_single_environment() -> None:
    with pytest.raises(ConfigError, match="TF_STACK_NAME"):
        load_all(CONFIG_DIR, environ={"TF_STACK_NAME": "x"})
    [config] = load_all(CONFIG_DIR, environ={"TF_STACK_NAME": "x", "STACKKIT_ENVIRONMENTS": "dev"})
    assert config.stack_name == "x"


BAD_INPUTS = [
    # (overrides, key named in the message, words of the message)
    ({"surprise": '"x"'}, "surprise", "unknown key"),
    ({"enable_ai_reviewer": '"yes"'}, "enable_ai_reviewer", "expected true or false"),
    ({"task_cpu": '"1024"'}, "task_cpu", "expected a whole number"),
    ({"repo_allowlist": '"github.com/mycompany/*"'}, "repo_allowlist", "expected a list of strings"),
    ({"aws_region": '"ap-northeast-9"'}, "aws_region", "not an AWS region"),
    ({"vpc_cidr": '"10.0.0.0/33"'}, "vpc_cidr", "not a CIDR block"),
    ({"vpc_cidr": '"10.0.0.1/16"'}, "vpc_cidr", "not a CIDR block"),
    ({"allowed_cidrs": '["0.0.0.0/0", "office"]'}, "allowed_cidrs", "CIDR"),
    ({"org_name": '"-mycompany"'}, "org_name", "not a GitHub organization name"),
    ({"org_name": '"my_company"'}, "org_name", "not a GitHub organization name"),
    ({"repo_allowlist": "[]"}, "repo_allowlist", "is empty"),
    ({"use_existing_vpc": "true"}, "existing_vpc_id", "use_existing_vpc = true"),
    (
        {
            "use_existing_vpc": "true",
            "existing_vpc_id": '"vpc-0123456789abcdef0"',
            "existing_public_subnet_ids": '["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]',
            "existing_private_subnet_ids": '["subnet-0bbbbbbbbbbbbbbb1"]',
        },
        "existing_private_subnet_ids",
        "at least two private subnets",
    ),
    ({"use_existing_vpc": "true", "existing_vpc_id": '"vpc-123"'}, "existing_vpc_id", "not a VPC id"),
    ({"existing_private_subnet_ids": '["subnet-xyz"]'}, "existing_private_subnet_ids", "subnet id"),
    ({"existing_vpc_id": '"vpc-0123456789abcdef0"'}, "existing_vpc_id", "use_existing_vpc = false"),
    ({"custom_domain": '"atlantis_example"'}, "custom_domain", "not a hostname"),
    (
        {"certificate_arn": '"arn:aws:acm:us-east-1:123456789012:certificate/0f4d2f1e-1111-2222-3333-444455556666"'},
        "certificate_arn",
        "not an ACM certificate ARN in ap-northeast-2",
    ),
    ({"certificate_arn": '"arn:aws:iam::123456789012:server-certificate/x"'}, "certificate_arn", "ACM"),
    ({"atlantis_image": '"ghcr.io/runatlantis/atlantis"'}, "atlantis_image", "no pinned tag"),
    ({"atlantis_image": '"ghcr.io/runatlantis/atlantis:latest"'}, "atlantis_image", "no pinned tag"),
    ({"existing_state_bucket": '"My_Bucket"'}, "existing_state_bucket", "not a valid S3 bucket name"),
    ({"existing_lock_table": '"ab"'}, "existing_lock_table", "not a DynamoDB table name"),
    ({"terraform_version": '"latest"'}, "terraform_version", "not a Terraform version"),
    ({"task_memory": "1000"}, "task_memory", "does not fit task_cpu 1024"),
    ({"log_retention_days": "10"}, "log_retention_days", "not a CloudWatch retention"),
    ({"alarm_emails": '["ops-at-example.com"]'}, "alarm_emails", "email"),
    ({"ai_provider": '"claude"'}, "ai_provider", '"openai" or "bedrock"'),
    ({"route53_zone_name": '"example.com"'}, "custom_domain", "route53_zone_name is set"),
    ({"custom_domain": '"atlantis.other.org"', "route53_zone_name": '"example.com"'}, "custom_domain", "not inside"),
    ({"task_assume_role_arns": '["arn:aws:iam::123:role/x"]'}, "task_assume_role_arns", "IAM role ARN"),
    ({"environment": '"Prod"'}, "environment", "lowercase"),
    ({"secret_name": '"bad secret"'}, "secret_name", "Secrets Manager name"),
    ({"stack_name": '"9stack"'}, "stack_name", "not valid"),
    ({"git_username": '"bad user"'}, "git_username", "GitHub user name"),
    ({"org_name": "var.org"}, "org_name", "expressions are not allowed"),
    ({"kms_key_mode": '"none"'}, "kms_key_mode", '"customer" or "aws"'),
    ({"auth_mode": '"none"'}, "auth_mode", '"basic" or "oidc" or "cognito"'),
    ({"auth_mode": '"oidc"'}, "auth_mode", "needs HTTPS"),
    (
        {
            "auth_mode": '"oidc"',
            "certificate_arn": '"arn:aws:acm:ap-northeast-2:123456789012:certificate/0f4d2f1e-1111-2222-3333-444455556666"',
        },
        "oidc_issuer",
        "not an https URL",
    ),
    (
        {
            "auth_mode": '"cognito"',
            "certificate_arn": '"arn:aws:acm:ap-northeast-2:123456789012:certificate/0f4d2f1e-1111-2222-3333-444455556666"',
        },
        "cognito_user_pool_arn",
        "Cognito user pool ARN",
    ),
    ({"restrict_webhooks_to_github": "true", "enable_waf": "false"}, "restrict_webhooks_to_github", "needs enable_waf"),
    ({"github_webhook_cidrs": '["github"]'}, "github_webhook_cidrs", "CIDR"),
    ({"waf_rate_limit": "10"}, "waf_rate_limit", "expected 100 or more"),
    ({"desired_count": "2"}, "desired_count", "BoltDB allows a single Atlantis process"),
    ({"autoscaling_max_count": "3"}, "autoscaling_max_count", "BoltDB allows a single Atlantis process"),
    (
        {"locking_db": '"redis"', "desired_count": "3", "autoscaling_max_count": "2"},
        "autoscaling_max_count",
        "below desired_count",
    ),
    ({"locking_db": '"postgres"'}, "locking_db", '"boltdb" or "redis"'),
    ({"desired_count": "0"}, "desired_count", "expected 1-10"),
    ({"cpu_architecture": '"arm"'}, "cpu_architecture", '"ARM64" or "X86_64"'),
    ({"use_fargate_spot": "true", "cpu_architecture": '"ARM64"'}, "cpu_architecture", "Fargate Spot runs X86_64"),
    ({"github_app_id": '"my-app"'}, "github_app_id", "not a GitHub App id"),
    ({"github_app_id": '"123456"', "enable_ai_reviewer": "true"}, "enable_ai_reviewer", "GitHub App mode"),
    ({"enable_infracost": "true"}, "atlantis_image", "no infracost binary"),
    ({"availability_zones": '["us-east-1a", "us-east-1b"]'}, "availability_zones", "zone name in ap-northeast-2"),
    ({"availability_zones": '["ap-northeast-2a"]'}, "availability_zones", "at least two"),
    (
        {"ai_provider": '"bedrock"', "ai_model": '"gpt-4o"', "enable_ai_reviewer": "true"},
        "ai_model",
        "Bedrock model id",
    ),
    ({"ai_max_concurrency": "0"}, "ai_max_concurrency", "expected 1-50"),
    ({"access_log_retention_days": "0"}, "access_log_retention_days", "expected 1-3650"),
    ({"cost_profile": '"cheap"'}, "cost_profile", '"standard" or "budget"'),
    ({"nat_type": '"gateways"'}, "nat_type", '"gateway" or "instance"'),
    ({"nat_instance_type": '"t3.micro"'}, "nat_instance_type", "t4g.nano, t4g.micro, t4g.small, t4g.medium"),
    ({"enable_container_insights": '"yes"'}, "enable_container_insights", "true or false"),
    ({"flow_log_destination": '"kinesis"'}, "flow_log_destination", '"cloudwatch" or "s3"'),
    ({"flow_log_retention_days": "45"}, "flow_log_retention_days", "not a CloudWatch retention"),
    ({"waf_log_retention_days": "0"}, "waf_log_retention_days", "not a CloudWatch retention"),
]


@pytest.mark.parametrize(
    ("overrides", "key", "words"), BAD_INPUTS, ids=[case[1] + "-" + str(i) for i, case in enumerate(BAD_INPUTS)]
)
def test_bad_input_is_one_line_naming_file_and_key(
    tmp_path: Path, overrides: dict[str, str], key: str, words: str
) -> None:
    error = error_for(tmp_path, overrides)
    message = str(error)
    assert error.key == key
    assert "\n" not in message
    assert message.startswith(f"{tmp_path / 'prod.tfvars'}: {key}: ") or message.startswith(f"prod.tfvars: {key}")
    assert words in message
    assert "expected" in message


def test_at_least_25_kinds_of_bad_input_are_covered() -> None:
    assert len(BAD_INPUTS) >= 25 and len({case[1] for case in BAD_INPUTS}) >= 25


def test_required_key_missing(tmp_path: Path) -> None:
    path = tmp_path / "prod.tfvars"
    path.write_text("\n".join(line for line in PROD.read_text().splitlines() if not line.startswith("secret_name")))
    with pytest.raises(ConfigError, match="secret_name: missing"):
        load_config(path, environ={})


def test_hcl_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "prod.tfvars"
    path.write_text('org_name = "mycompany"\nenvironment = \n')
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert f"{path}:2: HCL line 2" in str(caught.value)


def run_main(config_dir: Path, outdir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "STACKKIT_", "CDKTF_"))}
    environment.update(STACKKIT_CONFIG_DIR=str(config_dir), STACKKIT_OUTDIR=str(outdir), **env)
    return subprocess.run(
        [sys.executable, "main.py"], cwd=REPO, env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "overrides",
    [{"aws_region": '"nowhere-1"'}, {"unknown_key": "1"}, {"repo_allowlist": "[]"}],
    ids=["region", "unknown-key", "empty-allowlist"],
)
def test_main_exits_2_with_one_line_and_writes_nothing(tmp_path: Path, overrides: dict[str, str]) -> None:
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    write(config_dir, overrides)
    outdir = tmp_path / "cdktf.out"
    result = run_main(config_dir, outdir)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr + result.stdout
    assert not outdir.exists()
    assert not list(tmp_path.glob("cdktf.out*"))


def test_main_exits_2_on_hcl_syntax_error(tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "prod.tfvars").write_text('org_name = "x"\nrepo_allowlist = [\n')
    result = run_main(config_dir, tmp_path / "cdktf.out")
    assert result.returncode == 2 and "prod.tfvars:" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "cdktf.out").exists()


def test_fake_account_constant_is_not_a_real_looking_secret() -> None:
    assert FAKE_ACCOUNT == "123456789012"  # documentation account id used across tests


def test_example_documents_every_key_and_is_itself_valid() -> None:
    from stacks.config import parse_tfvars
    from tests.conftest import REPO

    example = REPO / "terraform.tfvars.example"
    documented = set(parse_tfvars(example))
    known = {field.name for field in fields(AtlantisConfig)} - {"source"}
    assert documented == known
    assert load_config(example, environ={}).stack_name == "prod-atlantis-stack"


@pytest.mark.parametrize(
    ("overrides", "key", "words"), BAD_INPUTS, ids=[f"{case[1]}-{i}" for i, case in enumerate(BAD_INPUTS)]
)
def test_main_reports_every_bad_input_in_one_line_and_writes_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    overrides: dict[str, str],
    key: str,
    words: str,
) -> None:
    import main

    config_dir = tmp_path / "config"
    config_dir.mkdir()
    write(config_dir, overrides)
    for name in [n for n in os.environ if n.startswith(("TF_", "STACKKIT_", "CDKTF_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("STACKKIT_CONFIG_DIR", str(config_dir))
    monkeypatch.setenv("STACKKIT_OUTDIR", str(tmp_path / "cdktf.out"))
    assert main.main() == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("error: ") and f": {key}: " in captured.err
    assert not list(tmp_path.glob("cdktf.out*"))
