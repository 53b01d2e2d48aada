"""The AWS emulator the terraform tests run against: moto on 127.0.0.1, and the objects a stack's data sources read.

The server is the deploy tests' RecordingMotoServer (moto's ThreadedMotoServer on a free port, with a record of
every operation), so "a second deploy changed nothing" can be checked at the API as well as in the plan.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from stacks.naming import GITHUB_TOKEN, REDIS_AUTH_TOKEN, WEB_PASSWORD, WEBHOOK_SECRET
from tests.deploy_fakes.aws import RecordingMotoServer
from tests.terraform.harness import StackCopy

ACCESS_KEY = "testing"  # moto accepts any key pair


def emulator_environment(endpoint: str, scratch: Path) -> dict[str, str]:
    """AWS settings for terraform and boto3: every call to the emulator, no profile or metadata lookups."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": ACCESS_KEY,
        "AWS_CONFIG_FILE": str(scratch / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(scratch / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def client(server: RecordingMotoServer, service: str, region: str) -> Any:
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=server.endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=ACCESS_KEY,
    )


def create_prerequisites(server: RecordingMotoServer, stack: StackCopy) -> list[str]:
    """Create what the stack's data sources look up (secrets, Route53 zones), as a deploy would have before
    ``terraform plan``; idempotent. Returns what was created."""
    region = _region(stack)
    created = []
    data = stack.document.get("data", {})
    names = {body["name"] for body in data.get("aws_secretsmanager_secret", {}).values()}
    names |= {
        str(body["secret_id"])
        for body in data.get("aws_secretsmanager_secret_version", {}).values()
        if "${" not in str(body["secret_id"])  # a reference to a secret looked up above
    }
    for name in sorted(names):
        if _ensure_secret(client(server, "secretsmanager", region), name):
            created.append(f"secret {name}")
    for arn in _given_certificates(stack):
        _seed_certificate(arn)
        created.append(f"certificate {arn}")
    for body in data.get("aws_route53_zone", {}).values():
        if _ensure_zone(client(server, "route53", region), body["name"], private=bool(body.get("private_zone"))):
            created.append(f"zone {body['name']}")
    return created


def _given_certificates(stack: StackCopy) -> set[str]:
    """Certificate ARNs the config names (certificate_arn), as opposed to ones the stack creates."""
    listeners = stack.document.get("resource", {}).get("aws_lb_listener", {}).values()
    return {str(body["certificate_arn"]) for body in listeners if "${" not in str(body.get("certificate_arn", "${"))}


def _seed_certificate(arn: str) -> None:
    """A self-signed certificate under the configured ARN in moto's ACM (the server runs in this process).
    ImportCertificate cannot choose an ARN (moto/acm/models.py import_certificate accepts only existing ones), and
    CreateListener answers CertificateNotFound for an ARN ACM does not hold."""
    from moto.acm.models import CertBundle, acm_backends

    _, _, _, region, account, _ = arn.split(":", 5)
    bundle = CertBundle.generate_cert("atlantis.example.com", account_id=account, region=region)
    bundle.arn = arn
    acm_backends[account][region]._certificates[arn] = bundle


def variable_values(stack: StackCopy) -> list[str]:
    """``-var`` arguments for the stack's variables without defaults (e.g. the OIDC client secret), made up now."""
    return [f"-var={name}={secrets.token_hex(16)}" for name in stack.variables_without_default()]


def _region(stack: StackCopy) -> str:
    return str(stack.provider_entries()[0]["region"])


def _ensure_secret(secretsmanager: Any, name: str) -> bool:
    try:
        secretsmanager.describe_secret(SecretId=name)
        return False
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
    # Made-up values under the keys a deploy writes; the stacks read ARNs, and the Redis stack one JSON key.
    value = {key: secrets.token_hex(16) for key in (GITHUB_TOKEN, WEBHOOK_SECRET, WEB_PASSWORD, REDIS_AUTH_TOKEN)}
    secretsmanager.create_secret(Name=name, SecretString=json.dumps(value))
    return True


def _ensure_zone(route53: Any, name: str, *, private: bool) -> bool:
    wanted = name.rstrip(".") + "."
    zones = route53.list_hosted_zones_by_name(DNSName=wanted)["HostedZones"]
    if any(zone["Name"] == wanted for zone in zones):
        return False
    route53.create_hosted_zone(Name=wanted, CallerReference=secrets.token_hex(8))
    return True
