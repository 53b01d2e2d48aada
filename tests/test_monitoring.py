"""Monitoring: every alarm's metric and thresholds, task-stop events, email and Slack channels, the dashboard."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import only, resources

# name -> (namespace, metric, statistic, comparison, threshold, period, evaluation periods, missing data)
EXPECTED_ALARMS = {
    "cpu-high": ("AWS/ECS", "CPUUtilization", "Average", "GreaterThanThreshold", 80, 60, 5, "missing"),
    "memory-high": ("AWS/ECS", "MemoryUtilization", "Average", "GreaterThanThreshold", 90, 60, 5, "missing"),
    "unhealthy-targets": (
        "AWS/ApplicationELB", "UnHealthyHostCount", "Maximum", "GreaterThanOrEqualToThreshold", 1, 60, 3, "notBreaching",
    ),
    "no-healthy-targets": (
        "AWS/ApplicationELB", "HealthyHostCount", "Minimum", "LessThanThreshold", 1, 60, 3, "breaching",
    ),
    "running-tasks-low": (
        "ECS/ContainerInsights", "RunningTaskCount", "Minimum", "LessThanThreshold", 1, 60, 3, "breaching",
    ),
}  # fmt: skip


def alarms(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {alarm["alarm_name"]: alarm for alarm in resources(stack, "aws_cloudwatch_metric_alarm")}


def topic_ref(stack: dict[str, Any]) -> str:
    [logical_id] = stack["resource"]["aws_sns_topic"]
    return f"${{aws_sns_topic.{logical_id}.arn}}"


@pytest.mark.parametrize("name", sorted(EXPECTED_ALARMS))
def test_service_alarm(synthesized: dict[str, Any], name: str) -> None:
    alarm = alarms(synthesized["prod"])[f"prod-atlantis-{name}"]
    namespace, metric, statistic, comparison, threshold, period, periods, missing = EXPECTED_ALARMS[name]
    assert (alarm["namespace"], alarm["metric_name"], alarm["statistic"]) == (namespace, metric, statistic)
    assert (alarm["comparison_operator"], alarm["threshold"]) == (comparison, threshold)
    assert (alarm["period"], alarm["evaluation_periods"], alarm["datapoints_to_alarm"]) == (period, periods, periods)
    assert alarm["treat_missing_data"] == missing
    assert alarm["alarm_actions"] == [topic_ref(synthesized["prod"])] == alarm["ok_actions"]
    if namespace == "AWS/ECS":
        assert set(alarm["dimensions"]) == {"ClusterName", "ServiceName"}
    if metric.endswith("HostCount"):
        assert set(alarm["dimensions"]) == {"TargetGroup", "LoadBalancer"}
        assert alarm["dimensions"]["TargetGroup"].endswith(".arn_suffix}")


def test_5xx_alarm_sums_load_balancer_and_target_errors(synthesized: dict[str, Any]) -> None:
    alarm = alarms(synthesized["prod"])["prod-atlantis-http-5xx"]
    assert (alarm["comparison_operator"], alarm["threshold"], alarm["evaluation_periods"]) == (
        "GreaterThanOrEqualToThreshold",
        10,
        1,
    )
    queries = {query["id"]: query for query in alarm["metric_query"]}
    assert queries["total"]["expression"] == "FILL(elb, 0) + FILL(targets, 0)" and queries["total"]["return_data"]
    assert queries["elb"]["metric"]["metric_name"] == "HTTPCode_ELB_5XX_Count"
    assert queries["targets"]["metric"]["metric_name"] == "HTTPCode_Target_5XX_Count"
    assert all(
        queries[q]["metric"]["period"] == 300 and queries[q]["metric"]["stat"] == "Sum" for q in ("elb", "targets")
    )
    assert alarm["treat_missing_data"] == "notBreaching"


def test_alerts_topic_is_encrypted_and_open_to_alarms_and_events_only(synthesized: dict[str, Any]) -> None:
    stack = synthesized["prod"]
    topic = only(stack, "aws_sns_topic")
    assert topic["name"] == "prod-atlantis-alerts"
    assert "aws_kms_key" in topic["kms_master_key_id"]
    key_id = topic["kms_master_key_id"].split(".")[1]
    key = stack["resource"]["aws_kms_key"][key_id]
    assert key["enable_key_rotation"] is True
    services = json.loads(key["policy"])["Statement"][1]["Principal"]["Service"]
    assert {"cloudwatch.amazonaws.com", "events.amazonaws.com"} <= set(services)
    policy = json.loads(only(stack, "aws_sns_topic_policy")["policy"])
    principals = {statement["Principal"]["Service"] for statement in policy["Statement"]}
    assert principals == {"cloudwatch.amazonaws.com", "events.amazonaws.com"}


def test_email_subscriptions_follow_alarm_emails(synthesized: dict[str, Any]) -> None:
    subscriptions = resources(synthesized["prod_full"], "aws_sns_topic_subscription")
    emails = [s["endpoint"] for s in subscriptions if s["protocol"] == "email"]
    assert emails == ["ops@example.com"]
    assert [s for s in resources(synthesized["prod"], "aws_sns_topic_subscription") if s["protocol"] == "email"] == []


def test_task_stopped_events_reach_the_topic_readably(synthesized: dict[str, Any]) -> None:
    stack = synthesized["prod"]
    rule = only(stack, "aws_cloudwatch_event_rule")
    pattern = json.loads(rule["event_pattern"])
    assert pattern["detail-type"] == ["ECS Task State Change"]
    assert pattern["detail"]["lastStatus"] == ["STOPPED"]
    assert "aws_ecs_cluster" in pattern["detail"]["clusterArn"][0]
    target = only(stack, "aws_cloudwatch_event_target")
    assert target["arn"] == topic_ref(stack)
    transformer = target["input_transformer"]
    assert transformer["input_paths"]["containers"] == "$.detail.containers"
    # The template becomes valid JSON once EventBridge fills the placeholders; the notifier reads its "kind".
    filled = transformer["input_template"]
    for placeholder, sample in {
        "<containers>": '[{"name": "atlantis", "exitCode": 137}]',
        "<stopCode>": "EssentialContainerExited",
    }.items():
        filled = filled.replace(placeholder, sample)
    for name in transformer["input_paths"]:
        filled = filled.replace(f"<{name}>", "x")
    message = json.loads(filled)
    assert message["kind"] == "ecs-task-stopped" and message["containers"][0]["exitCode"] == 137
    assert message["message"].startswith("Atlantis task stopped: EssentialContainerExited")


def test_slack_notifier_is_wired_when_enabled(synthesized: dict[str, Any], synth_outdir: Path) -> None:
    stack = synthesized["prod_full"]
    functions = {f["function_name"]: f for f in resources(stack, "aws_lambda_function")}
    notifier = functions["prod-atlantis-slack-notifier"]
    assert notifier["handler"] == "slack_notifier.handler.handler"
    assert notifier["runtime"].startswith("python3.1") and notifier["architectures"] == ["arm64"]
    assert notifier["environment"]["variables"]["SECRET_ARN"].startswith("${data.aws_secretsmanager_secret.")
    assert (synth_outdir / "stacks" / "full-stack" / notifier["filename"]).is_file(), "the code archive exists"
    subscription = [s for s in resources(stack, "aws_sns_topic_subscription") if s["protocol"] == "lambda"]
    assert len(subscription) == 1 and "aws_lambda_function" in subscription[0]["endpoint"]
    permission = only(stack, "aws_lambda_permission")
    assert permission["principal"] == "sns.amazonaws.com" and "aws_sns_topic" in permission["source_arn"]
    log_groups = {group["name"]: group for group in resources(stack, "aws_cloudwatch_log_group")}
    assert log_groups["/aws/lambda/prod-atlantis-slack-notifier"]["retention_in_days"] == 365
    policies = [json.loads(p["policy"]) for p in resources(stack, "aws_iam_role_policy") if "slack" in p["name"]]
    [policy] = policies
    read = [s for s in policy["Statement"] if s["Sid"] == "ReadSlackWebhook"]
    assert read[0]["Resource"].startswith("${data.aws_secretsmanager_secret.")
    assert "prod-atlantis-slack-notifier-errors" in alarms(stack)
    assert resources(synthesized["prod"], "aws_lambda_function") == []


def test_dashboard_charts_the_service(synthesized: dict[str, Any]) -> None:
    dashboard = only(synthesized["prod_full"], "aws_cloudwatch_dashboard")
    assert dashboard["dashboard_name"] == "prod-atlantis"
    widgets = json.loads(dashboard["dashboard_body"])["widgets"]
    metrics = {metric[1] for widget in widgets for metric in widget["properties"]["metrics"] if metric[0] != "..."}
    assert {
        "CPUUtilization",
        "RunningTaskCount",
        "RequestCount",
        "TargetResponseTime",
        "HTTPCode_Target_5XX_Count",
        "HealthyHostCount",
        "MeteredIOBytes",
        "MemoryUtilization",
    } <= metrics
    stats = [m[-1]["stat"] for w in widgets for m in w["properties"]["metrics"] if isinstance(m[-1], dict)]
    assert {"p50", "p95", "p99"} <= set(stats)
    assert any("slack-notifier" in widget["properties"]["title"] for widget in widgets)
