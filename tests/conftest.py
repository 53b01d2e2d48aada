"""Shared fixtures: scenario configs, synthesized once and shared across workers and runs (tests/synth_cache.py), parsed
into dicts."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from costs.readme import BUDGET_FILL_INS
from stacks.config import AtlantisConfig, load_config
from tests import synth_cache

REPO = Path(__file__).resolve().parent.parent
CONFIG_DIR = REPO / "config"
BUDGET_PRESET = REPO / "examples" / "budget.tfvars"

FAKE_ACCOUNT = "123456789012"
FAKE_CERT_ARN = f"arn:aws:acm:ap-northeast-2:{FAKE_ACCOUNT}:certificate/0f4d2f1e-1111-2222-3333-444455556666"

# Each scenario is config/prod.tfvars plus these overrides. All are production environments (environment = "prod")
# in stacks of their own, so each gets prod's defaults (HCL literals), or a shipped file as it is ("__file__": a
# config/ name, or a path relative to the repository).
SCENARIOS: dict[str, dict[str, str]] = {
    "prod": {},
    "dev": {"__file__": "dev"},
    "prod_existing_vpc": {
        "stack_name": '"existing-vpc-stack"',
        "secret_name": '"prodvpc-atlantis-secrets"',
        "use_existing_vpc": "true",
        "existing_vpc_id": '"vpc-0123456789abcdef0"',
        "existing_public_subnet_ids": '["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]',
        "existing_private_subnet_ids": '["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]',
        "existing_state_bucket": '"acme-terraform-state"',
        "existing_lock_table": '"acme-terraform-locks"',
    },
    "prod_route53": {
        "stack_name": '"route53-stack"',
        "secret_name": '"prodr53-atlantis-secrets"',
        "custom_domain": '"atlantis.example.com"',
        "route53_zone_name": '"example.com"',
    },
    "prod_full": {
        "stack_name": '"full-stack"',
        "secret_name": '"prodfull-atlantis-secrets"',
        "custom_domain": '"atlantis.example.com"',
        "certificate_arn": f'"{FAKE_CERT_ARN}"',
        "alarm_emails": '["ops@example.com"]',
        "enable_slack_notifications": "true",
        "enable_ai_reviewer": "true",
        "enable_infracost": "true",
        "atlantis_image": f'"{FAKE_ACCOUNT}.dkr.ecr.ap-northeast-2.amazonaws.com/atlantis-infracost:v0.47.1-infracost0.10.41"',
        "task_policy_arns": '["arn:aws:iam::aws:policy/ReadOnlyAccess"]',
        "task_assume_role_arns": f'["arn:aws:iam::{FAKE_ACCOUNT}:role/terraform-apply"]',
        "flow_log_retention_days": "731",
        "waf_log_retention_days": "400",
    },
    "prod_ha": {
        "stack_name": '"ha-stack"',
        "secret_name": '"ha-atlantis-secrets"',
        "locking_db": '"redis"',
        "desired_count": "2",
        "autoscaling_max_count": "4",
        "enable_ai_reviewer": "true",
        "ai_provider": '"bedrock"',
    },
    "prod_oidc": {
        "stack_name": '"oidc-stack"',
        "secret_name": '"oidc-atlantis-secrets"',
        "custom_domain": '"atlantis.example.com"',
        "certificate_arn": f'"{FAKE_CERT_ARN}"',
        "auth_mode": '"oidc"',
        "oidc_issuer": '"https://login.example.com"',
        "oidc_authorization_endpoint": '"https://login.example.com/authorize"',
        "oidc_token_endpoint": '"https://login.example.com/token"',
        "oidc_user_info_endpoint": '"https://login.example.com/userinfo"',
        "oidc_client_id": '"atlantis-ui"',
        "restrict_webhooks_to_github": "true",
        "allowed_cidrs": '["203.0.113.0/24"]',
    },
    # The budget preset as shipped, with what a team fills in (a certificate, an alarm address), as the README prices it.
    "budget": {
        "__file__": "examples/budget.tfvars",
        "stack_name": '"budget-stack"',
        "secret_name": '"budget-atlantis-secrets"',
        **BUDGET_FILL_INS,
    },
    "prod_full_bedrock": {
        "stack_name": '"full-bedrock-stack"',
        "secret_name": '"prodbedrock-atlantis-secrets"',
        "custom_domain": '"atlantis.example.com"',
        "route53_zone_name": '"example.com"',
        "alarm_emails": '["ops@example.com", "oncall@example.com"]',
        "enable_slack_notifications": "true",
        "enable_ai_reviewer": "true",
        "ai_provider": '"bedrock"',
        "enable_infracost": "true",
        "atlantis_image": f'"{FAKE_ACCOUNT}.dkr.ecr.ap-northeast-2.amazonaws.com/atlantis-infracost:v0.47.1-infracost0.10.41"',
    },
    "prod_cognito": {
        "stack_name": '"cognito-stack"',
        "secret_name": '"cognito-atlantis-secrets"',
        "custom_domain": '"atlantis.example.com"',
        "route53_zone_name": '"example.com"',
        "auth_mode": '"cognito"',
        "cognito_user_pool_arn": f'"arn:aws:cognito-idp:ap-northeast-2:{FAKE_ACCOUNT}:userpool/ap-northeast-2_AbCdEf123"',
        "cognito_user_pool_client_id": '"4example0client0id"',
        "cognito_user_pool_domain": '"atlantis-login"',
    },
    "prod_minimal_keys": {
        "stack_name": '"aws-keys-stack"',
        "secret_name": '"aws-keys-atlantis-secrets"',
        "kms_key_mode": '"aws"',
        "github_app_id": '"123456"',
        "enable_waf": "false",
        "enable_alb_access_logs": "false",
        "enable_vpc_flow_logs": "false",
        "enable_ecs_exec": "true",
        "cpu_architecture": '"X86_64"',
        "aws_provider_version": '"6.30.0"',
    },
}


def render_tfvars(base: Path, overrides: dict[str, str]) -> str:
    """The base file with each overridden key (including a multi-line list value) replaced by the override."""
    kept: list[str] = []
    skipping_list = False
    for line in base.read_text().splitlines():
        if skipping_list:
            skipping_list = not line.strip().startswith("]")
            continue
        if line.split("=")[0].strip() in overrides:
            skipping_list = line.rstrip().endswith("[")
            continue
        kept.append(line)
    return "\n".join(kept + [f"{key} = {value}" for key, value in overrides.items()]) + "\n"


def write_scenario(directory: Path, name: str) -> Path:
    overrides = dict(SCENARIOS[name])
    shipped = overrides.pop("__file__", "prod")
    base = REPO / shipped if shipped.endswith(".tfvars") else CONFIG_DIR / f"{shipped}.tfvars"
    path = directory / f"{name}.tfvars"
    path.write_text(render_tfvars(base, overrides))
    return path


@pytest.fixture(scope="session")
def scenario_configs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, AtlantisConfig]:
    directory = tmp_path_factory.mktemp("config")
    return {name: load_config(write_scenario(directory, name), environ={}) for name in SCENARIOS}


@pytest.fixture(scope="session")
def synth_outdir(
    scenario_configs: dict[str, AtlantisConfig], tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Path:
    """Every scenario synthesized, as one app with them all writes it. The synths are shared (tests/synth_cache.py):
    the xdist workers split them, and a later run on the same code (the integration tier after the fast suite)
    reuses them."""
    from stacks.app import synthesize

    cache = pytestconfig.cache.mkdir("stackkit-synth") if pytestconfig.cache else tmp_path_factory.getbasetemp().parent
    outdirs = synth_cache.synthesize_shared(
        cache / "entries",
        scenario_configs,
        synthesize,
        code=synth_cache.code_digest(),
        start=synth_cache.worker_start(len(scenario_configs)),
    )
    return synth_cache.merge(outdirs, tmp_path_factory.mktemp("synth") / "cdktf.out")


@pytest.fixture(scope="session")
def synthesized(scenario_configs: dict[str, AtlantisConfig], synth_outdir: Path) -> dict[str, dict[str, Any]]:
    """Each scenario's cdk.tf.json, parsed."""
    return {
        name: json.loads((synth_outdir / "stacks" / config.stack_name / "cdk.tf.json").read_text())
        for name, config in scenario_configs.items()
    }


def resources(stack: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return list(stack.get("resource", {}).get(resource_type, {}).values())


def only(stack: dict[str, Any], resource_type: str) -> dict[str, Any]:
    found = resources(stack, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {len(found)}"
    return found[0]


def container_definitions(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The task definition's containers by name."""
    definitions = json.loads(only(stack, "aws_ecs_task_definition")["container_definitions"])
    return {definition["name"]: definition for definition in definitions}


def container_definition(stack: dict[str, Any], name: str = "atlantis") -> dict[str, Any]:
    return container_definitions(stack)[name]


@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith(("TF_", "STACKKIT_", "ATLANTIS_", "CDKTF_")):
            monkeypatch.delenv(name, raising=False)
    yield


INTEGRATION_MARKERS = ("terraform", "fresh_clone", "cdktn", "machinery")


@pytest.hookimpl(tryfirst=True)  # before pytest's -m selection reads the markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test of the integration tier also carries the ``integration`` marker, which the two tiers select on."""
    for item in items:
        if any(item.get_closest_marker(name) for name in INTEGRATION_MARKERS):
            item.add_marker(pytest.mark.integration)


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist's
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """The integration tier's --dist loadgroup, long units first (tests/xdist_scheduling.py)."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from tests.xdist_scheduling import LongFirstScheduling

    return LongFirstScheduling(config, log)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """One line saying whether the terraform tier ran or was skipped (and why), so a skip is never silent."""
    if not re.search(r"(?<!not )\b(terraform|integration)\b", config.getoption("markexpr") or ""):
        return  # the terraform tests were not selected
    counts: dict[str, int] = {}
    reasons: list[str] = []
    for category in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(category, []):
            if "terraform" not in getattr(report, "keywords", {}):
                continue
            if category in ("passed", "failed") and report.when != "call":
                continue
            counts[category] = counts.get(category, 0) + 1
            if category == "skipped" and isinstance(report.longrepr, tuple):
                reasons.append(
                    str(report.longrepr[2]).removeprefix("Skipped: ").removeprefix("terraform tests skipped: ")
                )
    ran = counts.get("passed", 0) + counts.get("failed", 0) + counts.get("error", 0)
    from tests.terraform.harness import find_mirror, mirror_roots

    mirror = find_mirror(mirror_roots(os.environ))
    pinned = f"; provider constraint set to the mirrored hashicorp/aws {mirror[1]}" if mirror and ran else ""
    line = (
        f"terraform tests: {ran} ran ({counts.get('passed', 0)} passed, "
        f"{counts.get('failed', 0) + counts.get('error', 0)} failed), {counts.get('skipped', 0)} skipped{pinned}"
    )
    if reasons:
        line += f" - skip reason: {sorted(set(reasons))[0]}"
    terminalreporter.write_line(line, bold=True)
