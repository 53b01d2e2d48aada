"""AI reviewer infrastructure: plans bucket -> EventBridge -> SQS (+DLQ) -> Lambda, scoped IAM, and the Atlantis
workflow step that uploads plans, run exactly as synthesized against a moto S3 server."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import container_definition, resources
from tests.test_ai_reviewer_plan_export import (  # noqa: F401 - fixtures shared with the upload-command tests
    REGION,
    _atlantis_env,
    credentials_url,
    s3_endpoint,
)


def by_name(stack: dict[str, Any], resource_type: str, key: str) -> dict[str, dict[str, Any]]:
    return {resource[key]: resource for resource in resources(stack, resource_type)}


def policy_statements(stack: dict[str, Any], role_policy_name: str) -> dict[str, dict[str, Any]]:
    [policy] = [p for p in resources(stack, "aws_iam_role_policy") if p["name"] == role_policy_name]
    return {statement["Sid"]: statement for statement in json.loads(policy["policy"])["Statement"]}


def test_nothing_of_the_reviewer_exists_when_disabled(synthesized: dict[str, Any]) -> None:
    stack = synthesized["prod"]
    assert resources(stack, "aws_sqs_queue") == [] and resources(stack, "aws_lambda_function") == []
    assert "ai-reviewer" not in json.dumps(container_definition(stack))


def test_plans_bucket_is_private_encrypted_versioned_and_expiring(synthesized: dict[str, Any]) -> None:
    stack = synthesized["prod_full"]
    buckets = [b for b in resources(stack, "aws_s3_bucket") if "-plans-" in b["bucket"]]
    assert len(buckets) == 1
    encryption = [
        e for e in resources(stack, "aws_s3_bucket_server_side_encryption_configuration") if "plans" in e["bucket"]
    ]
    rule = encryption[0]["rule"][0]["apply_server_side_encryption_by_default"]
    assert rule["sse_algorithm"] == "aws:kms" and "aws_kms_key" in rule["kms_master_key_id"]
    assert any("plans" in v["bucket"] for v in resources(stack, "aws_s3_bucket_versioning"))
    lifecycle = [lc for lc in resources(stack, "aws_s3_bucket_lifecycle_configuration") if "plans" in lc["bucket"]]
    assert lifecycle[0]["rule"][0]["expiration"][0]["days"] == 30
    notification = [n for n in resources(stack, "aws_s3_bucket_notification") if "plans" in n["bucket"]]
    assert notification[0]["eventbridge"] is True
    policies = [json.loads(p["policy"]) for p in resources(stack, "aws_s3_bucket_policy") if "plans" in p["bucket"]]
    assert policies[0]["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    blocks = [b for b in resources(stack, "aws_s3_bucket_public_access_block") if "plans" in b["bucket"]]
    assert blocks and all(blocks[0][k] for k in ("block_public_acls", "block_public_policy", "restrict_public_buckets"))


def test_uploads_flow_through_eventbridge_into_an_encrypted_queue_with_a_dlq(synthesized: dict[str, Any]) -> None:
    stack = synthesized["prod_full"]
    queues = by_name(stack, "aws_sqs_queue", "name")
    queue, dlq = queues["prod-atlantis-ai-reviews"], queues["prod-atlantis-ai-reviews-dlq"]
    function = by_name(stack, "aws_lambda_function", "function_name")["prod-atlantis-ai-reviewer"]
    assert queue["visibility_timeout_seconds"] >= 6 * function["timeout"]
    redrive = json.loads(queue["redrive_policy"])
    assert redrive["maxReceiveCount"] == 5
    assert redrive["deadLetterTargetArn"].startswith("${aws_sqs_queue.ai-reviewer_dead-letter-queue")
    assert all("aws_kms_key" in q["kms_master_key_id"] for q in (queue, dlq))
    [rule] = [r for r in resources(stack, "aws_cloudwatch_event_rule") if r["name"] == "prod-atlantis-plan-uploaded"]
    pattern = json.loads(rule["event_pattern"])
    assert pattern["source"] == ["aws.s3"] and pattern["detail-type"] == ["Object Created"]
    assert "aws_s3_bucket" in pattern["detail"]["bucket"]["name"][0]
    [queue_policy] = resources(stack, "aws_sqs_queue_policy")
    [statement] = json.loads(queue_policy["policy"])["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert "aws_cloudwatch_event_rule" in statement["Condition"]["ArnEquals"]["aws:SourceArn"]


def test_reviewer_lambda_is_arm64_python_with_bounded_concurrency(
    synthesized: dict[str, Any], synth_outdir: Path
) -> None:
    stack = synthesized["prod_full"]
    function = by_name(stack, "aws_lambda_function", "function_name")["prod-atlantis-ai-reviewer"]
    assert function["handler"] == "ai_reviewer.handler.handler"
    assert function["runtime"] == "python3.12" and function["architectures"] == ["arm64"]
    assert function["reserved_concurrent_executions"] == 2
    assert function["environment"]["variables"]["AI_PROVIDER"] == "openai"
    assert function["environment"]["variables"]["AI_MODEL"] == "gpt-4o-mini"
    assert function["vpc_config"]["subnet_ids"] and function["tracing_config"]["mode"] == "Active"
    [layer] = resources(stack, "aws_lambda_layer_version")
    assert layer["compatible_architectures"] == ["arm64"]
    assert (synth_outdir / "stacks" / "full-stack" / layer["filename"]).is_file()
    [mapping] = resources(stack, "aws_lambda_event_source_mapping")
    assert mapping["function_response_types"] == ["ReportBatchItemFailures"]
    assert mapping["batch_size"] == 1 and mapping["scaling_config"]["maximum_concurrency"] >= 2
    log_groups = by_name(stack, "aws_cloudwatch_log_group", "name")
    assert log_groups["/aws/lambda/prod-atlantis-ai-reviewer"]["retention_in_days"] == 365


def test_reviewer_role_reaches_only_its_bucket_queue_and_secret(synthesized: dict[str, Any]) -> None:
    statements = policy_statements(synthesized["prod_full"], "prod-atlantis-ai-reviewer-least-privilege")
    assert statements["ReadPlans"]["Resource"].endswith(".arn}/*")
    assert "aws_s3_bucket.ai-reviewer_plans" in statements["ReadPlans"]["Resource"]
    assert "aws_sqs_queue.ai-reviewer_queue" in statements["ConsumeReviewQueue"]["Resource"]
    assert statements["ReadReviewerSecret"]["Resource"].startswith("${data.aws_secretsmanager_secret.")
    assert "InvokeConfiguredModel" not in statements, "no Bedrock access with the OpenAI provider"


def test_alarms_watch_reviewer_errors_and_the_dlq(synthesized: dict[str, Any]) -> None:
    alarms = by_name(synthesized["prod_full"], "aws_cloudwatch_metric_alarm", "alarm_name")
    errors = alarms["prod-atlantis-ai-reviewer-errors"]
    assert (errors["metric_name"], errors["dimensions"]) == ("Errors", {"FunctionName": "prod-atlantis-ai-reviewer"})
    depth = alarms["prod-atlantis-ai-reviews-dlq-depth"]
    assert depth["metric_name"] == "ApproximateNumberOfMessagesVisible" and depth["threshold"] == 1


def test_task_role_may_upload_plans(synthesized: dict[str, Any]) -> None:
    statements = policy_statements(synthesized["prod_full"], "upload-plans-for-review")
    assert statements["UploadPlans"]["Action"] == "s3:PutObject"
    assert statements["EncryptPlans"]["Action"] == "kms:GenerateDataKey"


def upload_step_from_stack(stack: dict[str, Any], bucket: str, key_arn: str) -> str:
    """The run step as Atlantis will see it: Terraform references resolved, Terraform escapes undone."""
    environment = {item["name"]: item["value"] for item in container_definition(stack)["environment"]}
    text = environment["ATLANTIS_REPO_CONFIG_JSON"]
    text = re.sub(r"\$\{aws_s3_bucket\.[\w-]+\.(?:bucket|id)\}", bucket, text)
    text = re.sub(r"\$\{aws_kms_key\.[\w-]+\.arn\}", key_arn, text)
    assert not re.search(r"(?<!\$)\$\{(?:aws_|data\.)", text), "only the bucket and key are Terraform references"
    repo_config = json.loads(text.replace("$${", "${").replace("%%{", "%{"))
    steps = repo_config["workflows"]["default"]["plan"]["steps"]
    names = [next(iter(step)) if isinstance(step, dict) else step for step in steps]
    assert names.index("show") < names.index("run"), "the plan JSON exists before the upload"
    run = steps[names.index("run")]["run"]
    return str(run["command"] if isinstance(run, dict) else run)


def test_the_synthesized_upload_step_puts_the_plan_into_s3(
    synthesized: dict[str, Any],
    s3_endpoint: str,  # noqa: F811 - the imported fixture
    credentials_url: str,  # noqa: F811 - the imported fixture
    tmp_path: Path,
) -> None:
    bucket = "prod-atlantis-plans-123456789012-us-east-1"
    command = upload_step_from_stack(synthesized["prod_full"], bucket, "arn:aws:kms:us-east-1:123456789012:key/test")
    s3 = boto3.client(
        "s3", region_name=REGION, endpoint_url=s3_endpoint, aws_access_key_id="x", aws_secret_access_key="x"
    )
    s3.create_bucket(Bucket=bucket)
    plan = tmp_path / "default.tfplan.json"
    plan.write_text(json.dumps({"format_version": "1.2", "resource_changes": []}))
    environment = _atlantis_env(plan, s3_endpoint, credentials_url, PROJECT_NAME="network")
    result = subprocess.run(["sh", "-c", command], env=environment, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    key = "acme/infra/42/network-0123456789abcdef0123456789abcdef01234567.json"
    stored = s3.get_object(Bucket=bucket, Key=key)
    assert json.loads(stored["Body"].read()) == {"format_version": "1.2", "resource_changes": []}
    assert stored["Metadata"]["repo"] == "acme/infra" and stored["Metadata"]["pull"] == "42"


@pytest.mark.parametrize("scenario", ["prod", "dev"])
def test_repo_config_requires_approval_in_prod_only(synthesized: dict[str, Any], scenario: str) -> None:
    environment = {item["name"]: item["value"] for item in container_definition(synthesized[scenario])["environment"]}
    repo_config = json.loads(environment["ATLANTIS_REPO_CONFIG_JSON"])
    requirements = repo_config["repos"][0]["apply_requirements"]
    expected = ["approved", "mergeable"] if scenario == "prod" else ["mergeable"]
    assert sorted(requirements) == expected
    assert repo_config["repos"][0]["allow_custom_workflows"] is False


def test_bedrock_keeps_plans_in_aws_and_may_invoke_only_the_configured_model(synthesized: dict[str, Any]) -> None:
    stack = synthesized["prod_ha"]
    function = by_name(stack, "aws_lambda_function", "function_name")["prod-atlantis-ai-reviewer"]
    model = function["environment"]["variables"]["AI_MODEL"]
    assert function["environment"]["variables"]["AI_PROVIDER"] == "bedrock" and model.startswith("anthropic.")
    statements = policy_statements(stack, "prod-atlantis-ai-reviewer-least-privilege")
    invoke = statements["InvokeConfiguredModel"]
    assert invoke["Action"] == "bedrock:InvokeModel"
    assert invoke["Resource"].endswith(f":bedrock:ap-northeast-2::foundation-model/{model}")
