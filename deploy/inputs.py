"""What a deploy run was asked to do, and the checks that need nothing but the inputs themselves (step 1)."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from deploy.errors import DeployError
from deploy.names import (
    GITHUB_APP_KEY,
    GITHUB_APP_KEY_FILE_VARIABLE,
    GITHUB_TOKEN,
    INFRACOST_API_KEY,
    KEY_VARIABLES,
    OPENAI_API_KEY,
    SLACK_WEBHOOK_URL,
)
from stacks.config import AWS_REGIONS, AtlantisConfig

# Classic PATs (ghp_), OAuth (gho_) and app installation tokens (ghs_) are a prefix and 36+ base62 characters;
# fine-grained PATs are github_pat_, 22 characters, an underscore and 59 more. GitHub allows lengths to grow.
_TOKEN_SHAPES = (
    re.compile(r"^gh[pos]_[A-Za-z0-9]{36,251}$"),
    re.compile(r"^github_pat_[A-Za-z0-9]{22,}_[A-Za-z0-9]{59,}$"),
)
_GITHUB_ORG = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
_VPC_ID = re.compile(r"^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
_NO_SPACE = re.compile(r"^\S+$")


class Mode(enum.Enum):
    APPLY = "apply"
    NO_APPLY = "no-apply"  # bootstrap the backend and the secret, then print the terraform commands
    DRY_RUN = "dry-run"  # validate and synthesize; change nothing


@dataclass(frozen=True)
class SecretInputs:
    """Secret values given to this run. A value from a flag is accepted, but the environment is preferred."""

    github_token: str | None = None
    openai_api_key: str | None = None
    infracost_api_key: str | None = None
    slack_webhook_url: str | None = None
    github_app_key: str | None = None
    token_from_flag: bool = False
    openai_key_from_flag: bool = False

    @classmethod
    def collect(
        cls, environ: Mapping[str, str], github_token_flag: str | None, openai_key_flag: str | None
    ) -> SecretInputs:
        return cls(
            github_token=github_token_flag or environ.get(KEY_VARIABLES[GITHUB_TOKEN]) or None,
            openai_api_key=openai_key_flag or environ.get(KEY_VARIABLES[OPENAI_API_KEY]) or None,
            infracost_api_key=environ.get(KEY_VARIABLES[INFRACOST_API_KEY]) or None,
            slack_webhook_url=environ.get(KEY_VARIABLES[SLACK_WEBHOOK_URL]) or None,
            github_app_key=_read_app_key(environ.get(GITHUB_APP_KEY_FILE_VARIABLE)),
            token_from_flag=bool(github_token_flag),
            openai_key_from_flag=bool(openai_key_flag),
        )

    def values(self) -> tuple[str | None, ...]:
        return (
            self.github_token,
            self.openai_api_key,
            self.infracost_api_key,
            self.slack_webhook_url,
            self.github_app_key,
        )


def _read_app_key(path: str | None) -> str | None:
    if not path:
        return None
    try:
        key = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise DeployError(
            f"{GITHUB_APP_KEY_FILE_VARIABLE}: cannot read {path}: {error.strerror}", "point it at the app's .pem"
        ) from None
    check_app_key(key, GITHUB_APP_KEY_FILE_VARIABLE)
    return key


def check_app_key(key: str, source: str) -> None:
    """A GitHub App private key is a PEM block; the message never quotes it."""
    if not (key.lstrip().startswith("-----BEGIN") and "PRIVATE KEY-----" in key):
        raise DeployError(
            f"{source} is not a PEM private key", "download the key from the GitHub App's settings (a .pem file)"
        )


@dataclass(frozen=True)
class DeployRequest:
    environment: str
    config_dir: Path
    outdir: Path
    mode: Mode = Mode.APPLY
    org: str | None = None
    region: str | None = None
    domain: str | None = None
    certificate_arn: str | None = None
    vpc_id: str | None = None
    enable_ai_reviewer: bool = False
    create_webhooks: bool = False
    assume_yes: bool = False
    skip_synth: bool = False
    health_timeout: float = 900.0
    poll_interval: float = 10.0


def is_github_token(value: str) -> bool:
    return any(shape.match(value) for shape in _TOKEN_SHAPES)


def check_github_token(value: str, source: str) -> None:
    # The message names where the token came from and never repeats it.
    if not is_github_token(value):
        raise DeployError(
            f"{source} is not a GitHub token; expected a classic token (ghp_...), a fine-grained token "
            "(github_pat_...), an OAuth token (gho_...) or an app installation token (ghs_...)",
            "create one at https://github.com/settings/tokens and set ATLANTIS_GITHUB_TOKEN",
        )


def validate_request(request: DeployRequest, secrets: SecretInputs, environ: Mapping[str, str]) -> None:
    """Checks on the flags and secret shapes alone, before the config is read or anything is called."""
    _check_flag_combinations(request, environ)
    if request.org is not None and not _GITHUB_ORG.match(request.org):
        raise DeployError(
            f'--org "{request.org}" is not a GitHub organization name; expected 1-39 letters, digits or '
            "single hyphens, not starting or ending with a hyphen",
            "fix the flag and re-run",
        )
    if request.region is not None and request.region not in AWS_REGIONS:
        raise DeployError(
            f'--region "{request.region}" is not an AWS region; expected a region code such as ap-northeast-2',
            "fix the flag and re-run",
        )
    if request.vpc_id is not None and not _VPC_ID.match(request.vpc_id):
        raise DeployError(
            f'--vpc-id "{request.vpc_id}" is not a VPC id; expected vpc- and 8 or 17 hex digits',
            "fix the flag and re-run",
        )
    if secrets.github_token:
        check_github_token(
            secrets.github_token, "--github-token" if secrets.token_from_flag else "ATLANTIS_GITHUB_TOKEN"
        )
    _check_secret_shapes(secrets)


def _check_flag_combinations(request: DeployRequest, environ: Mapping[str, str]) -> None:
    problems = []
    if request.create_webhooks and request.mode is not Mode.APPLY:
        problems.append(f"--create-webhooks needs the webhook URL from terraform apply; drop --{request.mode.value}")
    if request.skip_synth and request.mode is Mode.DRY_RUN:
        problems.append("--skip-synth with --dry-run leaves nothing to do")
    region_override = environ.get("TF_STACK_REGION")
    if request.region and region_override and region_override != request.region:
        problems.append(f"--region {request.region} conflicts with TF_STACK_REGION={region_override}")
    if bool(environ.get("ATLANTIS_AWS_ACCESS_KEY_ID")) != bool(environ.get("ATLANTIS_AWS_SECRET_ACCESS_KEY")):
        problems.append("set both ATLANTIS_AWS_ACCESS_KEY_ID and ATLANTIS_AWS_SECRET_ACCESS_KEY, or neither")
    if request.health_timeout <= 0 or request.poll_interval <= 0:
        problems.append("--health-timeout and --poll-interval must be positive")
    if problems:
        raise DeployError(problems[0], "fix the flags and re-run")


def _check_secret_shapes(secrets: SecretInputs) -> None:
    for name, value in (
        ("OPENAI_API_KEY", secrets.openai_api_key),
        ("INFRACOST_API_KEY", secrets.infracost_api_key),
        ("SLACK_WEBHOOK_URL", secrets.slack_webhook_url),
    ):
        if value is not None and not _NO_SPACE.match(value):
            raise DeployError(f"{name} contains whitespace", f"set {name} to the key alone")
    if secrets.slack_webhook_url and not secrets.slack_webhook_url.startswith("https://"):
        raise DeployError("SLACK_WEBHOOK_URL is not an https:// URL", "copy the webhook URL from Slack")


def check_config_combinations(request: DeployRequest, secrets: SecretInputs, config: AtlantisConfig) -> None:
    """Checks that need the environment's config (after the flags were applied to it)."""
    if secrets.openai_key_from_flag and not (config.enable_ai_reviewer and config.ai_provider == "openai"):
        raise DeployError(
            '--openai-key is only used by the AI reviewer with ai_provider = "openai"',
            "add --enable-ai-reviewer or drop --openai-key",
        )


def secret_updates(secrets: SecretInputs, config: AtlantisConfig) -> tuple[dict[str, str], list[str]]:
    """The keys this run writes into the secret, and notes about inputs it ignores.

    Optional keys are stored only when their feature is on, so an OPENAI_API_KEY exported for other work does
    not end up in the Atlantis secret by accident.
    """
    updates: dict[str, str] = {}
    ignored: list[str] = []
    if secrets.github_token:
        updates[GITHUB_TOKEN] = secrets.github_token
    if secrets.github_app_key and config.github_app_id:
        updates[GITHUB_APP_KEY] = secrets.github_app_key
    elif secrets.github_app_key:
        ignored.append(f"{GITHUB_APP_KEY_FILE_VARIABLE} not stored: github_app_id is empty")
    wanted = {
        OPENAI_API_KEY: (
            secrets.openai_api_key,
            config.enable_ai_reviewer and config.ai_provider == "openai",
            'enable_ai_reviewer is false or ai_provider is not "openai"',
        ),
        INFRACOST_API_KEY: (secrets.infracost_api_key, config.enable_infracost, "enable_infracost is false"),
        SLACK_WEBHOOK_URL: (
            secrets.slack_webhook_url,
            config.enable_slack_notifications or config.enable_ai_reviewer,
            "enable_slack_notifications and enable_ai_reviewer are false",
        ),
    }
    for key, (value, enabled, reason) in wanted.items():
        if value and enabled:
            updates[key] = value
        elif value:
            ignored.append(f"{KEY_VARIABLES[key]} not stored: {reason}")
    return updates, ignored


def required_secret_keys(config: AtlantisConfig) -> list[str]:
    required = [GITHUB_APP_KEY if config.github_app_id else GITHUB_TOKEN]
    if config.enable_ai_reviewer and config.ai_provider == "openai":
        required.append(OPENAI_API_KEY)
    if config.enable_infracost:
        required.append(INFRACOST_API_KEY)
    if config.enable_slack_notifications:
        required.append(SLACK_WEBHOOK_URL)
    return required
