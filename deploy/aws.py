"""AWS access: one boto3 session per run, in the environment's region, with the StackKit credentials when set.

boto3 itself honours ``AWS_ENDPOINT_URL`` (how the tests point it at moto), profiles, SSO and instance roles.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
)

from deploy.environment import sdk_environment, uses_stackkit_credentials

# Standard retries cover throttling; the short connect timeout makes a wrong endpoint fail fast.
_CLIENT_CONFIG = Config(retries={"max_attempts": 4, "mode": "standard"}, connect_timeout=10, read_timeout=60)


class AwsContext:
    """Clients for one region, created on first use."""

    def __init__(self, region: str, environ: Mapping[str, str]) -> None:
        self.region = region
        if uses_stackkit_credentials(environ):
            env = sdk_environment(environ)
            self.session = boto3.Session(
                aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                aws_session_token=env.get("AWS_SESSION_TOKEN"),
                region_name=region,
            )
        else:
            self.session = boto3.Session(region_name=region)
        # boto3 reads AWS_ENDPOINT_URL from the process environment; emulator mode sets it in ``environ`` only.
        self.endpoint_url = environ.get("AWS_ENDPOINT_URL") or None
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service, config=_CLIENT_CONFIG, endpoint_url=self.endpoint_url)
        return self._clients[service]


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def describe_aws_error(error: BotoCoreError | ClientError) -> str:
    """One line for an AWS failure: the operation, the error code and AWS's own message."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        message = str(details.get("Message") or "").strip()
        return f"AWS {error.operation_name} returned {details.get('Code', 'an error')}" + (
            f": {message}" if message else ""
        )
    if isinstance(error, NoCredentialsError):
        return (
            "no AWS credentials found; set ATLANTIS_AWS_ACCESS_KEY_ID and ATLANTIS_AWS_SECRET_ACCESS_KEY, "
            "or AWS_PROFILE, or run with an IAM role"
        )
    if isinstance(error, EndpointConnectionError):
        return f"cannot reach the AWS endpoint {error.kwargs.get('endpoint_url', '')}".rstrip()
    if isinstance(error, NoRegionError):
        return "no AWS region; set aws_region in the config or TF_STACK_REGION"
    return f"AWS call failed: {error}"
