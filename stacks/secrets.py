"""The Secrets Manager secret that holds Atlantis's credentials.

The secret's *values* never pass through Terraform: ``quick-deploy.sh`` (or an operator with the AWS CLI) writes
them, so tokens stay out of cdk.tf.json, the plan and the state file. The stack looks the secret up by name and
hands the task its ARN plus JSON key; the execution role may read exactly these ARNs.
"""

from __future__ import annotations

from stacks.config import AtlantisConfig
from stacks.machinery.aws import aws
from stacks.machinery.framework import Construct


class AtlantisSecret(Construct):
    """Exposes ``arn`` and ``value_from(json_key)``."""

    def __init__(self, scope: Construct, construct_id: str, *, config: AtlantisConfig, name: str = "") -> None:
        super().__init__(scope, construct_id)
        self.secret = aws.data_aws_secretsmanager_secret.DataAwsSecretsmanagerSecret(
            self, "secret", name=name or config.secret_name
        )
        self.arn: str = self.secret.arn

    def value_from(self, json_key: str) -> str:
        return f"{self.arn}:{json_key}::"
