"""Least-privilege roles: the execution role starts the task, the task role is what Atlantis itself may do."""

from __future__ import annotations

import json
from typing import Any

from stacks.config import AtlantisConfig
from stacks.machinery.aws import aws
from stacks.machinery.framework import Construct


def policy_document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def assume_role_policy(service: str, source_account: str | None = None) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if source_account:
        # Confused-deputy guard: only this account's ECS may assume the role.
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
    return policy_document(statement)


class AtlantisRoles(Construct):
    """Exposes ``execution_role`` and ``task_role``; ``grant_*`` methods add scoped inline policies."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AtlantisConfig,
        account_id: str,
        secret_arns: list[str],
        log_group_arn: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        name = f"{config.environment}-atlantis"
        self.execution_role = aws.iam_role.IamRole(
            self,
            "execution-role",
            name=f"{name}-execution",
            description="Starts the Atlantis task: writes its logs and reads its secret",
            assume_role_policy=assume_role_policy("ecs-tasks.amazonaws.com", account_id),
        )
        execution_statements: list[dict[str, Any]] = [
            {
                "Sid": "WriteTaskLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{log_group_arn}:*",
            },
            {
                "Sid": "ReadAtlantisSecret",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": secret_arns[0] if len(secret_arns) == 1 else secret_arns,
            },
        ]
        if ".dkr.ecr." in config.atlantis_image:
            execution_statements.append(
                {"Sid": "PullFromEcr", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
            )
            execution_statements.append(
                {
                    "Sid": "PullImageLayers",
                    "Effect": "Allow",
                    "Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                    "Resource": _ecr_repository_arn(config.atlantis_image),
                }
            )
        aws.iam_role_policy.IamRolePolicy(
            self,
            "execution-policy",
            name="start-atlantis-task",
            role=self.execution_role.id,
            policy=policy_document(*execution_statements),
        )

        self.task_role = aws.iam_role.IamRole(
            self,
            "task-role",
            name=f"{name}-task",
            description="What Atlantis itself may do: mount its EFS data and the grants in config",
            assume_role_policy=assume_role_policy("ecs-tasks.amazonaws.com", account_id),
        )
        for index, policy_arn in enumerate(config.task_policy_arns):
            aws.iam_role_policy_attachment.IamRolePolicyAttachment(
                self, f"task-managed-policy-{index}", role=self.task_role.name, policy_arn=policy_arn
            )
        if config.task_assume_role_arns:
            self.grant_task(
                "assume-target-roles",
                {
                    "Sid": "AssumeTerraformRoles",
                    "Effect": "Allow",
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                    "Resource": list(config.task_assume_role_arns),
                },
            )

    def grant_task(self, name: str, *statements: dict[str, Any]) -> None:
        """Attach an inline policy to the task role."""
        aws.iam_role_policy.IamRolePolicy(
            self, f"task-{name}", name=name, role=self.task_role.id, policy=policy_document(*statements)
        )

    def grant_ecs_exec(self, log_group_arn: str, kms_key_arn: str | None) -> None:
        """ECS Exec: the SSM channel, and session logs written to the task's log group."""
        statements: list[dict[str, Any]] = [
            {
                "Sid": "ExecChannel",
                "Effect": "Allow",
                "Action": [
                    "ssmmessages:CreateControlChannel",
                    "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel",
                    "ssmmessages:OpenDataChannel",
                ],
                "Resource": "*",
            },
            {
                "Sid": "ExecSessionLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                "Resource": f"{log_group_arn}:*",
            },
            {"Sid": "ExecDescribeLogGroups", "Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": "*"},
        ]
        if kms_key_arn:
            statements.append(
                {"Sid": "ExecEncryption", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": kms_key_arn}
            )
        self.grant_task("ecs-exec", *statements)

    def grant_efs(self, file_system_arn: str, access_point_arn: str) -> None:
        self.grant_task(
            "mount-atlantis-data",
            {
                "Sid": "MountThroughAccessPoint",
                "Effect": "Allow",
                "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
                "Resource": file_system_arn,
                "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": access_point_arn}},
            },
        )


def _ecr_repository_arn(image: str) -> str:
    """arn:aws:ecr:<region>:<account>:repository/<name> for <account>.dkr.ecr.<region>.amazonaws.com/<name>:<tag>."""
    registry, _, path = image.partition("/")
    account, _, rest = registry.partition(".dkr.ecr.")
    region = rest.split(".")[0]
    repository = path.split("@")[0].rsplit(":", 1)[0]
    return f"arn:aws:ecr:{region}:{account}:repository/{repository}"
