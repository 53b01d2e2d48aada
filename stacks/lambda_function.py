"""A Python Lambda packaged from ``lambda/<package>/``, with its own log group and a role that starts empty.

The zip holds the package folder itself (``<package>/handler.py``), so the runtime code keeps its absolute imports
(``from slack_notifier.blocks import ...``) exactly as the tests import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stacks.config import PROJECT_ROOT, AtlantisConfig
from stacks.iam import assume_role_policy, policy_document
from stacks.lambda_archive import archive, folder_files
from stacks.machinery.aws import aws
from stacks.machinery.framework import AssetType, Construct, Fn, TerraformAsset
from stacks.queues import dead_letter_queue

LAMBDA_SOURCE = PROJECT_ROOT / "lambda"
RUNTIME = "python3.12"


def package_files(package: str) -> dict[str, Path]:
    """lambda/<package>'s sources (no caches, no tests) by their names in the zip, ``<package>/...``."""
    source = LAMBDA_SOURCE / package
    if not (source / "handler.py").is_file():
        raise FileNotFoundError(f"{source}/handler.py is missing; expected the Lambda package there")
    return folder_files(source, prefix=f"{package}/", skip=_not_shipped)


def _not_shipped(relative: Path) -> bool:
    return bool({"__pycache__", "tests"} & set(relative.parts)) or relative.suffix == ".pyc"


@dataclass(frozen=True)
class LambdaNetwork:
    """Private subnets (outbound through the NAT) and the security group the functions run in."""

    subnet_ids: list[str]
    security_group_ids: list[str]


class PythonLambda(Construct):
    """Exposes ``function``, ``role``, ``log_group``, ``name`` and ``arn``; ``grant`` adds policy statements."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AtlantisConfig,
        function_name: str,
        package: str,
        description: str,
        environment: dict[str, str],
        account_id: str,
        timeout: int = 30,
        memory_size: int = 256,
        reserved_concurrency: int = 2,
        network: LambdaNetwork,
        layers: list[str] | None = None,
        kms_key_arn: str | None = None,
        logs_kms_arn: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.name = function_name
        code = archive(package_files(package), package)
        asset = TerraformAsset(self, "code", path=str(code), type=AssetType.FILE)
        self.log_group = aws.cloudwatch_log_group.CloudwatchLogGroup(
            self,
            "log-group",
            name=f"/aws/lambda/{function_name}",
            retention_in_days=config.log_retention_days,
            kms_key_id=logs_kms_arn,
        )
        # Failed asynchronous invocations (e.g. from SNS) land here instead of vanishing.
        self.dead_letter_queue = dead_letter_queue(
            self, "dead-letter-queue", name=f"{function_name}-dlq", kms_key_arn=kms_key_arn
        )
        self.role = aws.iam_role.IamRole(
            self,
            "role",
            name=f"{function_name}-lambda",
            description=f"Runs {function_name}: {description}",
            assume_role_policy=assume_role_policy("lambda.amazonaws.com", account_id),
        )
        self._statements: list[dict[str, Any]] = [
            {
                "Sid": "WriteOwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{self.log_group.arn}:*",
            },
            {
                "Sid": "DeadLetters",
                "Effect": "Allow",
                "Action": "sqs:SendMessage",
                "Resource": self.dead_letter_queue.arn,
            },
            {
                # Lambda creates and removes its own network interfaces in the private subnets; EC2 does not
                # support resource-level permissions for these calls.
                "Sid": "VpcNetworkInterfaces",
                "Effect": "Allow",
                "Action": [
                    "ec2:CreateNetworkInterface",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DeleteNetworkInterface",
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:UnassignPrivateIpAddresses",
                ],
                "Resource": "*",
            },
            {
                "Sid": "XRayTraces",
                "Effect": "Allow",
                "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                "Resource": "*",
            },
        ]
        if kms_key_arn:
            self._statements.append(
                {
                    "Sid": "UseDataKey",
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                    "Resource": kms_key_arn,
                }
            )
        self._policy = aws.iam_role_policy.IamRolePolicy(
            self,
            "policy",
            name=f"{function_name}-least-privilege",
            role=self.role.id,
            policy=policy_document(*self._statements),
        )
        self.function = aws.lambda_function.LambdaFunction(
            self,
            "function",
            function_name=function_name,
            description=description,
            role=self.role.arn,
            runtime=RUNTIME,
            architectures=["arm64"],
            handler=f"{package}.handler.handler",
            filename=asset.path,
            source_code_hash=Fn.filebase64sha256(asset.path),
            timeout=timeout,
            memory_size=memory_size,
            reserved_concurrent_executions=reserved_concurrency,
            layers=layers,
            kms_key_arn=kms_key_arn,
            tracing_config=aws.lambda_function.LambdaFunctionTracingConfig(mode="Active"),
            dead_letter_config=aws.lambda_function.LambdaFunctionDeadLetterConfig(
                target_arn=self.dead_letter_queue.arn
            ),
            vpc_config=aws.lambda_function.LambdaFunctionVpcConfig(
                subnet_ids=network.subnet_ids, security_group_ids=network.security_group_ids
            ),
            environment=aws.lambda_function.LambdaFunctionEnvironment(variables=environment),
            depends_on=[self.log_group, self._policy],
        )
        self.arn: str = self.function.arn

    def grant(self, *statements: dict[str, Any]) -> None:
        """Add statements to the function's inline policy (rendered once at synth time)."""
        self._statements.extend(statements)
        self._policy.policy = policy_document(*self._statements)
