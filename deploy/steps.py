"""The deploy command: eight numbered steps, each idempotent, so a re-run after a fix resumes safely."""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from deploy.aws import AwsContext
from deploy.backend import ensure_state_backend
from deploy.config_stage import StagedConfig
from deploy.console import Console, Progress, bullet_list
from deploy.cost_estimate import monthly_estimate_line
from deploy.emulator import emulator_endpoint, prepare_stack
from deploy.environment import child_environment
from deploy.errors import DeployError
from deploy.github import GitHubClient
from deploy.health import wait_for_health
from deploy.inputs import DeployRequest, Mode, SecretInputs, check_config_combinations, validate_request
from deploy.names import (
    GENERATED_KEYS,
    REDIS_AUTH_TOKEN,
    WEB_PASSWORD,
    WEBHOOK_SECRET,
    redis_secret_name,
    resource_tags,
)
from deploy.preflight import PreflightResult, check_secret_complete, run_preflight
from deploy.secret_store import (
    SecretState,
    merged_values,
    read_secret,
    restore_if_scheduled_for_deletion,
    write_secret,
)
from deploy.synth import check_synthesized, stack_directory, synthesize
from deploy.terraform import BackendSettings, Terraform
from deploy.webhooks import WEBHOOK_EVENTS, allowlisted_repositories, ensure_webhooks
from stacks.config import AtlantisConfig

TITLES = (
    "Validate inputs",
    "Preflight checks",
    "Bootstrap state backend",
    "Write secrets",
    "Synthesize",
    "Terraform init, plan, apply",
    "Wait for Atlantis /healthz",
    "Webhooks",
)
HINTS = (
    "fix the input and re-run",
    "nothing was changed; fix it and re-run",
    "fix it and re-run: an existing bucket and table are reused",
    "fix it and re-run: the keys already stored are kept",
    "fix the config or the stack and re-run",
    "fix it and re-run: Terraform continues from the state in S3",
    "see ./quick-deploy.sh status and ./quick-deploy.sh logs, then re-run",
    "re-run with --create-webhooks: existing hooks are updated, not duplicated",
)
REQUIRED_OUTPUTS = ("atlantis_url", "webhook_url")


def run_deploy(request: DeployRequest, inputs: SecretInputs, environ: Mapping[str, str], console: Console) -> None:
    console.protect(*inputs.values())
    progress = Progress(console, TITLES, HINTS)
    with ExitStack() as cleanup:
        staged, aws, preflight = _check(request, inputs, environ, console, progress, cleanup)
        if request.mode is Mode.DRY_RUN:
            _dry_run(request, staged, progress, environ, console)
            return
        config = staged.config
        with progress.step(3):
            _bootstrap_backend(config, aws, preflight.account_id, request.poll_interval, environ, console)
        with progress.step(4):
            values = _write_secrets(config, aws, preflight, console)
        with progress.step(5):
            stack_dir = _synthesize(request, config, request.config_dir, request.outdir, environ, console)
        if request.mode is Mode.NO_APPLY:
            for number in (6, 7, 8):
                progress.skip(number, "--no-apply")
            _print_terraform_commands(config, stack_dir, console)
            progress.finish("State backend and secret are ready; Terraform was not run")
            return
        _apply(request, config, preflight, stack_dir, str(values[WEBHOOK_SECRET]), environ, console, progress)


def _check(
    request: DeployRequest,
    inputs: SecretInputs,
    environ: Mapping[str, str],
    console: Console,
    progress: Progress,
    cleanup: ExitStack,
) -> tuple[StagedConfig, AwsContext, PreflightResult]:
    """Steps 1 and 2: everything is checked, and confirmed, before the first change."""
    with progress.step(1):
        validate_request(request, inputs, environ)
        staged = cleanup.enter_context(StagedConfig(request.config_dir, request.environment, environ))
        staged.update(flag_updates(request, staged.raw), from_flags=True)
        check_config_combinations(request, inputs, staged.config)
        console.note(
            f"{staged.display}: stack {staged.config.stack_name}, region {staged.config.aws_region}, "
            f"mode {request.mode.value}"
        )
    with progress.step(2):
        aws = AwsContext(staged.config.aws_region, environ)
        preflight = run_preflight(request, inputs, staged, aws, environ, console)
        if request.mode is not Mode.DRY_RUN:
            console.confirm(
                f"Deploy {staged.config.stack_name} to AWS account {preflight.account_id} ({staged.config.aws_region})?",
                "yes",
                request.assume_yes,
            )
        _save_config(staged, request.mode, console)
    return staged, aws, preflight


def _apply(
    request: DeployRequest,
    config: AtlantisConfig,
    preflight: PreflightResult,
    stack_dir: Path,
    webhook_secret: str,
    environ: Mapping[str, str],
    console: Console,
    progress: Progress,
) -> None:
    """Steps 6 to 8: Terraform, the health wait, the webhooks."""
    assert preflight.terraform is not None  # found in preflight whenever the mode applies
    with progress.step(6):
        outputs = _terraform(request, config, preflight.terraform, stack_dir, environ, console)
    with progress.step(7):
        tries = wait_for_health(outputs["atlantis_url"], timeout=request.health_timeout, interval=request.poll_interval)
        console.note(f"healthy after {tries} tr{'y' if tries == 1 else 'ies'}")
    with progress.step(8):
        if request.create_webhooks:
            _create_webhooks(config, preflight, outputs["webhook_url"], webhook_secret, environ, console)
        else:
            console.note("not asked to create webhooks (--create-webhooks); how to set them is below")
    _print_summary(config, outputs, request.create_webhooks, console)
    progress.finish(f"Atlantis is up at {outputs['atlantis_url']}")


def flag_updates(request: DeployRequest, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The config keys the flags set. A new --org also moves the allowlist patterns of the old org to it."""
    updates: dict[str, Any] = {}
    if request.org:
        updates["org_name"] = request.org
        old_org = str(raw.get("org_name", ""))
        allowlist = [_retarget(pattern, old_org, request.org) for pattern in raw.get("repo_allowlist") or []]
        updates["repo_allowlist"] = allowlist or [f"github.com/{request.org}/*"]
    if request.region:
        updates["aws_region"] = request.region
    if request.domain:
        updates["custom_domain"] = request.domain
    if request.certificate_arn:
        updates["certificate_arn"] = request.certificate_arn
    if request.enable_ai_reviewer:
        updates["enable_ai_reviewer"] = True
    return updates


def _retarget(pattern: str, old_org: str, new_org: str) -> str:
    parts = pattern.split("/")
    if len(parts) >= 3 and old_org and parts[1].lower() == old_org.lower():
        parts[1] = new_org
    return "/".join(parts)


def _save_config(staged: StagedConfig, mode: Mode, console: Console) -> None:
    changes = staged.describe_changes()
    if not changes:
        console.note(f"{staged.display}: no changes")
        return
    if mode is Mode.DRY_RUN:
        console.note(f"{staged.display}: left as is (dry run); a temporary copy gets: {'; '.join(changes)}")
        return
    staged.commit()
    console.note(f"{staged.display} updated: {'; '.join(changes)}")


def _dry_run(
    request: DeployRequest, staged: StagedConfig, progress: Progress, environ: Mapping[str, str], console: Console
) -> None:
    progress.skip(3, "--dry-run")
    progress.skip(4, "--dry-run")
    outdir = request.outdir.with_name(f"{request.outdir.name}.dry-run")
    with progress.step(5):
        stack_dir = _synthesize(request, staged.config, staged.directory, outdir, environ, console)
    for number in (6, 7, 8):
        progress.skip(number, "--dry-run")
    progress.finish(f"Dry run complete: nothing in AWS or {staged.display} changed; synthesized to {stack_dir}")


def _bootstrap_backend(
    config: AtlantisConfig,
    aws: AwsContext,
    account_id: str,
    interval: float,
    environ: Mapping[str, str],
    console: Console,
) -> None:
    result = ensure_state_backend(
        aws.client("s3"),
        aws.client("dynamodb"),
        bucket=config.state_bucket,
        table=config.lock_table,
        region=config.aws_region,
        account_id=account_id,
        tags=resource_tags(config, f"{config.org_name.lower()}-state-backend"),
        interval=min(interval, 2.0),
        tls_only=emulator_endpoint(environ) is None,
    )
    endpoint = emulator_endpoint(environ)
    if endpoint:
        console.note(f"emulator mode ({endpoint}): S3 path-style; no TLS-only statement on {config.state_bucket}")
    for change in result.changes:
        console.note(change)
    if not result.changes:
        console.note(f"bucket {config.state_bucket} and table {config.lock_table}: already in place, unchanged")


def _write_secrets(
    config: AtlantisConfig, aws: AwsContext, preflight: PreflightResult, console: Console
) -> dict[str, Any]:
    """The Atlantis secret; with locking_db = "redis" also the secret holding only the Redis AUTH token."""
    client = aws.client("secretsmanager")
    values = _ensure_secret(client, preflight.secret, preflight.secret_updates, GENERATED_KEYS, config, console)
    if config.locking_db == "redis":
        redis_secret = read_secret(client, redis_secret_name(config))
        _ensure_secret(client, redis_secret, {}, (REDIS_AUTH_TOKEN,), config, console)
    return values


def _ensure_secret(
    client: Any,
    state: SecretState,
    updates: Mapping[str, str],
    generate: tuple[str, ...],
    config: AtlantisConfig,
    console: Console,
) -> dict[str, Any]:
    restored = restore_if_scheduled_for_deletion(client, state)
    if restored is not state:
        console.note(f"secret {state.name}: restored from scheduled deletion")
    values = merged_values(restored.values, updates, generate)
    console.protect(*(str(value) for value in values.values()))
    if state.name == config.secret_name:
        check_secret_complete(config, values)
    result = write_secret(client, restored, values, resource_tags(config, config.stack_name))
    if result.created:
        console.note(f"secret {state.name}: created with keys {bullet_list(result.changed_keys)}")
    elif result.changed_keys:
        console.note(f"secret {state.name}: updated keys {bullet_list(result.changed_keys)}")
    else:
        console.note(f"secret {state.name}: unchanged")
    return values


def _synthesize(
    request: DeployRequest,
    config: AtlantisConfig,
    config_dir: Path,
    outdir: Path,
    environ: Mapping[str, str],
    console: Console,
) -> Path:
    if request.skip_synth:
        stack_dir = check_synthesized(stack_directory(outdir, config), config)
        console.note(f"using {stack_dir} as synthesized earlier (--skip-synth)")
    else:
        stack_dir = synthesize(config, config_dir, outdir, child_environment(environ, console.protected), console)
        console.note(f"synthesized {stack_dir}")
    # Before Terraform runs, so the apply confirmation comes after the price.
    console.note(monthly_estimate_line(stack_dir))
    return stack_dir


def _terraform(
    request: DeployRequest,
    config: AtlantisConfig,
    binary: str,
    stack_dir: Path,
    environ: Mapping[str, str],
    console: Console,
) -> dict[str, Any]:
    env = child_environment(environ, console.protected)
    env.setdefault("TF_PLUGIN_CACHE_DIR", str(_plugin_cache(environ)))
    terraform = Terraform(binary, stack_dir, env, console)
    terraform.init(BackendSettings.of(config, use_path_style=prepare_stack(stack_dir, environ)))
    if terraform.plan():
        console.confirm(f"Apply this plan to {config.stack_name}?", "yes", request.assume_yes)
        terraform.apply()
    else:
        console.note("no changes to apply")
    outputs = terraform.outputs()
    missing = [name for name in REQUIRED_OUTPUTS if not outputs.get(name)]
    if missing:
        raise DeployError(f"terraform output has no {', '.join(missing)}", "re-run; the apply may not have finished")
    return outputs


def _plugin_cache(environ: Mapping[str, str]) -> Path:
    """A shared provider cache: synthesis replaces cdktf.out, and with it the providers in .terraform."""
    base = Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    cache = base / "stackkit-atlantis" / "terraform-plugins"
    os.makedirs(cache, exist_ok=True)
    return cache


def _create_webhooks(
    config: AtlantisConfig,
    preflight: PreflightResult,
    webhook_url: str,
    webhook_secret: str,
    environ: Mapping[str, str],
    console: Console,
) -> None:
    if not preflight.github_token:
        raise DeployError("no GitHub token to create webhooks with", "set ATLANTIS_GITHUB_TOKEN and re-run")
    client = GitHubClient.from_environment(preflight.github_token, environ)
    repositories, notes = allowlisted_repositories(client, config.repo_allowlist)
    for note in notes:
        console.note(f"note: {note}")
    if not repositories:
        console.note("no repository matches repo_allowlist; no webhook created")
    for result in ensure_webhooks(client, repositories, webhook_url, webhook_secret):
        console.note(f"{result.repository.full_name}: webhook {result.action}")


def _secret_location(config: AtlantisConfig, key: str) -> str:
    return f"stored in Secrets Manager {config.secret_name}, key {key}"


def _print_summary(config: AtlantisConfig, outputs: Mapping[str, Any], hooks_created: bool, console: Console) -> None:
    console.say("")
    console.say(f"Atlantis URL:    {outputs['atlantis_url']}")
    console.say(f"Webhook URL:     {outputs['webhook_url']}")
    console.say(f"Webhook secret:  {_secret_location(config, WEBHOOK_SECRET)}")
    if config.auth_mode == "basic":
        console.say(f"Web UI login:    user {config.web_username}, password {_secret_location(config, WEB_PASSWORD)}")
    else:
        console.say(f"Web UI login:    through the load balancer's {config.auth_mode} authentication")
    if not hooks_created:
        _print_webhook_instructions(config, str(outputs["webhook_url"]), console)


def _print_webhook_instructions(config: AtlantisConfig, webhook_url: str, console: Console) -> None:
    console.say("Set the webhook on each repository (or once on the organization): Settings > Webhooks > Add webhook")
    console.say(f"  Payload URL:  {webhook_url}")
    console.say("  Content type: application/json")
    console.say(f"  Secret:       {_secret_location(config, WEBHOOK_SECRET)}; to read it:")
    console.say(
        f"    aws secretsmanager get-secret-value --secret-id {config.secret_name} --region {config.aws_region} "
        "--query SecretString --output text | jq -r .webhook_secret"
    )
    console.say(f"  Events:       {', '.join(WEBHOOK_EVENTS)}")
    console.say("Or re-run with --create-webhooks to create them for the repositories in repo_allowlist.")


def _print_terraform_commands(config: AtlantisConfig, stack_dir: Path, console: Console) -> None:
    console.say("")
    console.say("Next, run Terraform yourself (the secret's values never pass through it):")
    console.say(f"  cd {stack_dir}")
    if config.auth_mode == "oidc":
        console.say('  export TF_VAR_oidc_client_secret=...   # auth_mode = "oidc"')
    console.say(f"  terraform init {' '.join(BackendSettings.of(config).arguments())}")
    console.say("  terraform plan -out=tfplan")
    console.say("  terraform apply tfplan")
    console.say("  terraform output webhook_url")
    _print_webhook_instructions(config, "<terraform output -raw webhook_url>", console)
