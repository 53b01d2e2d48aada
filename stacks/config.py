"""The one place configuration is read: ``config/<env>.tfvars`` plus the StackKit environment overrides.

Everything here is plain Python (no cdktf, no provider import), so a bad file is reported in milliseconds,
before the slow provider import, and the deploy tooling can share the same rules.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import hcl2

# GitHub's webhook delivery ranges ("hooks" in https://api.github.com/meta), read 2026-11-26. Refresh with:
#   curl -s https://api.github.com/meta | jq -c .hooks
GITHUB_WEBHOOK_CIDRS = (
    "192.30.252.0/22",
    "185.199.108.0/22",
    "140.82.112.0/20",
    "143.55.64.0/20",
    "2a0a:a440::/29",
    "2606:50c0::/32",
)
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ATLANTIS_IMAGE = "ghcr.io/runatlantis/atlantis:v0.47.1"
# Terraform versions the default image ships on PATH as terraform<version> (runatlantis/atlantis v0.47.1
# Dockerfile:9 and :156-160); Atlantis uses such a binary instead of downloading one (server/core/terraform/tfclient/
# terraform_client.go:669-673). The default is the image's own default, so a new task downloads nothing.
IMAGE_TERRAFORM_VERSIONS = ("1.8.5", "1.9.8", "1.10.5", "1.14.9")
DEFAULT_TERRAFORM_VERSION = "1.14.9"

# StackKit environment variables that override keys from the file (SPEC "Configuration").
ENV_OVERRIDES = {
    "TF_STACK_REGION": "aws_region",
    "TF_STACK_NAME": "stack_name",
    "TF_VERSION": "terraform_version",
}

# Commercial and GovCloud regions that run ECS Fargate, ALB, EFS and Secrets Manager.
AWS_REGIONS = frozenset(
    {
        "af-south-1",
        "ap-east-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-7",
        "ca-central-1",
        "ca-west-1",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "us-gov-east-1",
        "us-gov-west-1",
    }
)

# Valid Fargate CPU units and the memory (MiB) each allows.
FARGATE_SIZES: dict[int, range] = {
    256: range(512, 2049, 512),
    512: range(1024, 4097, 1024),
    1024: range(2048, 8193, 1024),
    2048: range(4096, 16385, 1024),
    4096: range(8192, 30721, 1024),
    8192: range(16384, 61441, 4096),
    16384: range(32768, 122881, 8192),
}

# NAT instance sizes: Graviton, to match the arm64 Amazon Linux 2023 image the NAT instance boots.
NAT_INSTANCE_TYPES = ("t4g.nano", "t4g.micro", "t4g.small", "t4g.medium")

CLOUDWATCH_RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)

_GITHUB_ORG = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
_GITHUB_USER = _GITHUB_ORG
_ENVIRONMENT = re.compile(r"^[a-z][a-z0-9-]{0,15}$")
_STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,62}$")
_SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
_VPC_ID = re.compile(r"^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
_SUBNET_ID = re.compile(r"^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
_BUCKET = re.compile(r"^(?!xn--)(?!sthree-)(?!.*-s3alias$)(?!.*--ol-s3$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_TABLE = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
_HOSTNAME_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_AWS_PROVIDER_VERSION = re.compile(r"^6\.\d+\.\d+$")
_TERRAFORM_VERSION = re.compile(r"^\d+\.\d+\.\d+(?:-(?:alpha|beta|rc)\d*)?$")
_IMAGE_WITH_TAG = re.compile(
    r"^[a-z0-9][a-z0-9._/:-]*[a-z0-9](?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$"
)
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
_REPO_PATTERN = re.compile(r"^[a-z0-9.-]+(?::\d+)?/[A-Za-z0-9_.*-]+(?:/[A-Za-z0-9_.*-]+)*$")
_IAM_POLICY_ARN = re.compile(r"^arn:aws(?:-[a-z]+)*:iam::(?:aws|\d{12}):policy/[\w+=,.@/-]+$")
_IAM_ROLE_ARN = re.compile(r"^arn:aws(?:-[a-z]+)*:iam::\d{12}:role/[\w+=,.@/-]+$")


class ConfigError(Exception):
    """A configuration problem, reported as one line: ``<file>: <key>: <what is wrong>; expected <what>``."""

    def __init__(self, source: str, key: str | None, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        where = f"{source}: {key}" if key else source
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class AtlantisConfig:
    """One environment's validated settings. Field names are the tfvars keys."""

    source: str
    org_name: str
    environment: str
    aws_region: str
    stack_name: str
    secret_name: str
    git_username: str
    repo_allowlist: tuple[str, ...]
    use_existing_vpc: bool = False
    existing_vpc_id: str = ""
    existing_public_subnet_ids: tuple[str, ...] = ()
    existing_private_subnet_ids: tuple[str, ...] = ()
    existing_state_bucket: str = ""
    existing_lock_table: str = ""
    custom_domain: str = ""
    certificate_arn: str = ""
    enable_infracost: bool = False
    enable_ai_reviewer: bool = False
    terraform_version: str = DEFAULT_TERRAFORM_VERSION
    atlantis_image: str = DEFAULT_ATLANTIS_IMAGE
    # Keys this project adds (documented in terraform.tfvars.example).
    vpc_cidr: str = "10.0.0.0/16"
    single_nat_gateway: bool = False
    route53_zone_name: str = ""
    allowed_cidrs: tuple[str, ...] = ("0.0.0.0/0",)
    task_cpu: int = 1024
    task_memory: int = 2048
    log_retention_days: int = 365
    deletion_protection: bool = True
    enable_efs_backup: bool = True
    task_policy_arns: tuple[str, ...] = ()
    task_assume_role_arns: tuple[str, ...] = ()
    alarm_emails: tuple[str, ...] = ()
    enable_slack_notifications: bool = False
    ai_provider: str = "openai"
    ai_model: str = ""
    plan_retention_days: int = 30
    ai_max_concurrency: int = 2
    # Security (see README "Security").
    kms_key_mode: str = "customer"
    enable_waf: bool = True
    waf_rate_limit: int = 2000
    enable_vpc_flow_logs: bool = True
    enable_alb_access_logs: bool = True
    access_log_retention_days: int = 90
    auth_mode: str = "basic"
    web_username: str = "atlantis"
    oidc_issuer: str = ""
    oidc_authorization_endpoint: str = ""
    oidc_token_endpoint: str = ""
    oidc_user_info_endpoint: str = ""
    oidc_client_id: str = ""
    cognito_user_pool_arn: str = ""
    cognito_user_pool_client_id: str = ""
    cognito_user_pool_domain: str = ""
    restrict_webhooks_to_github: bool = False
    github_webhook_cidrs: tuple[str, ...] = GITHUB_WEBHOOK_CIDRS
    enable_ecs_exec: bool = False
    availability_zones: tuple[str, ...] = ()
    # Capacity and Atlantis depth.
    desired_count: int = 1
    autoscaling_max_count: int = 0
    locking_db: str = "boltdb"
    use_fargate_spot: bool = False
    cpu_architecture: str = ""
    github_app_id: str = ""
    extra_tags: Mapping[str, str] = field(default_factory=dict)
    # Cost (see README "Monthly cost"): each switch trades something named there for a measured saving.
    cost_profile: str = "standard"
    nat_type: str = "gateway"
    nat_instance_type: str = "t4g.nano"
    enable_container_insights: bool = True
    flow_log_destination: str = "cloudwatch"
    flow_log_retention_days: int = 365
    waf_log_retention_days: int = 365
    # Framework (see README "Moving to CDK Terrain"): "" keeps the provider version the AWS bindings were made for.
    aws_provider_version: str = ""

    @property
    def has_certificate(self) -> bool:
        return bool(self.certificate_arn or (self.custom_domain and self.route53_zone_name))

    @property
    def atlantis_scheme(self) -> str:
        return "https" if self.has_certificate else "http"

    @property
    def zone_names(self) -> tuple[str, ...]:
        """Zones the VPC may use, pinned by name so a new AZ never silently joins the set."""
        return self.availability_zones or tuple(f"{self.aws_region}{letter}" for letter in "abcd")

    @property
    def task_architecture(self) -> str:
        """ARM64 (Graviton, cheaper) unless Fargate Spot is on: Spot capacity exists for X86_64 only."""
        return self.cpu_architecture or ("X86_64" if self.use_fargate_spot else "ARM64")

    @property
    def flow_logs_to_s3(self) -> bool:
        """Flow logs exist only for a VPC this stack creates."""
        return self.enable_vpc_flow_logs and not self.use_existing_vpc and self.flow_log_destination == "s3"

    @property
    def max_task_count(self) -> int:
        return max(self.desired_count, self.autoscaling_max_count)

    @property
    def state_bucket(self) -> str:
        return self.existing_state_bucket or default_state_bucket(self.org_name, self.aws_region)

    @property
    def lock_table(self) -> str:
        return self.existing_lock_table or default_lock_table(self.org_name)

    @property
    def state_key(self) -> str:
        return f"{self.stack_name}/terraform.tfstate"

    @property
    def resolved_ai_model(self) -> str:
        if self.ai_model:
            return self.ai_model
        return "gpt-4o-mini" if self.ai_provider == "openai" else "anthropic.claude-3-5-sonnet-20240620-v1:0"


def default_state_bucket(org_name: str, aws_region: str) -> str:
    return f"{org_name.lower()}-atlantis-tfstate-{aws_region}"


def default_lock_table(org_name: str) -> str:
    return f"{org_name.lower()}-atlantis-tf-lock"


# Keys whose default depends on the environment: production gets the safer, costlier choice.
def _environment_defaults(environment: str) -> dict[str, Any]:
    production = environment == "prod"
    return {
        "single_nat_gateway": not production,
        "deletion_protection": production,
        "enable_efs_backup": production,
        "use_fargate_spot": not production,
        "nat_type": "gateway" if production else "instance",
        "enable_container_insights": production,
        "flow_log_destination": "cloudwatch" if production else "s3",
    }


# cost_profile = "budget": one key for this group of defaults (README "Monthly cost" prices it and says what it gives
# up). Keys set in the file still win; the environment's other defaults stay.
COST_PROFILES: dict[str, dict[str, Any]] = {
    "standard": {},
    "budget": {
        "nat_type": "instance",
        "enable_container_insights": False,
        "flow_log_destination": "s3",
    },
}


_REQUIRED = (
    "org_name",
    "environment",
    "aws_region",
    "stack_name",
    "secret_name",
    "git_username",
    "repo_allowlist",
)


def _type_name(annotation: str) -> str:
    return {
        "str": "a string",
        "bool": "true or false",
        "int": "a whole number",
        "tuple[str, ...]": "a list of strings",
        "Mapping[str, str]": "a map of strings",
    }[annotation]


_FIELD_TYPES = {f.name: str(f.type) for f in fields(AtlantisConfig) if f.name != "source"}


def _coerce(source: str, key: str, value: Any) -> Any:
    expected = _FIELD_TYPES[key]
    if isinstance(value, str) and "${" in value:
        raise ConfigError(source, key, "expressions are not allowed in tfvars; expected a literal value")
    ok: bool
    if expected == "str":
        ok = isinstance(value, str)
    elif expected == "bool":
        ok = isinstance(value, bool)
    elif expected == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif expected == "tuple[str, ...]":
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
        value = tuple(value) if ok else value
    else:  # Mapping[str, str]
        ok = isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    if not ok:
        raise ConfigError(source, key, f"got {_describe(value)}; expected {_type_name(expected)}")
    return value


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f'the string "{value}"'
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a map"
    return "null" if value is None else type(value).__name__


def display_path(path: Path) -> str:
    """The path as a user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def parse_tfvars(path: Path) -> dict[str, Any]:
    """Parse an HCL tfvars file; syntax errors become a ConfigError with the file and line."""
    text = path.read_text(encoding="utf-8")
    try:
        parsed = hcl2.loads(text, serialization_options=hcl2.SerializationOptions(strip_string_quotes=True))
    except Exception as exc:  # lark raises several exception types; all carry line/column when known
        line = getattr(exc, "line", None)
        where = f"line {line}" if line else "syntax"
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        source = f"{display_path(path)}:{line}" if line else display_path(path)
        raise ConfigError(source, None, f"HCL {where}: {first_line}") from None
    parsed = {key: value for key, value in parsed.items() if not key.startswith("__")}  # parser metadata
    blocks = [key for key, value in parsed.items() if isinstance(value, list) and value and isinstance(value[0], dict)]
    if blocks:
        raise ConfigError(display_path(path), blocks[0], "blocks are not allowed in tfvars; expected key = value")
    return parsed


def load_config(path: Path, environ: Mapping[str, str] | None = None) -> AtlantisConfig:
    """Build and validate one environment's configuration from its tfvars file and the StackKit env overrides."""
    environ = os.environ if environ is None else environ
    source = display_path(path)
    if not path.is_file():
        raise ConfigError(source, None, "file not found; expected config/<env>.tfvars")
    raw = parse_tfvars(path)
    unknown = sorted(set(raw) - set(_FIELD_TYPES))
    if unknown:
        raise ConfigError(source, unknown[0], f"unknown key; expected one of: {', '.join(sorted(_FIELD_TYPES))}")
    values: dict[str, Any] = {key: _coerce(source, key, value) for key, value in raw.items() if value is not None}
    for variable, key in ENV_OVERRIDES.items():
        if environ.get(variable):
            values[key] = environ[variable]
    for key in _REQUIRED:
        if key not in values:
            raise ConfigError(source, key, "missing; this key is required")
    profile = values.get("cost_profile", "standard")
    if profile not in COST_PROFILES:
        expected = " or ".join(f'"{name}"' for name in COST_PROFILES)
        raise ConfigError(source, "cost_profile", f'"{profile}" is not a cost profile; expected {expected}')
    for key, value in {**_environment_defaults(values["environment"]), **COST_PROFILES[profile]}.items():
        values.setdefault(key, value)
    config = AtlantisConfig(source=source, **values)
    validate(config)
    return config


def _check(condition: bool, config: AtlantisConfig, key: str, problem: str) -> None:
    if not condition:
        raise ConfigError(config.source, key, problem)


def _is_hostname(name: str) -> bool:
    labels = name.split(".")
    return len(name) <= 253 and len(labels) >= 2 and all(_HOSTNAME_LABEL.match(label) for label in labels)


def _is_cidr(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError:
        return False
    return True


def _each(config: AtlantisConfig, key: str, valid: Callable[[str], bool], expected: str) -> None:
    for item in getattr(config, key):
        _check(valid(item), config, key, f'"{item}" is not valid; expected {expected}')


def validate(config: AtlantisConfig) -> None:
    c = config
    _check(
        bool(_GITHUB_ORG.match(c.org_name)),
        c,
        "org_name",
        f'"{c.org_name}" is not a GitHub organization name; expected 1-39 letters, digits or single hyphens, '
        "not starting or ending with a hyphen",
    )
    _check(
        bool(_ENVIRONMENT.match(c.environment)),
        c,
        "environment",
        f'"{c.environment}" is not valid; expected lowercase letters, digits or hyphens (e.g. prod, dev)',
    )
    _check(
        c.aws_region in AWS_REGIONS,
        c,
        "aws_region",
        f'"{c.aws_region}" is not an AWS region; expected a region code such as ap-northeast-2',
    )
    _check(
        bool(_STACK_NAME.match(c.stack_name)),
        c,
        "stack_name",
        f'"{c.stack_name}" is not valid; expected a letter then up to 62 letters, digits, hyphens or underscores',
    )
    _check(
        bool(_SECRET_NAME.match(c.secret_name)),
        c,
        "secret_name",
        f'"{c.secret_name}" is not a Secrets Manager name; expected 1-512 of letters, digits and /_+=.@-',
    )
    _check(
        bool(_GITHUB_USER.match(c.git_username)),
        c,
        "git_username",
        f'"{c.git_username}" is not a GitHub user name; expected 1-39 letters, digits or single hyphens',
    )
    _check(
        bool(c.repo_allowlist),
        c,
        "repo_allowlist",
        f'is empty; expected at least one pattern such as "github.com/{c.org_name}/*"',
    )
    _each(c, "repo_allowlist", lambda p: bool(_REPO_PATTERN.match(p)), "a pattern such as github.com/org/*")
    _check(
        not c.aws_provider_version or bool(_AWS_PROVIDER_VERSION.match(c.aws_provider_version)),
        c,
        "aws_provider_version",
        f'"{c.aws_provider_version}" is not a hashicorp/aws 6.x version; expected 6.MINOR.PATCH such as 6.25.0 '
        "(both frameworks' bindings are made for 6.x), or leave it unset",
    )
    _check(
        bool(_TERRAFORM_VERSION.match(c.terraform_version)),
        c,
        "terraform_version",
        f'"{c.terraform_version}" is not a Terraform version; expected MAJOR.MINOR.PATCH such as 1.14.9',
    )
    _check(
        bool(_IMAGE_WITH_TAG.match(c.atlantis_image)) and not c.atlantis_image.endswith(":latest"),
        c,
        "atlantis_image",
        f'"{c.atlantis_image}" has no pinned tag; expected an image with a version tag or digest, '
        f"such as {DEFAULT_ATLANTIS_IMAGE}",
    )
    _validate_network(c)
    _validate_cost_options(c)
    _validate_tls(c)
    _validate_backend(c)
    _validate_service(c)
    _validate_integrations(c)
    _validate_security(c)
    _validate_capacity(c)


def _validate_network(c: AtlantisConfig) -> None:
    _check(_is_cidr(c.vpc_cidr), c, "vpc_cidr", f'"{c.vpc_cidr}" is not a CIDR block; expected e.g. 10.0.0.0/16')
    if _is_cidr(c.vpc_cidr):
        prefix = ipaddress.ip_network(c.vpc_cidr).prefixlen
        _check(16 <= prefix <= 22, c, "vpc_cidr", f'"{c.vpc_cidr}" has prefix /{prefix}; expected /16 to /22')
    _each(c, "allowed_cidrs", _is_cidr, "a CIDR block such as 203.0.113.0/24")
    _check(bool(c.allowed_cidrs), c, "allowed_cidrs", "is empty; expected at least one CIDR block")
    _each(
        c,
        "existing_public_subnet_ids",
        lambda s: bool(_SUBNET_ID.match(s)),
        "a subnet id such as subnet-0abc1234",
    )
    _each(
        c,
        "existing_private_subnet_ids",
        lambda s: bool(_SUBNET_ID.match(s)),
        "a subnet id such as subnet-0abc1234",
    )
    if c.existing_vpc_id:
        _check(
            bool(_VPC_ID.match(c.existing_vpc_id)),
            c,
            "existing_vpc_id",
            f'"{c.existing_vpc_id}" is not a VPC id; expected vpc- and 8 or 17 hex digits',
        )
    if c.use_existing_vpc:
        _check(
            bool(c.existing_vpc_id),
            c,
            "existing_vpc_id",
            "is empty but use_existing_vpc = true; expected a VPC id",
        )
        _check(
            len(set(c.existing_private_subnet_ids)) >= 2,
            c,
            "existing_private_subnet_ids",
            f"has {len(set(c.existing_private_subnet_ids))} subnet(s) but use_existing_vpc = true; "
            "expected at least two private subnets in different AZs",
        )
        _check(
            len(set(c.existing_public_subnet_ids)) >= 2,
            c,
            "existing_public_subnet_ids",
            f"has {len(set(c.existing_public_subnet_ids))} subnet(s) but use_existing_vpc = true; "
            "expected at least two public subnets for the load balancer",
        )
    else:
        for key in ("existing_vpc_id", "existing_public_subnet_ids", "existing_private_subnet_ids"):
            _check(
                not getattr(c, key),
                c,
                key,
                "is set but use_existing_vpc = false; expected use_existing_vpc = true",
            )


def _validate_cost_options(c: AtlantisConfig) -> None:
    _one_of(c, "nat_type", ("gateway", "instance"))
    _check(
        c.nat_instance_type in NAT_INSTANCE_TYPES,
        c,
        "nat_instance_type",
        f'"{c.nat_instance_type}" is not supported; expected one of {", ".join(NAT_INSTANCE_TYPES)} '
        "(Graviton, for the arm64 Amazon Linux 2023 image)",
    )
    _one_of(c, "flow_log_destination", ("cloudwatch", "s3"))


def _validate_tls(c: AtlantisConfig) -> None:
    if c.custom_domain:
        _check(
            _is_hostname(c.custom_domain),
            c,
            "custom_domain",
            f'"{c.custom_domain}" is not a hostname; expected e.g. atlantis.example.com',
        )
    if c.route53_zone_name:
        _check(
            _is_hostname(c.route53_zone_name.rstrip(".")),
            c,
            "route53_zone_name",
            f'"{c.route53_zone_name}" is not a DNS zone name; expected e.g. example.com',
        )
        _check(
            bool(c.custom_domain),
            c,
            "custom_domain",
            "is empty but route53_zone_name is set; expected a hostname",
        )
        zone = c.route53_zone_name.rstrip(".")
        _check(
            c.custom_domain == zone or c.custom_domain.endswith("." + zone),
            c,
            "custom_domain",
            f'"{c.custom_domain}" is not inside route53_zone_name "{zone}"; expected a name in that zone',
        )
    if c.certificate_arn:
        pattern = rf"^arn:aws(?:-[a-z]+)*:acm:{re.escape(c.aws_region)}:\d{{12}}:certificate/[0-9a-f-]{{36}}$"
        _check(
            bool(re.match(pattern, c.certificate_arn)),
            c,
            "certificate_arn",
            f'"{c.certificate_arn}" is not an ACM certificate ARN in {c.aws_region}; '
            f"expected arn:aws:acm:{c.aws_region}:<account>:certificate/<uuid>",
        )
        _check(
            not c.route53_zone_name,
            c,
            "route53_zone_name",
            "is set together with certificate_arn; expected one",
        )


def _validate_backend(c: AtlantisConfig) -> None:
    # The default bucket name derives from org_name and aws_region, so a bad default is reported on org_name.
    key = "existing_state_bucket" if c.existing_state_bucket else "org_name"
    _check(
        bool(_BUCKET.match(c.state_bucket)) and ".." not in c.state_bucket,
        c,
        key,
        f'state bucket name "{c.state_bucket}" is not a valid S3 bucket name; '
        "expected 3-63 lowercase letters, digits, dots or hyphens",
    )
    if c.existing_lock_table:
        _check(
            bool(_TABLE.match(c.existing_lock_table)),
            c,
            "existing_lock_table",
            f'"{c.existing_lock_table}" is not a DynamoDB table name; expected 3-255 of letters, digits, _ . -',
        )


def _validate_service(c: AtlantisConfig) -> None:
    _check(
        c.task_cpu in FARGATE_SIZES,
        c,
        "task_cpu",
        f"{c.task_cpu} is not a Fargate CPU size; expected one of {', '.join(map(str, FARGATE_SIZES))}",
    )
    if c.task_cpu in FARGATE_SIZES:
        allowed = FARGATE_SIZES[c.task_cpu]
        _check(
            c.task_memory in allowed,
            c,
            "task_memory",
            f"{c.task_memory} MiB does not fit task_cpu {c.task_cpu}; expected {allowed.start}-{allowed[-1]} "
            f"in steps of {allowed.step}",
        )
    for key in ("log_retention_days", "flow_log_retention_days", "waf_log_retention_days"):
        value = getattr(c, key)
        _check(
            value in CLOUDWATCH_RETENTION_DAYS,
            c,
            key,
            f"{value} is not a CloudWatch retention; expected one of {', '.join(map(str, sorted(CLOUDWATCH_RETENTION_DAYS)))}",
        )
    _check(
        1 <= c.plan_retention_days <= 3650,
        c,
        "plan_retention_days",
        f"{c.plan_retention_days}; expected 1-3650",
    )
    _each(c, "task_policy_arns", lambda a: bool(_IAM_POLICY_ARN.match(a)), "an IAM policy ARN")
    _each(c, "task_assume_role_arns", lambda a: bool(_IAM_ROLE_ARN.match(a)), "an IAM role ARN")
    for key, value in c.extra_tags.items():
        _check(bool(re.match(r"^[\w .:/=+@-]{1,128}$", key)), c, "extra_tags", f'tag key "{key}" is not valid')
        _check(len(value) <= 256, c, "extra_tags", f'tag "{key}" value is longer than 256 characters')


def _validate_integrations(c: AtlantisConfig) -> None:
    _each(c, "alarm_emails", lambda e: bool(_EMAIL.match(e)), "an email address such as ops@example.com")
    _check(
        c.ai_provider in ("openai", "bedrock"),
        c,
        "ai_provider",
        f'"{c.ai_provider}" is not supported; expected "openai" or "bedrock"',
    )


def _one_of(c: AtlantisConfig, key: str, allowed: tuple[str, ...]) -> None:
    value = getattr(c, key)
    expected = " or ".join(f'"{item}"' for item in allowed)
    _check(value in allowed, c, key, f'"{value}" is not supported; expected {expected}')


def _is_https_url(value: str) -> bool:
    return bool(re.match(r"^https://[A-Za-z0-9.-]+(?::\d+)?(?:/\S*)?$", value))


def _validate_security(c: AtlantisConfig) -> None:
    _one_of(c, "kms_key_mode", ("customer", "aws"))
    _check(1 <= c.ai_max_concurrency <= 50, c, "ai_max_concurrency", f"{c.ai_max_concurrency}; expected 1-50")
    if c.ai_provider == "bedrock" and c.enable_ai_reviewer:
        _check(
            bool(re.match(r"^[a-z0-9-]+\.[A-Za-z0-9.:_-]+$", c.resolved_ai_model)),
            c,
            "ai_model",
            f'"{c.resolved_ai_model}" is not a Bedrock model id; expected e.g. anthropic.claude-3-5-sonnet-20240620-v1:0',
        )
    _one_of(c, "auth_mode", ("basic", "oidc", "cognito"))
    _check(100 <= c.waf_rate_limit <= 2_000_000_000, c, "waf_rate_limit", f"{c.waf_rate_limit}; expected 100 or more")
    _check(
        1 <= c.access_log_retention_days <= 3650,
        c,
        "access_log_retention_days",
        f"{c.access_log_retention_days}; expected 1-3650",
    )
    _check(bool(_GITHUB_USER.match(c.web_username)), c, "web_username", f'"{c.web_username}"; expected letters/digits')
    _each(c, "github_webhook_cidrs", _is_cidr, "a CIDR block from GitHub's meta API (hooks)")
    if c.restrict_webhooks_to_github:
        _check(c.enable_waf, c, "restrict_webhooks_to_github", "needs enable_waf = true; expected both true")
        _check(bool(c.github_webhook_cidrs), c, "github_webhook_cidrs", "is empty; expected GitHub's hooks ranges")
    region_zone = re.compile(rf"^{re.escape(c.aws_region)}[a-z]$")
    _each(c, "availability_zones", lambda z: bool(region_zone.match(z)), f"a zone name in {c.aws_region}")
    if c.availability_zones:
        _check(len(set(c.availability_zones)) >= 2, c, "availability_zones", "lists one zone; expected at least two")
    if c.auth_mode in ("oidc", "cognito"):
        _check(
            c.has_certificate,
            c,
            "auth_mode",
            f'"{c.auth_mode}" needs HTTPS (ALB authentication works on HTTPS listeners only); '
            "expected certificate_arn or custom_domain + route53_zone_name",
        )
    if c.auth_mode == "oidc":
        for key in ("oidc_issuer", "oidc_authorization_endpoint", "oidc_token_endpoint", "oidc_user_info_endpoint"):
            _check(
                _is_https_url(getattr(c, key)),
                c,
                key,
                f'"{getattr(c, key)}" is not an https URL; expected one for auth_mode = "oidc"',
            )
        _check(bool(c.oidc_client_id), c, "oidc_client_id", 'is empty; expected the client id for auth_mode = "oidc"')
    if c.auth_mode == "cognito":
        _check(
            bool(
                re.match(
                    rf"^arn:aws(?:-[a-z]+)*:cognito-idp:{re.escape(c.aws_region)}:\d{{12}}:userpool/[\w-]+$",
                    c.cognito_user_pool_arn,
                )
            ),
            c,
            "cognito_user_pool_arn",
            f'"{c.cognito_user_pool_arn}" is not a Cognito user pool ARN in {c.aws_region}; expected one for auth_mode = "cognito"',
        )
        _check(
            bool(c.cognito_user_pool_client_id),
            c,
            "cognito_user_pool_client_id",
            "is empty; expected the app client id",
        )
        _check(
            bool(c.cognito_user_pool_domain),
            c,
            "cognito_user_pool_domain",
            "is empty; expected the user pool domain prefix",
        )


def _validate_capacity(c: AtlantisConfig) -> None:
    _one_of(c, "locking_db", ("boltdb", "redis"))
    if c.cpu_architecture:
        _one_of(c, "cpu_architecture", ("ARM64", "X86_64"))
    _check(
        not (c.use_fargate_spot and c.cpu_architecture == "ARM64"),
        c,
        "cpu_architecture",
        '"ARM64" with use_fargate_spot = true: Fargate Spot runs X86_64 tasks only; expected "X86_64" or no Spot',
    )
    _check(1 <= c.desired_count <= 10, c, "desired_count", f"{c.desired_count}; expected 1-10")
    _check(
        c.autoscaling_max_count == 0 or c.autoscaling_max_count >= c.desired_count,
        c,
        "autoscaling_max_count",
        f"{c.autoscaling_max_count} is below desired_count {c.desired_count}; expected 0 (off) or at least desired_count",
    )
    if c.locking_db == "boltdb":
        _check(
            c.max_task_count == 1,
            c,
            "desired_count" if c.desired_count > 1 else "autoscaling_max_count",
            f'{c.max_task_count} tasks with locking_db = "boltdb": BoltDB allows a single Atlantis process; '
            'expected 1, or locking_db = "redis" for more',
        )
    if c.github_app_id:
        _check(
            c.github_app_id.isdigit(),
            c,
            "github_app_id",
            f'"{c.github_app_id}" is not a GitHub App id; expected digits',
        )
        _check(
            not c.enable_ai_reviewer,
            c,
            "enable_ai_reviewer",
            "needs a user token to comment on pull requests, but github_app_id selects GitHub App mode; "
            "expected enable_ai_reviewer = false with github_app_id",
        )
    if c.enable_infracost:
        _check(
            c.atlantis_image != DEFAULT_ATLANTIS_IMAGE,
            c,
            "atlantis_image",
            "is the stock Atlantis image, which has no infracost binary, but enable_infracost = true; "
            "expected an image built from images/atlantis-infracost (see README)",
        )


def config_path(environment: str, config_dir: Path) -> Path:
    return config_dir / f"{environment}.tfvars"


def discover_environments(config_dir: Path) -> list[str]:
    return sorted(path.stem for path in config_dir.glob("*.tfvars"))


def load_all(config_dir: Path, environ: Mapping[str, str] | None = None) -> list[AtlantisConfig]:
    """Load the environments to synthesize: all config/*.tfvars, or those named in STACKKIT_ENVIRONMENTS."""
    environ = os.environ if environ is None else environ
    framework_installed_here(environ)  # a mistyped or missing framework is reported here, before jsii starts
    selected = [name.strip() for name in environ.get("STACKKIT_ENVIRONMENTS", "").split(",") if name.strip()]
    available = discover_environments(config_dir)
    for name in selected:
        if name not in available:
            raise ConfigError(
                "STACKKIT_ENVIRONMENTS",
                None,
                f"no config/{name}.tfvars; expected one of: {', '.join(available)}",
            )
    names = selected or available
    if not names:
        raise ConfigError(str(config_dir), None, "no *.tfvars files; expected config/prod.tfvars")
    if environ.get("TF_STACK_NAME") and len(names) > 1:
        raise ConfigError(
            "TF_STACK_NAME",
            None,
            f"names one stack but {len(names)} environments are selected; "
            "expected STACKKIT_ENVIRONMENTS set to one environment",
        )
    configs = [load_config(config_path(name, config_dir), environ) for name in names]
    _check_unique(configs)
    return configs


def _check_unique(configs: list[AtlantisConfig]) -> None:
    seen: dict[str, str] = {}
    for config in configs:
        for key in ("stack_name", "environment", "secret_name"):
            value = getattr(config, key)
            marker = f"{key}={value}"
            if marker in seen:
                raise ConfigError(
                    config.source, key, f'"{value}" is also used by {seen[marker]}; expected a unique value'
                )
            seen[marker] = config.source


def output_directory(environ: Mapping[str, str] | None = None) -> str | None:
    """Where ``python main.py`` writes: STACKKIT_OUTDIR or ./cdktf.out; None when the cdktf CLI runs the app and
    owns the folder (it sets CDKTF_OUTDIR)."""
    environ = os.environ if environ is None else environ
    if environ.get("CDKTF_OUTDIR"):
        return None
    return environ.get("STACKKIT_OUTDIR") or str(PROJECT_ROOT / "cdktf.out")


def config_directory(environ: Mapping[str, str] | None = None) -> Path:
    """The folder of <env>.tfvars files: STACKKIT_CONFIG_DIR or ./config."""
    environ = os.environ if environ is None else environ
    return Path(environ.get("STACKKIT_CONFIG_DIR") or PROJECT_ROOT / "config")


# The CDK frameworks this app synthesizes on, by the name of their Python package (stacks/machinery/selection.py maps
# each to its provider bindings and tools). CDK Terrain (cdktn) is the community fork of the archived cdktf.
FRAMEWORK_NAMES = ("cdktf", "cdktn")


def framework_name(environ: Mapping[str, str] | None = None) -> str:
    """STACKKIT_FRAMEWORK ("cdktf" or "cdktn"); unset, the one installed in this Python environment, cdktf first.

    ``./project.sh`` gives each framework its own venv, so a process started from one (a test's subprocess, the
    cdktf/cdktn CLI running main.py) finds its framework without the variable.
    """
    environ = os.environ if environ is None else environ
    name = environ.get("STACKKIT_FRAMEWORK")
    if not name:
        return next((n for n in FRAMEWORK_NAMES if importlib.util.find_spec(n) is not None), FRAMEWORK_NAMES[0])
    if name not in FRAMEWORK_NAMES:
        raise ConfigError(
            "STACKKIT_FRAMEWORK", None, f'"{name}" is not a framework; expected one of: {", ".join(FRAMEWORK_NAMES)}'
        )
    return name


def framework_installed_here(environ: Mapping[str, str] | None = None) -> str:
    """framework_name(), checked to be importable in this Python environment (main.py is about to synthesize)."""
    name = framework_name(environ)
    if importlib.util.find_spec(name) is None:
        raise ConfigError(
            "STACKKIT_FRAMEWORK",
            None,
            f"{name} is not installed in this Python environment ({sys.prefix}); expected the environment "
            f"`STACKKIT_FRAMEWORK={name} ./project.sh synth` installs",
        )
    return name
