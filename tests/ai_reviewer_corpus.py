"""The redaction corpus: secret samples and ordinary values drawn at test time, planted in a plan.

tests/fixtures/secret_corpus/ holds generators, never samples: formats.json describes each secret format
by its documented shape and source, ordinary.json the random-looking values a review needs to see. Samples
are drawn from a random generator seeded with the format id, so a run is repeatable while no committed
file holds anything a secret scanner could mistake for a leak.

Every secret sample is planted in five positions of a `terraform show -json` plan, each its own resource:
an environment variable of a Lambda function, a line of EC2 user data, the container definitions (JSON
in a string) of an ECS task definition, the free-text description of an SSM parameter, and the base64
user data of a launch template. The ordinary values go to the same positions of resources of their own.
"""

from __future__ import annotations

import base64
import gzip
import json
import random
import string
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).parent / "fixtures" / "secret_corpus"
SAMPLES_PER_FORMAT = 2
SAMPLES_PER_ORDINARY_KIND = 5
# The four positions of issue 14, and user data as launch templates carry it: base64, gzip-compressed for
# odd sample variants (Terraform's base64gzip()).
POSITIONS = ("lambda_environment", "user_data", "container_definitions", "description", "launch_template_user_data")

_CHARSETS = {
    "A": string.ascii_letters + string.digits,
    "a": string.ascii_lowercase + string.digits,
    "U": string.ascii_uppercase + string.digits,
    "L": string.ascii_letters,
    "h": "0123456789abcdef",
    "H": "0123456789ABCDEF",
    "d": string.digits,
    "b32": string.ascii_uppercase + "234567",
    "b64": string.ascii_letters + string.digits + "+/",
    "w": string.ascii_letters + string.digits + "_-",
    # bech32 (BIP 173), upper case as in age secret keys; in pieces, so that no scanner reads it as a secret
    "B32": "".join(("QPZRY9X8", "GF2TVDW0", "S3JN54KH", "CE6MUA7L")),
}
ACCOUNT = "123456789012"


@dataclass(frozen=True)
class Sample:
    """One value to plant: `planted` goes into the plan, `needle` is the part that must (not) survive."""

    kind: str  # format or ordinary kind id
    index: int
    variant: int  # picks the spelling in each position: the kind's ordinal plus the index, so that the
    # spellings rotate over the kinds and every spelling meets many formats
    key: str  # the credential (or ordinary) key name that carries it
    keyed: bool
    planted: str
    needle: str


def _charset(code: str) -> str:
    if not code.startswith("="):
        return _CHARSETS[code]
    characters: list[str] = []
    spec = code[1:]
    position = 0
    while position < len(spec):
        if position + 2 < len(spec) and spec[position + 1] == "-":
            characters.extend(chr(point) for point in range(ord(spec[position]), ord(spec[position + 2]) + 1))
            position += 3
        else:
            characters.append(spec[position])
            position += 1
    return "".join(characters)


def _policy_document(rng: random.Random) -> str:
    bucket = f"prod-artifacts-{rng.randrange(10**6):06d}"
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::{bucket}/*"]}],
    }
    return base64.b64encode(json.dumps(document).encode()).decode()


def draw(parts: list[Any], rng: random.Random) -> str:
    drawn: list[str] = []
    for part in parts:
        if isinstance(part, str):
            drawn.append(part)
            continue
        code, *size = part
        if code == "uuid":
            drawn.append(str(uuid.UUID(int=rng.getrandbits(128), version=4)))
        elif code == "policy":
            drawn.append(_policy_document(rng))
        else:
            length = size[0] if len(size) == 1 else rng.randint(size[0], size[1])
            alphabet = _charset(code)
            drawn.append("".join(rng.choice(alphabet) for _ in range(length)))
    return "".join(drawn)


def _fill(template: str, secret: str, rng: random.Random) -> str:
    return (
        template.replace("{secret}", secret)
        .replace("{tld}", "com")
        .replace("{digits6}", f"{rng.randrange(10**6):06d}")
        .replace("{digits7}", f"{rng.randrange(10**7):07d}")
    )


def load_formats() -> list[dict[str, Any]]:
    return list(json.loads((CORPUS / "formats.json").read_text())["formats"])


def load_ordinary_kinds() -> list[dict[str, Any]]:
    return list(json.loads((CORPUS / "ordinary.json").read_text())["kinds"])


def secret_samples() -> list[Sample]:
    samples = []
    for ordinal, secret_format in enumerate(load_formats()):
        for index in range(SAMPLES_PER_FORMAT):
            rng = random.Random(f"{secret_format['id']}:{index}")
            secret = draw(secret_format["parts"], rng)
            planted = _fill(secret_format.get("template", "{secret}"), secret, rng)
            samples.append(
                Sample(
                    secret_format["id"],
                    index,
                    ordinal + index,
                    secret_format["key"],
                    bool(secret_format.get("keyed")),
                    planted,
                    secret,
                )
            )
    return samples


def ordinary_samples() -> list[Sample]:
    samples = []
    for ordinal, kind in enumerate(load_ordinary_kinds()):
        for index in range(SAMPLES_PER_ORDINARY_KIND):
            value = draw(kind["parts"], random.Random(f"{kind['id']}:{index}"))
            samples.append(Sample(kind["id"], index, ordinal + index, kind["key"], False, value, value))
    return samples


# Positions. The spelling in each varies with the sample's variant.


def _lower_key(key: str) -> str:
    return key.lower()


def user_data(sample: Sample) -> str:
    key, value = sample.key, sample.planted
    styles = (
        f'export {key}="{value}"',
        f"cat > /etc/app/config.json <<'JSON'\n{json.dumps({_lower_key(key): value, 'region': 'ap-northeast-2'})}\nJSON",
        f"python3 - <<'PY'\nimport os\nsetting = os.getenv({json.dumps(_lower_key(key))}, {json.dumps(value)})\nPY",
        f"echo '{key}={value}' >> /etc/environment",
    )
    return (
        "#!/bin/bash\nset -euo pipefail\n"
        "yum install -y amazon-cloudwatch-agent jq\n"
        f"{styles[sample.variant % len(styles)]}\n"
        "systemctl enable --now app.service\n"
    )


def container_definitions(sample: Sample) -> str:
    if sample.variant % 2 == 0:
        environment = [{"name": "LOG_LEVEL", "value": "info"}, {"name": sample.key, "value": sample.planted}]
    else:
        # A JSON document in an environment variable: JSON in a JSON string.
        config = json.dumps({_lower_key(sample.key): sample.planted, "timeout_seconds": 30})
        environment = [{"name": "APP_CONFIG", "value": config}, {"name": "LOG_LEVEL", "value": "info"}]
    definition = {
        "name": "app",
        "image": f"{ACCOUNT}.dkr.ecr.ap-northeast-2.amazonaws.com/app:1.4.2",
        "cpu": 256,
        "memory": 512,
        "essential": True,
        "environment": environment,
        "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": "/ecs/app",
                "awslogs-region": "ap-northeast-2",
                "awslogs-stream-prefix": "app",
            },
        },
    }
    return json.dumps([definition])


def description(sample: Sample) -> str:
    key, value = sample.key, sample.planted
    if sample.keyed:
        phrase = key.replace("_", " ").lower()
        styles = (
            f"Rotated by the platform team; {key}={value} until the vault migration",
            f'Bootstrap config: {{"{_lower_key(key)}": "{value}"}}',
            f"The client falls back to getenv('{_lower_key(key)}', '{value}') when the parameter is missing",
            f"Legacy {phrase}: {value} (do not use for new services)",
        )
    else:
        styles = (
            f"Migrated from the legacy runner, old value {value} (rotate after cutover)",
            f"Imported from the Jenkins credential store ({value}); owner: platform",
            f"See OPS-1432. Value at import time was {value}.",
            f"{key}={value}",
        )
    return styles[sample.variant % len(styles)]


# The plan


def _change(address: str, resource_type: str, name: str, after: dict[str, Any]) -> dict[str, Any]:
    return {
        "address": address,
        "mode": "managed",
        "type": resource_type,
        "name": name,
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {
            "actions": ["create"],
            "before": None,
            "after": after,
            "after_unknown": {"arn": True, "id": True, "tags_all": True},
            "before_sensitive": False,
            "after_sensitive": {"tags": {}, "tags_all": {}},
        },
    }


def _resources(prefix: str, sample: Sample) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    name = f"{prefix}_{sample.kind.replace('-', '_')}_{sample.index}"
    tags = {"Environment": "prod", "ManagedBy": "terraform"}
    yield (
        "lambda_environment",
        "aws_lambda_function",
        name,
        {
            "function_name": name.replace("_", "-"),
            "role": f"arn:aws:iam::{ACCOUNT}:role/{name}-lambda",
            "handler": "app.handler",
            "runtime": "python3.12",
            "architectures": ["arm64"],
            "memory_size": 512,
            "timeout": 30,
            "environment": [{"variables": {"LOG_LEVEL": "info", sample.key: sample.planted}}],
            "tags": tags,
        },
    )
    yield (
        "user_data",
        "aws_instance",
        name,
        {
            "ami": "ami-0c9c942bd7bf113a2",
            "instance_type": "t3.small",
            "subnet_id": "subnet-0a1b2c3d4e5f60718",
            "user_data": user_data(sample),
            "user_data_replace_on_change": False,
            "metadata_options": [{"http_tokens": "required", "http_endpoint": "enabled"}],
            "tags": tags,
        },
    )
    script = user_data(sample).encode()
    yield (
        "launch_template_user_data",
        "aws_launch_template",
        name,
        {
            "name": name.replace("_", "-"),
            "image_id": "ami-0c9c942bd7bf113a2",
            "instance_type": "t3.small",
            "user_data": base64.b64encode(gzip.compress(script, mtime=0) if sample.variant % 2 else script).decode(),
            "update_default_version": True,
            "tags": tags,
        },
    )
    yield (
        "container_definitions",
        "aws_ecs_task_definition",
        name,
        {
            "family": name.replace("_", "-"),
            "container_definitions": container_definitions(sample),
            "cpu": "256",
            "memory": "512",
            "network_mode": "awsvpc",
            "requires_compatibilities": ["FARGATE"],
            "execution_role_arn": f"arn:aws:iam::{ACCOUNT}:role/ecs-execution",
            "tags": tags,
        },
    )
    yield (
        "description",
        "aws_ssm_parameter",
        name,
        {
            "name": f"/prod/{name}",
            "type": "SecureString",
            "value": None,
            "description": description(sample),
            "tier": "Standard",
            "tags": tags,
        },
    )


@dataclass(frozen=True)
class Planting:
    sample: Sample
    position: str
    address: str


def build_plan(secrets: list[Sample], ordinary: list[Sample]) -> tuple[dict[str, Any], list[Planting]]:
    """A `terraform show -json` plan with every sample in every position, one resource per planting."""
    changes: list[dict[str, Any]] = []
    planted_values: list[dict[str, Any]] = []
    plantings: list[Planting] = []
    for prefix, samples in (("secret", secrets), ("ordinary", ordinary)):
        for sample in samples:
            for position, resource_type, name, after in _resources(prefix, sample):
                address = f"{resource_type}.{name}"
                change = _change(address, resource_type, name, after)
                if resource_type == "aws_ssm_parameter":
                    change["change"]["after_sensitive"]["value"] = True
                changes.append(change)
                planted_values.append(
                    {
                        "address": address,
                        "mode": "managed",
                        "type": resource_type,
                        "name": name,
                        "provider_name": "registry.terraform.io/hashicorp/aws",
                        "schema_version": 0,
                        "values": after,
                        "sensitive_values": change["change"]["after_sensitive"],
                    }
                )
                plantings.append(Planting(sample, position, address))
    plan = {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "planned_values": {"root_module": {"resources": planted_values}},
        "resource_changes": changes,
        "configuration": {
            "provider_config": {"aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws"}}
        },
        "timestamp": "2026-12-03T21:00:00Z",
        "applyable": True,
        "complete": True,
        "errored": False,
    }
    return plan, plantings
