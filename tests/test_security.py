"""Security posture: authentication in every config, WAF, encryption keys, logs, task hardening, secret hygiene."""

from __future__ import annotations

import json
import os
import secrets
import string
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stacks.config import GITHUB_WEBHOOK_CIDRS
from tests.conftest import REPO, container_definition, only, resources


def environment_of(stack: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container_definition(stack)["environment"]}


def secret_env_names(stack: dict[str, Any]) -> set[str]:
    return {item["name"] for item in container_definition(stack)["secrets"]}


def listener(stack: dict[str, Any], port: int) -> dict[str, Any]:
    [found] = [item for item in resources(stack, "aws_lb_listener") if item["port"] == port]
    return found


# --- authentication -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["prod", "dev", "prod_full", "prod_existing_vpc", "prod_route53", "prod_ha"])
def test_basic_auth_guards_the_ui_by_default(synthesized: dict[str, Any], scenario: str) -> None:
    stack = synthesized[scenario]
    environment = environment_of(stack)
    assert environment["ATLANTIS_WEB_BASIC_AUTH"] == "true"
    assert environment["ATLANTIS_WEB_USERNAME"] == "atlantis"
    assert "ATLANTIS_WEB_PASSWORD" in secret_env_names(stack)
    assert "ATLANTIS_WEB_PASSWORD" not in environment, "the password comes from Secrets Manager only"


def test_oidc_login_on_every_path_except_webhooks_and_health(synthesized: dict[str, Any]) -> None:
    stack = synthesized["prod_oidc"]
    actions = listener(stack, 443)["default_action"]
    assert [action["type"] for action in sorted(actions, key=lambda a: a["order"])] == [
        "authenticate-oidc",
        "forward",
    ]
    oidc = actions[0]["authenticate_oidc"]
    assert oidc["issuer"] == "https://login.example.com" and oidc["client_id"] == "atlantis-ui"
    assert oidc["client_secret"] == "${var.oidc_client_secret}"
    variable = stack["variable"]["oidc_client_secret"]
    assert variable["sensitive"] is True and "default" not in variable
    [rule] = resources(stack, "aws_lb_listener_rule")
    assert rule["condition"][0]["path_pattern"]["values"] == ["/events", "/healthz"]
    assert rule["action"][0]["type"] == "forward"
    environment = environment_of(stack)
    assert "ATLANTIS_WEB_BASIC_AUTH" not in environment
    assert "ATLANTIS_WEB_PASSWORD" not in secret_env_names(stack)
    assert listener(stack, 80)["default_action"][0]["type"] == "redirect"


def test_allowed_cidrs_limit_the_load_balancer_but_github_still_reaches_webhooks(synthesized: dict[str, Any]) -> None:
    rules = resources(synthesized["prod_oidc"], "aws_vpc_security_group_ingress_rule")
    sources = {
        rule.get("cidr_ipv4") or rule.get("cidr_ipv6") for rule in rules if "referenced_security_group_id" not in rule
    }
    assert sources == {"203.0.113.0/24", *GITHUB_WEBHOOK_CIDRS}


# --- WAF ------------------------------------------------------------------------------------------------------


def test_waf_protects_the_alb_with_managed_rules_and_a_rate_limit(synthesized: dict[str, Any]) -> None:
    stack = synthesized["prod"]
    acl = only(stack, "aws_wafv2_web_acl")
    assert acl["scope"] == "REGIONAL" and "allow" in acl["default_action"]
    rules = {rule["name"]: rule for rule in acl["rule"]}
    for group in ("AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesKnownBadInputsRuleSet"):
        assert rules[group]["statement"]["managed_rule_group_statement"]["vendor_name"] == "AWS"
    assert rules["rate-limit-per-ip"]["statement"]["rate_based_statement"]["limit"] == 2000
    association = only(stack, "aws_wafv2_web_acl_association")
    assert "aws_lb." in association["resource_arn"]
    logging = only(stack, "aws_wafv2_web_acl_logging_configuration")
    redacted = {field["single_header"]["name"] for field in logging["redacted_fields"]}
    assert {"authorization", "x-hub-signature-256"} <= redacted
    assert any(group["name"] == "aws-waf-logs-prod-atlantis" for group in resources(stack, "aws_cloudwatch_log_group"))


def test_webhooks_can_be_restricted_to_github_ranges(synthesized: dict[str, Any]) -> None:
    stack = synthesized["prod_oidc"]
    ip_sets = {ip_set["ip_address_version"]: ip_set for ip_set in resources(stack, "aws_wafv2_ip_set")}
    assert "192.30.252.0/22" in ip_sets["IPV4"]["addresses"] and "2a0a:a440::/29" in ip_sets["IPV6"]["addresses"]
    rules = {rule["name"]: rule for rule in only(stack, "aws_wafv2_web_acl")["rule"]}
    block = rules["webhooks-only-from-github"]
    assert "block" in block["action"]
    [path_match, not_github] = block["statement"]["and_statement"]["statement"]
    assert path_match["byte_match_statement"]["search_string"] == "/events"
    label = not_github["not_statement"]["statement"]["label_match_statement"]["key"]
    assert rules["label-github-webhook-sources"]["rule_label"][0]["name"] == label
    assert rules["label-github-webhook-sources"]["priority"] < block["priority"]
    assert resources(synthesized["prod"], "aws_wafv2_ip_set") == []


# --- encryption and logs --------------------------------------------------------------------------------------


def test_customer_keys_encrypt_logs_efs_and_rotate(synthesized: dict[str, Any]) -> None:
    stack = synthesized["prod"]
    keys = resources(stack, "aws_kms_key")
    assert len(keys) == 3 and all(key["enable_key_rotation"] for key in keys)
    assert "aws_kms_key.keys_data" in only(stack, "aws_efs_file_system")["kms_key_id"]
    assert all("aws_kms_key.keys_logs" in group["kms_key_id"] for group in resources(stack, "aws_cloudwatch_log_group"))


def test_aws_managed_key_mode_creates_only_the_alerts_key(synthesized: dict[str, Any]) -> None:
    stack = synthesized["prod_minimal_keys"]
    [key] = resources(stack, "aws_kms_key")
    assert "alerts" in key["description"]
    assert "kms_key_id" not in only(stack, "aws_efs_file_system")
    assert only(stack, "aws_efs_file_system")["encrypted"] is True


def test_alb_access_logs_and_vpc_flow_logs_are_on_by_default(synthesized: dict[str, Any]) -> None:
    stack = synthesized["prod"]
    access_logs = only(stack, "aws_lb")["access_logs"]
    assert access_logs["enabled"] is True and "aws_s3_bucket.access-logs_bucket" in access_logs["bucket"]
    policy = json.loads(
        next(p["policy"] for p in resources(stack, "aws_s3_bucket_policy") if "access-logs" in p["bucket"])
    )
    principals = [statement["Principal"] for statement in policy["Statement"]]
    assert {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"} in principals
    assert any("data.aws_elb_service_account" in json.dumps(p) for p in principals)
    flow_log = only(stack, "aws_flow_log")
    assert flow_log["traffic_type"] == "ALL" and flow_log["log_destination_type"] == "cloud-watch-logs"
    assert resources(synthesized["prod_existing_vpc"], "aws_flow_log") == []
    assert "access_logs" not in only(synthesized["prod_minimal_keys"], "aws_lb")


def test_zones_are_pinned_by_name(synthesized: dict[str, Any]) -> None:
    [zones] = synthesized["prod"]["data"]["aws_availability_zones"].values()
    names = {f["name"]: f["values"] for f in zones["filter"]}
    assert names["zone-name"] == ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c", "ap-northeast-2d"]


# --- task hardening -------------------------------------------------------------------------------------------


def test_the_task_runs_non_root_read_only_without_capabilities(synthesized: dict[str, Any]) -> None:
    stack = synthesized["prod"]
    container = container_definition(stack)
    assert container["user"] == "100:1000"
    assert container["readonlyRootFilesystem"] is True and container["privileged"] is False
    assert container["linuxParameters"]["capabilities"]["drop"] == ["ALL"]
    writable = {mount["containerPath"] for mount in container["mountPoints"] if not mount["readOnly"]}
    assert writable == {"/home/atlantis", "/home/atlantis/data", "/tmp"}
    assert only(stack, "aws_ecs_service")["enable_execute_command"] is False
    assert "configuration" not in only(stack, "aws_ecs_cluster")


def test_ecs_exec_when_enabled_is_logged_and_scoped(synthesized: dict[str, Any]) -> None:
    stack = synthesized["prod_minimal_keys"]
    assert only(stack, "aws_ecs_service")["enable_execute_command"] is True
    exec_config = only(stack, "aws_ecs_cluster")["configuration"]["execute_command_configuration"]
    assert exec_config["logging"] == "OVERRIDE"
    assert "aws_cloudwatch_log_group" in exec_config["log_configuration"]["cloud_watch_log_group_name"]
    [policy] = [json.loads(p["policy"]) for p in resources(stack, "aws_iam_role_policy") if p["name"] == "ecs-exec"]
    assert "ssmmessages:OpenDataChannel" in policy["Statement"][0]["Action"]
    assert container_definition(stack)["readonlyRootFilesystem"] is False


# --- secret hygiene -------------------------------------------------------------------------------------------


def realistic_secret(prefix: str, length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    """A value in a real token format, random at run time: never committed, never valid."""
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


def test_detect_secrets_finds_nothing_in_cdktf_out_after_a_synth_with_real_shaped_secrets(tmp_path: Path) -> None:
    values = {
        "ATLANTIS_GITHUB_TOKEN": realistic_secret("ghp_", 36),
        "INFRACOST_API_KEY": realistic_secret("ico-", 32),
        "OPENAI_API_KEY": realistic_secret("sk-", 20) + realistic_secret("T3BlbkFJ", 20),  # the classic key layout
        "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/"
        + realistic_secret("T", 8, string.ascii_uppercase + string.digits)
        + "/"
        + realistic_secret("B", 10, string.ascii_uppercase + string.digits)
        + "/"
        + realistic_secret("", 24),
        "ATLANTIS_AWS_ACCESS_KEY_ID": realistic_secret("AKIA", 16, string.ascii_uppercase + string.digits),
        "ATLANTIS_AWS_SECRET_ACCESS_KEY": realistic_secret("", 40, string.ascii_letters + string.digits + "/+"),
    }
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "STACKKIT_", "CDKTF_"))}
    outdir = tmp_path / "cdktf.out"
    environment.update(values, STACKKIT_OUTDIR=str(outdir))
    result = subprocess.run(
        [sys.executable, "main.py"], cwd=REPO, env=environment, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr
    text_files = [path for path in outdir.rglob("*") if path.is_file() and path.suffix in (".json", ".tf")]
    assert text_files
    assert detected_secrets(text_files) == set()
    everything = b"".join(path.read_bytes() for path in outdir.rglob("*") if path.is_file())
    assert not any(value.encode() in everything for value in values.values())
    # Positive control: the same detector configuration does catch these values when they are present.
    planted = tmp_path / "planted.json"
    planted.write_text(json.dumps({name.lower(): value for name, value in values.items()}, indent=1))
    caught = {secret_type for _, secret_type in detected_secrets([planted])}
    assert {"GitHub Token", "AWS Access Key", "Slack Token", "OpenAI Token"} <= caught


# Every pattern detector of detect-secrets plus its keyword detector. The two entropy detectors are left out: every
# cdktf logical id ends in an 8-hex-digit hash ("network_vpc_4E8F0223"), which they report by the hundred. The
# keyword detector's one false positive is the output *named* secret_arn, whose value is a Terraform reference.
DETECTOR_SETTINGS = {
    "plugins_used": [
        {"name": name}
        for name in (
            "ArtifactoryDetector",
            "AWSKeyDetector",
            "AzureStorageKeyDetector",
            "BasicAuthDetector",
            "CloudantDetector",
            "DiscordBotTokenDetector",
            "GitHubTokenDetector",
            "GitLabTokenDetector",
            "IbmCloudIamDetector",
            "IbmCosHmacDetector",
            "JwtTokenDetector",
            "KeywordDetector",
            "MailchimpDetector",
            "NpmDetector",
            "OpenAIDetector",
            "PrivateKeyDetector",
            "PypiTokenDetector",
            "SendGridDetector",
            "SlackDetector",
            "SoftlayerDetector",
            "SquareOAuthDetector",
            "StripeDetector",
            "TelegramBotTokenDetector",
            "TwilioKeyDetector",
        )
    ],
    "filters_used": [
        {
            "path": "detect_secrets.filters.regex.should_exclude_line",
            "pattern": [r'^\s*"secret_arn": "(secret_arn|\$\{[^}]+\})",?$'],
        }
    ],
}


def detected_secrets(paths: list[Path]) -> set[tuple[str, str]]:
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import transient_settings

    collection = SecretsCollection()
    with transient_settings(DETECTOR_SETTINGS):
        for path in paths:
            collection.scan_file(str(path))
    return {(Path(filename).name, secret.type) for filename, secret in collection}
