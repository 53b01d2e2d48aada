"""Step 2: read-only checks against AWS, Terraform and GitHub. Nothing in AWS changes before all of them pass."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from deploy.aws import AwsContext
from deploy.config_stage import StagedConfig
from deploy.console import Console, bullet_list
from deploy.environment import child_environment
from deploy.errors import DeployError
from deploy.github import GitHubClient, check_owner, check_token
from deploy.inputs import (
    DeployRequest,
    Mode,
    SecretInputs,
    check_github_token,
    required_secret_keys,
    secret_updates,
)
from deploy.names import GITHUB_APP_KEY_FILE_VARIABLE, GITHUB_TOKEN, KEY_VARIABLES
from deploy.secret_store import SecretState, read_secret
from deploy.terraform import find_terraform, terraform_version
from deploy.vpc import discover_vpc
from stacks.config import AtlantisConfig


@dataclass(frozen=True)
class PreflightResult:
    account_id: str
    terraform: str | None  # the binary; None when this run does not apply
    secret: SecretState
    github_token: str | None
    secret_updates: dict[str, str]


def run_preflight(
    request: DeployRequest,
    inputs: SecretInputs,
    staged: StagedConfig,
    aws: AwsContext,
    environ: Mapping[str, str],
    console: Console,
) -> PreflightResult:
    account_id = check_identity(aws, console)
    binary = None
    if request.mode is Mode.APPLY:
        binary = check_terraform(environ, console)
        check_terraform_variables(staged.config, environ)
    secret = read_secret(aws.client("secretsmanager"), staged.config.secret_name)
    console.protect(*(str(value) for value in secret.values.values()))
    _describe_secret(secret, console)
    token = _github_token(inputs, secret, staged.config, request.mode, console)
    if token:
        _check_github(token, staged, request, environ, console)
    elif request.create_webhooks:
        raise DeployError("--create-webhooks needs a GitHub token", "set ATLANTIS_GITHUB_TOKEN and re-run")
    if request.vpc_id:
        placement = discover_vpc(aws.client("ec2"), request.vpc_id, aws.region)
        staged.update(placement.config_updates(), from_flags=True)
        console.note(
            f"VPC {placement.vpc_id}: public {', '.join(placement.public_subnet_ids)}, "
            f"private {', '.join(placement.private_subnet_ids)} ({', '.join(placement.zones)})"
        )
        for note in placement.notes:
            console.note(f"note: {note}")
    updates, ignored = secret_updates(inputs, staged.config)
    for note in ignored:
        console.note(f"note: {note}")
    if request.mode is not Mode.DRY_RUN and not secret.scheduled_for_deletion:
        check_secret_complete(staged.config, {**secret.values, **updates})
    return PreflightResult(account_id, binary, secret, token, updates)


def check_identity(aws: AwsContext, console: Console) -> str:
    identity = aws.client("sts").get_caller_identity()
    console.note(f"AWS account {identity['Account']} as {identity['Arn']}, region {aws.region}")
    return str(identity["Account"])


def check_terraform(environ: Mapping[str, str], console: Console) -> str:
    binary = find_terraform(environ)
    version = terraform_version(binary, child_environment(environ, console.protected))
    console.note(f"terraform {version} ({binary})")
    return binary


def check_terraform_variables(config: AtlantisConfig, environ: Mapping[str, str]) -> None:
    """Variables the stack reads at plan time; without them ``terraform plan -input=false`` fails late."""
    if config.auth_mode == "oidc" and not environ.get("TF_VAR_oidc_client_secret"):
        raise DeployError(
            'auth_mode = "oidc" needs the OIDC client secret at plan time',
            "export TF_VAR_oidc_client_secret and re-run",
        )


def check_secret_complete(config: AtlantisConfig, values: Mapping[str, object]) -> None:
    missing = [key for key in required_secret_keys(config) if not values.get(key)]
    if missing:
        sources = " and ".join(KEY_VARIABLES.get(key, GITHUB_APP_KEY_FILE_VARIABLE) for key in missing)
        raise DeployError(
            f"secret {config.secret_name} would lack {', '.join(missing)}, which the config needs",
            f"set {sources} and re-run",
        )


def _describe_secret(secret: SecretState, console: Console) -> None:
    if not secret.exists:
        console.note(f"secret {secret.name}: not found, will be created")
    elif secret.scheduled_for_deletion:
        console.note(f"secret {secret.name}: scheduled for deletion, will be restored")
    else:
        console.note(f"secret {secret.name}: exists with keys {bullet_list(sorted(secret.values))}")


def _github_token(
    inputs: SecretInputs, secret: SecretState, config: AtlantisConfig, mode: Mode, console: Console
) -> str | None:
    if inputs.token_from_flag:
        console.note("note: a token on the command line lands in shell history; prefer ATLANTIS_GITHUB_TOKEN")
    if inputs.github_token:
        return inputs.github_token
    stored = secret.values.get(GITHUB_TOKEN)
    if isinstance(stored, str) and stored:
        check_github_token(stored, f"the github_token stored in {secret.name}")
        console.note(f"GitHub token: the one stored in {secret.name}")
        return stored
    if config.github_app_id:
        console.note(f"GitHub App mode (app {config.github_app_id}): no token to check; Atlantis uses github_app_key")
        return None
    if mode is Mode.DRY_RUN:
        console.note("GitHub token: none given, check skipped (dry run)")
        return None
    raise DeployError("no GitHub token", "set ATLANTIS_GITHUB_TOKEN (or pass --github-token) and re-run")


def _check_github(
    token: str, staged: StagedConfig, request: DeployRequest, environ: Mapping[str, str], console: Console
) -> None:
    client = GitHubClient.from_environment(token, environ)
    info = check_token(client, token, need_hooks=request.create_webhooks)
    scopes = "not reported" if info.scopes is None else bullet_list(sorted(info.scopes))
    console.note(f"GitHub token of {info.login or 'an app installation'}, scopes: {scopes}")
    for note in info.notes:
        console.note(f"note: {note}")
    kind = check_owner(client, staged.config.org_name)
    console.note(f"GitHub {kind} {staged.config.org_name}: found")
    if info.login and info.login != staged.config.git_username:
        # Atlantis's --gh-user must be the user the token belongs to.
        staged.update({"git_username": info.login})
