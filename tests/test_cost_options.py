"""The cheaper ways to the same guarantee, and the budget preset: which defaults each environment and profile gets,
what each option synthesizes (NAT instance hardening, flow logs in S3, Container Insights off with its alarm
replaced, retention per log group), and what the cost command says each one costs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from costs.estimate import Estimate, estimate_stack
from costs.model import Category, LineItem
from costs.prices import load_price_table
from costs.readme import BUDGET_FILL_INS
from costs.stack import stack_from_document
from stacks.config import load_config
from tests.conftest import BUDGET_PRESET, CONFIG_DIR, container_definition, only, render_tfvars, resources

PROD = CONFIG_DIR / "prod.tfvars"


def config_with(tmp_path: Path, overrides: dict[str, str], base: Path = PROD) -> Any:
    path = tmp_path / "prod.tfvars"
    path.write_text(render_tfvars(base, overrides))
    return load_config(path, environ={})


# --- Defaults: environment, then cost profile, then the file ---------------------------------------------------


def test_prod_keeps_the_costlier_safe_defaults_and_dev_the_cheaper_ones() -> None:
    prod, dev = load_config(PROD, environ={}), load_config(CONFIG_DIR / "dev.tfvars", environ={})
    cost_keys = ("cost_profile", "nat_type", "single_nat_gateway", "enable_container_insights", "flow_log_destination")
    assert tuple(getattr(prod, key) for key in cost_keys) == ("standard", "gateway", False, True, "cloudwatch")
    assert tuple(getattr(dev, key) for key in cost_keys) == ("standard", "instance", True, False, "s3")
    assert (prod.flow_log_retention_days, prod.waf_log_retention_days) == (365, 365)


def test_budget_profile_is_one_key_for_a_group_of_defaults(tmp_path: Path) -> None:
    budget = load_config(BUDGET_PRESET, environ={})
    assert budget.cost_profile == "budget" and budget.environment == "prod"
    assert (budget.nat_type, budget.single_nat_gateway) == ("instance", False), "a NAT instance per AZ"
    assert (budget.enable_container_insights, budget.flow_log_destination) == (False, "s3")
    assert (budget.flow_log_retention_days, budget.waf_log_retention_days) == (365, 365), "a year of audit logs"
    # What the preset keeps from prod's defaults.
    assert (budget.enable_waf, budget.kms_key_mode, budget.enable_efs_backup, budget.auth_mode) == (
        True,
        "customer",
        True,
        "basic",
    )
    assert budget.log_retention_days == 365 and budget.deletion_protection is True


def test_keys_in_the_file_win_over_the_profile(tmp_path: Path) -> None:
    config = config_with(tmp_path, {"nat_type": '"gateway"', "flow_log_retention_days": "90"}, base=BUDGET_PRESET)
    assert (config.nat_type, config.flow_log_retention_days, config.flow_log_destination) == ("gateway", 90, "s3")


# --- What each option synthesizes ------------------------------------------------------------------------------


def test_nat_instance_is_reachable_only_through_ssm_with_imdsv2_and_encrypted_disk(synthesized: dict[str, Any]) -> None:
    stack = synthesized["budget"]
    instances = resources(stack, "aws_instance")
    assert len(instances) == 2, "one NAT instance per AZ keeps egress through an AZ failure"
    for instance in instances:
        assert instance["instance_type"] == "t4g.nano"
        assert instance["metadata_options"] == {
            "http_endpoint": "enabled",
            "http_tokens": "required",
            "http_put_response_hop_limit": 1,
        }
        assert instance["root_block_device"]["encrypted"] is True
        assert "key_name" not in instance and "associate_public_ip_address" not in instance
        assert instance["credit_specification"] == {"cpu_credits": "standard"}
        assert instance["monitoring"] is True and instance["user_data_replace_on_change"] is True
        assert "MASQUERADE" in instance["user_data"] and "ip_forward = 1" in instance["user_data"]
    [attachment] = [a for a in resources(stack, "aws_iam_role_policy_attachment") if "nat-instance" in a["role"]]
    assert attachment["policy_arn"].endswith(":iam::aws:policy/AmazonSSMManagedInstanceCore")
    interfaces = resources(stack, "aws_network_interface")
    assert len(interfaces) == 2 and all(interface["source_dest_check"] is False for interface in interfaces)
    assert len([eip for eip in resources(stack, "aws_eip") if eip["instance"].startswith("${aws_instance.")]) == 2
    routes = [route for route in resources(stack, "aws_route") if "network_interface_id" in route]
    assert len({route["network_interface_id"] for route in routes}) == 2


def test_nat_instance_security_group_forwards_only_https_from_the_private_subnets(
    synthesized: dict[str, Any],
) -> None:
    stack = synthesized["budget"]
    [group_id] = [
        name for name, group in stack["resource"]["aws_security_group"].items() if group["name"] == "prod-atlantis-nat"
    ]
    ref = f"${{aws_security_group.{group_id}.id}}"
    ingress = [
        rule for rule in resources(stack, "aws_vpc_security_group_ingress_rule") if rule["security_group_id"] == ref
    ]
    egress = [
        rule for rule in resources(stack, "aws_vpc_security_group_egress_rule") if rule["security_group_id"] == ref
    ]
    assert sorted(rule["cidr_ipv4"] for rule in ingress) == ["10.0.128.0/18", "10.0.192.0/18"]
    assert [(rule["cidr_ipv4"], rule["from_port"], rule["to_port"]) for rule in egress] == [("0.0.0.0/0", 443, 443)]
    assert all((rule["ip_protocol"], rule["from_port"]) == ("tcp", 443) for rule in ingress)


def test_each_nat_instance_has_a_status_check_alarm_to_the_alerts_topic(synthesized: dict[str, Any]) -> None:
    alarms = {a["alarm_name"]: a for a in resources(synthesized["budget"], "aws_cloudwatch_metric_alarm")}
    for index in (0, 1):
        alarm = alarms[f"prod-atlantis-nat-{index}-status-check-failed"]
        assert (alarm["namespace"], alarm["metric_name"], alarm["treat_missing_data"]) == (
            "AWS/EC2",
            "StatusCheckFailed",
            "breaching",
        )
        assert alarm["dimensions"]["InstanceId"].startswith("${aws_instance.")
        assert alarm["alarm_actions"] == alarm["ok_actions"] and alarm["alarm_actions"][0].startswith(
            "${aws_sns_topic."
        )
    assert not any("status-check" in name for name in alarms_of(synthesized["prod"]))


def alarms_of(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["alarm_name"]: a for a in resources(stack, "aws_cloudwatch_metric_alarm")}


def test_flow_logs_to_s3_land_in_a_kms_encrypted_expiring_bucket(synthesized: dict[str, Any]) -> None:
    stack = synthesized["budget"]
    flow_log = only(stack, "aws_flow_log")
    assert (flow_log["log_destination_type"], flow_log["traffic_type"]) == ("s3", "ALL")
    assert "iam_role_arn" not in flow_log, "S3 delivery uses the bucket policy, not a role"
    assert not any("/vpc/" in group["name"] for group in resources(stack, "aws_cloudwatch_log_group"))
    bucket_id = flow_log["log_destination"].split(".")[1]
    bucket_ref = f"${{aws_s3_bucket.{bucket_id}.id}}"
    [encryption] = [
        e for e in resources(stack, "aws_s3_bucket_server_side_encryption_configuration") if e["bucket"] == bucket_ref
    ]
    default = encryption["rule"][0]["apply_server_side_encryption_by_default"]
    assert default["sse_algorithm"] == "aws:kms" and "aws_kms_key.keys_logs_key" in default["kms_master_key_id"]
    [lifecycle] = [lc for lc in resources(stack, "aws_s3_bucket_lifecycle_configuration") if lc["bucket"] == bucket_ref]
    assert lifecycle["rule"][0]["expiration"][0]["days"] == 365
    [policy] = [json.loads(p["policy"]) for p in resources(stack, "aws_s3_bucket_policy") if p["bucket"] == bucket_ref]
    sids = {statement["Sid"]: statement for statement in policy["Statement"]}
    assert sids["FlowLogDeliveryWrite"]["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert "aws:SourceAccount" in sids["FlowLogDeliveryWrite"]["Condition"]["StringEquals"]
    logs_key = next(k for k in resources(stack, "aws_kms_key") if "log groups" in k["description"])
    statements = json.loads(logs_key["policy"])["Statement"]
    assert any(s.get("Sid") == "LogDeliveryToS3UsesTheKey" for s in statements)
    prod_logs_key = next(k for k in resources(synthesized["prod"], "aws_kms_key") if "log groups" in k["description"])
    assert "delivery.logs" not in prod_logs_key["policy"], "the grant exists only where flow logs go to S3"


def test_retention_is_set_per_log_group(synthesized: dict[str, Any]) -> None:
    def retention(name: str) -> dict[str, int]:
        groups = resources(synthesized[name], "aws_cloudwatch_log_group")
        return {g["name"]: g["retention_in_days"] for g in groups if not g["name"].startswith("/aws/lambda/")}

    assert retention("prod") == {
        "/ecs/atlantis-prod": 365,
        "/vpc/prod-atlantis-flow-logs": 365,
        "aws-waf-logs-prod-atlantis": 365,
    }
    assert retention("prod_full") == {
        "/ecs/atlantis-prod": 365,
        "/vpc/prod-atlantis-flow-logs": 731,
        "aws-waf-logs-prod-atlantis": 400,
    }


def test_without_container_insights_the_running_tasks_alarm_counts_healthy_targets(
    synthesized: dict[str, Any],
) -> None:
    cluster = only(synthesized["budget"], "aws_ecs_cluster")
    assert cluster["setting"] == [{"name": "containerInsights", "value": "disabled"}]
    alarm = alarms_of(synthesized["budget"])["prod-atlantis-running-tasks-low"]
    assert (alarm["namespace"], alarm["metric_name"], alarm["statistic"]) == (
        "AWS/ApplicationELB",
        "HealthyHostCount",
        "Minimum",
    )
    assert (alarm["threshold"], alarm["treat_missing_data"]) == (1, "breaching")
    assert set(alarm["dimensions"]) == {"TargetGroup", "LoadBalancer"}
    # Nothing in the stack still reads a Container Insights metric.
    assert "ContainerInsights" not in json.dumps(synthesized["budget"]["resource"])
    assert "ContainerInsights" in only(synthesized["prod"], "aws_cloudwatch_dashboard")["dashboard_body"]


def test_budget_preset_keeps_https_auth_encryption_alarms_efs_and_the_backend(synthesized: dict[str, Any]) -> None:
    stack = synthesized["budget"]
    https = [listener for listener in resources(stack, "aws_lb_listener") if listener["port"] == 443]
    assert len(https) == 1 and https[0]["certificate_arn"] == BUDGET_FILL_INS["certificate_arn"].strip('"')
    assert https[0]["ssl_policy"].startswith("ELBSecurityPolicy-TLS13")
    environment = {item["name"] for item in container_definition(stack)["environment"]}
    assert "ATLANTIS_WEB_BASIC_AUTH" in environment
    assert only(stack, "aws_efs_file_system")["encrypted"] is True
    assert only(stack, "aws_efs_backup_policy")["backup_policy"]["status"] == "ENABLED"
    assert len(resources(stack, "aws_kms_key")) == 3 and len(resources(stack, "aws_wafv2_web_acl")) == 1
    assert [s["endpoint"] for s in resources(stack, "aws_sns_topic_subscription")] == ["ops@example.com"]
    seed_alarms = {"cpu-high", "memory-high", "unhealthy-targets", "no-healthy-targets"}
    assert {f"prod-atlantis-{name}" for name in seed_alarms} <= set(alarms_of(stack))
    assert stack["terraform"]["backend"]["s3"]["dynamodb_table"] == "mycompany-atlantis-tf-lock"


# --- What each option costs, from the cost command ---------------------------------------------------------------


@pytest.fixture(scope="module")
def estimates(synthesized: dict[str, Any]) -> dict[str, Estimate]:
    prices = load_price_table()
    return {name: estimate_stack(stack_from_document(stack), prices) for name, stack in synthesized.items()}


def test_budget_and_dev_are_within_the_seed_estimate_and_prod_is_explained(estimates: dict[str, Estimate]) -> None:
    assert estimates["budget"].total_usd <= 120
    assert estimates["dev"].total_usd <= 80
    # README "Monthly cost" explains why default prod stays above $160: the second NAT gateway.
    prod = estimates["prod"]
    nat_gateway_month = next(line for line in prod.lines if line.item == "NAT gateway hours").monthly_usd
    assert prod.total_usd > 160 and prod.total_usd - nat_gateway_month - 3.65 <= 160
    for name in ("prod", "dev", "budget"):
        assert not estimates[name].not_priced, [item.address for item in estimates[name].not_priced]


def test_a_nat_instance_per_az_costs_a_fraction_of_the_gateways(estimates: dict[str, Estimate]) -> None:
    gateways = estimates["prod"].by_category()[Category.NAT]
    instances = estimates["budget"].by_category()[Category.NAT]
    assert gateways == pytest.approx(94.62, abs=0.01)
    # Two t4g.nano instances, their 8 GB gp3 root volumes and Elastic IPs.
    assert instances == pytest.approx(2 * (0.0052 * 730 + 8 * 0.0912 + 0.005 * 730), abs=0.01)


def test_flow_logs_cost_less_in_s3_than_in_cloudwatch_logs(estimates: dict[str, Estimate]) -> None:
    def flow_log_lines(estimate: Estimate) -> list[LineItem]:
        return [
            line for line in estimate.lines if line.address.startswith("aws_flow_log.") or "flow-log" in line.address
        ]

    cloudwatch, s3 = flow_log_lines(estimates["prod"]), flow_log_lines(estimates["budget"])
    [cloudwatch_delivery] = [line for line in cloudwatch if line.address.startswith("aws_flow_log.")]
    [s3_delivery] = [line for line in s3 if line.address.startswith("aws_flow_log.")]
    assert s3_delivery.monthly_usd == pytest.approx(cloudwatch_delivery.monthly_usd / 2)
    # Both keep 365 days; S3 storage costs less than CloudWatch Logs storage too.
    assert sum(line.monthly_usd for line in s3) < sum(line.monthly_usd for line in cloudwatch) * 0.65


def test_container_insights_off_saves_its_custom_metrics(estimates: dict[str, Estimate]) -> None:
    def insights(estimate: Estimate) -> float:
        return sum(line.monthly_usd for line in estimate.lines if "Container Insights" in line.item)

    assert insights(estimates["prod"]) == pytest.approx(9.38, abs=0.01)
    assert insights(estimates["budget"]) == 0
