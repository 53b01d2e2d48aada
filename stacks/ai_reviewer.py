"""The AI plan reviewer: Atlantis uploads each plan's JSON to S3 -> EventBridge -> SQS (+ DLQ) -> Lambda -> model
-> one PR comment (updated on re-plans) and Slack. Plans are redacted in the Lambda before any model sees them."""

from __future__ import annotations

import json
from typing import Any

from stacks.buckets import SecureBucket
from stacks.config import AtlantisConfig
from stacks.lambda_archive import archive, folder_files
from stacks.lambda_function import LambdaNetwork, PythonLambda
from stacks.lambda_layer import layer_directory
from stacks.machinery.aws import aws
from stacks.machinery.framework import AssetType, Construct, Fn, TerraformAsset
from stacks.monitoring import AtlantisMonitoring
from stacks.plan_export import plan_upload_command
from stacks.queues import dead_letter_queue, encrypted_queue
from stacks.secrets import AtlantisSecret

FUNCTION_TIMEOUT_SECONDS = 300
BUCKET_PLACEHOLDER = "stackkit-plans-bucket-placeholder"
KEY_PLACEHOLDER = "arn:aws:kms:stackkit:plans-key-placeholder"
MAX_RECEIVE_COUNT = 5


class AiReviewer(Construct):
    """Exposes ``bucket``, ``queue``, ``dead_letter_queue``, ``function`` and ``task_statements`` (what the
    Atlantis task role needs to upload plans)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AtlantisConfig,
        account_id: str,
        partition: str,
        secret: AtlantisSecret,
        network: LambdaNetwork,
        data_kms_arn: str | None,
        logs_kms_arn: str | None,
        access_log_bucket: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        prefix = f"{config.environment}-atlantis"
        self.kms_key_arn = data_kms_arn
        self.bucket = self._plans_bucket(prefix, account_id, data_kms_arn, access_log_bucket)
        self.dead_letter_queue = dead_letter_queue(
            self, "dead-letter-queue", name=f"{prefix}-ai-reviews-dlq", kms_key_arn=data_kms_arn
        )
        self.queue = encrypted_queue(
            self,
            "queue",
            name=f"{prefix}-ai-reviews",
            kms_key_arn=data_kms_arn,
            # SQS must not hand a message to a second invocation while the first may still be working on it.
            visibility_timeout_seconds=6 * FUNCTION_TIMEOUT_SECONDS,
            message_retention_seconds=345_600,
            redrive_policy=json.dumps(
                {"deadLetterTargetArn": self.dead_letter_queue.arn, "maxReceiveCount": MAX_RECEIVE_COUNT}
            ),
        )
        self._route_uploads_to_queue(prefix)
        self.function = self._function(prefix, account_id, partition, secret, network, data_kms_arn, logs_kms_arn)
        self.task_statements: list[dict[str, Any]] = [
            {"Sid": "UploadPlans", "Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{self.bucket.arn}/*"}
        ]
        if data_kms_arn:
            self.task_statements.append(
                {"Sid": "EncryptPlans", "Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": data_kms_arn}
            )

    def watch(self, monitoring: AtlantisMonitoring) -> None:
        """Alarm on reviewer errors and on reviews parked in the dead-letter queue."""
        monitoring.watch_lambda("ai-reviewer", self.function.name)
        monitoring.watch_queue("ai-reviews-dlq", self.dead_letter_queue.name)

    def upload_step(self) -> str:
        """The workflow command that uploads a plan, with placeholders for values Terraform knows only at apply
        time (the repo config is escaped for Terraform as a whole; ``resolve_upload_step`` splices them in after)."""
        key = KEY_PLACEHOLDER if self.kms_key_arn else None
        return plan_upload_command(BUCKET_PLACEHOLDER, self.config.aws_region, "aws:kms", key)

    def resolve_upload_step(self, escaped_repo_config: str) -> str:
        resolved = escaped_repo_config.replace(BUCKET_PLACEHOLDER, self.bucket.name)
        return resolved.replace(KEY_PLACEHOLDER, self.kms_key_arn) if self.kms_key_arn else resolved

    def _plans_bucket(
        self, prefix: str, account_id: str, kms_arn: str | None, access_log_bucket: str | None
    ) -> SecureBucket:
        return SecureBucket(
            self,
            "plans",
            bucket_name=f"{prefix}-plans-{account_id}-{self.config.aws_region}",
            kms_key_arn=kms_arn,
            force_destroy=not self.config.deletion_protection,
            expiration_days=self.config.plan_retention_days,
            noncurrent_days=1,
            access_log_bucket=access_log_bucket,
            access_log_prefix="s3/plans/",
        )

    def _route_uploads_to_queue(self, prefix: str) -> None:
        rule = aws.cloudwatch_event_rule.CloudwatchEventRule(
            self,
            "plan-uploaded",
            name=f"{prefix}-plan-uploaded",
            description="A Terraform plan JSON was uploaded for AI review",
            event_pattern=json.dumps(
                {
                    "source": ["aws.s3"],
                    "detail-type": ["Object Created"],
                    "detail": {"bucket": {"name": [self.bucket.name]}, "object": {"key": [{"suffix": ".json"}]}},
                }
            ),
        )
        aws.cloudwatch_event_target.CloudwatchEventTarget(
            self, "plan-uploaded-to-queue", rule=rule.name, arn=self.queue.arn
        )
        aws.sqs_queue_policy.SqsQueuePolicy(
            self,
            "queue-policy",
            queue_url=self.queue.url,
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "PlanUploadEvents",
                            "Effect": "Allow",
                            "Principal": {"Service": "events.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": self.queue.arn,
                            "Condition": {"ArnEquals": {"aws:SourceArn": rule.arn}},
                        }
                    ],
                }
            ),
        )

    def _function(
        self,
        prefix: str,
        account_id: str,
        partition: str,
        secret: AtlantisSecret,
        network: LambdaNetwork,
        data_kms_arn: str | None,
        logs_kms_arn: str | None,
    ) -> PythonLambda:
        config = self.config
        layer_zip = archive(folder_files(layer_directory("ai_reviewer")), "ai_reviewer-dependencies")
        dependencies = TerraformAsset(self, "dependencies", path=str(layer_zip), type=AssetType.FILE)
        layer = aws.lambda_layer_version.LambdaLayerVersion(
            self,
            "dependencies-layer",
            layer_name=f"{prefix}-ai-reviewer-dependencies",
            description="openai SDK and detect-secrets for the AI plan reviewer",
            filename=dependencies.path,
            source_code_hash=Fn.filebase64sha256(dependencies.path),
            compatible_runtimes=["python3.12"],
            compatible_architectures=["arm64"],
        )
        environment = {
            "AI_PROVIDER": config.ai_provider,
            "AI_MODEL": config.resolved_ai_model,
            "SECRET_ARN": secret.arn,
            "MAX_INPUT_TOKENS": "60000",
            "LOG_LEVEL": "INFO",
        }
        function = PythonLambda(
            self,
            "reviewer",
            config=config,
            function_name=f"{prefix}-ai-reviewer",
            package="ai_reviewer",
            description="Reviews Terraform plans with an LLM and comments on the pull request",
            environment=environment,
            account_id=account_id,
            timeout=FUNCTION_TIMEOUT_SECONDS,
            memory_size=1024,
            reserved_concurrency=config.ai_max_concurrency,
            network=network,
            layers=[layer.arn],
            kms_key_arn=data_kms_arn,
            logs_kms_arn=logs_kms_arn,
        )
        statements: list[dict[str, Any]] = [
            {
                "Sid": "ReadPlans",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                "Resource": f"{self.bucket.arn}/*",
            },
            # Without ListBucket a deleted plan answers 403 (retried) instead of 404 (dropped).
            {"Sid": "ListPlans", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": self.bucket.arn},
            {
                "Sid": "ConsumeReviewQueue",
                "Effect": "Allow",
                "Action": [
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                    "sqs:ChangeMessageVisibility",
                ],
                "Resource": self.queue.arn,
            },
            {
                "Sid": "ReadReviewerSecret",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": secret.arn,
            },
        ]
        if config.ai_provider == "bedrock":
            statements.append(
                {
                    "Sid": "InvokeConfiguredModel",
                    "Effect": "Allow",
                    "Action": "bedrock:InvokeModel",
                    "Resource": f"arn:{partition}:bedrock:{config.aws_region}::foundation-model/{config.resolved_ai_model}",
                }
            )
        function.grant(*statements)
        aws.lambda_event_source_mapping.LambdaEventSourceMapping(
            self,
            "queue-trigger",
            event_source_arn=self.queue.arn,
            function_name=function.function.arn,
            batch_size=1,
            function_response_types=["ReportBatchItemFailures"],
            scaling_config=aws.lambda_event_source_mapping.LambdaEventSourceMappingScalingConfig(
                maximum_concurrency=max(2, config.ai_max_concurrency)
            ),
        )
        return function
