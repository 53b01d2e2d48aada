"""The seed's operations section as subcommands: status, logs, update-secret and destroy (reset-boltdb: boltdb.py)."""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from botocore.exceptions import ClientError

from deploy.aws import AwsContext, error_code
from deploy.console import Console, Progress
from deploy.ecs import ServiceRef, describe_service, is_healthy, target_health
from deploy.emulator import prepare_stack
from deploy.environment import child_environment
from deploy.errors import DeployError
from deploy.inputs import check_app_key, check_github_token
from deploy.names import GENERATED_KEYS, GITHUB_APP_KEY, GITHUB_TOKEN, KEY_VARIABLES, WEBHOOK_SECRET, log_group_name
from deploy.polling import poll
from deploy.preflight import check_identity, check_terraform, check_terraform_variables
from deploy.secret_store import update_key
from deploy.synth import check_synthesized, stack_directory, synthesize
from deploy.terraform import BackendSettings, Terraform
from stacks.config import AtlantisConfig, ConfigError, config_path, display_path, load_config

EXIT_DEGRADED = 3
MAX_LOG_EVENTS = 10_000


def load_environment(config_dir: Path, environment: str, environ: Mapping[str, str]) -> AtlantisConfig:
    try:
        return load_config(config_path(environment, config_dir), environ)
    except ConfigError as error:
        raise DeployError(str(error), "fix the config (or --environment) and re-run") from None


def show_status(aws: AwsContext, config: AtlantisConfig, console: Console) -> int:
    """Service, deployments, target health and recent events; exit code 0 when healthy, EXIT_DEGRADED if not."""
    ref = ServiceRef.of(config)
    ecs, elbv2 = aws.client("ecs"), aws.client("elbv2")
    service = describe_service(ecs, ref)
    console.say(f"Service {ref.service} (cluster {ref.cluster}, {config.aws_region}): {service.get('status')}")
    console.say(
        f"  tasks: desired {service.get('desiredCount', 0)}, running {service.get('runningCount', 0)}, "
        f"pending {service.get('pendingCount', 0)}; task definition {str(service.get('taskDefinition')).split('/')[-1]}"
    )
    console.say("Deployments:")
    for deployment in service.get("deployments", []):
        console.say(
            f"  {deployment.get('status', '?'):8} {deployment.get('rolloutState', '-'):12} "
            f"running {deployment.get('runningCount', 0)}/{deployment.get('desiredCount', 0)}  "
            f"updated {_when(deployment.get('updatedAt'))}  {deployment.get('id', '')}"
        )
    console.say("Targets:")
    for group, targets in target_health(elbv2, service).items():
        console.say(f"  {group.split(':')[-1]}")
        for target in targets:
            health = target.get("TargetHealth", {})
            reason = f" ({health.get('Reason')}: {health.get('Description', '')})" if health.get("Reason") else ""
            console.say(
                f"    {target['Target']['Id']}:{target['Target'].get('Port', '')} {health.get('State')}{reason}"
            )
        if not targets:
            console.say("    no registered targets")
    console.say("Recent events:")
    for event in service.get("events", [])[:5]:
        console.say(f"  {_when(event.get('createdAt'))} {event.get('message', '')}")
    healthy = is_healthy(ecs, elbv2, ref)
    console.say(f"Overall: {'healthy' if healthy else 'NOT healthy'}")
    return 0 if healthy else EXIT_DEGRADED


def _when(value: Any) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ") if isinstance(value, datetime) else "-"


def show_logs(
    logs: Any,
    config: AtlantisConfig,
    console: Console,
    *,
    since_seconds: float,
    follow: bool,
    interval: float,
    duration: float,
    clock: Callable[[], float] = time.time,
) -> None:
    """Print the task's log events since ``since_seconds`` ago; with ``follow``, keep polling for ``duration``."""
    group = log_group_name(config)
    seen: set[str] = set()
    start_ms = int((clock() - since_seconds) * 1000)

    def fetch() -> None:
        nonlocal start_ms
        try:
            pages = logs.get_paginator("filter_log_events").paginate(
                logGroupName=group, startTime=start_ms, PaginationConfig={"MaxItems": MAX_LOG_EVENTS}
            )
            events = [event for page in pages for event in page.get("events", [])]
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                raise DeployError(f"log group {group} does not exist", "deploy first with ./quick-deploy.sh") from None
            raise
        for event in sorted(events, key=lambda e: (e["timestamp"], e["eventId"])):
            if event["eventId"] not in seen:
                seen.add(event["eventId"])
                console.say(_format_event(event))
            start_ms = max(start_ms, int(event["timestamp"]))  # re-read that millisecond: seen drops duplicates

    fetch()
    if follow:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is the usual way to stop following
            poll(fetch, timeout=duration, interval=interval)  # fetch returns None, so this polls until duration


def _format_event(event: Mapping[str, Any]) -> str:
    when = datetime.fromtimestamp(event["timestamp"] / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    task = str(event.get("logStreamName", "")).split("/")[-1][:8]
    return f"{when} {task} {str(event.get('message', '')).rstrip()}"


def update_secret(
    aws: AwsContext, config: AtlantisConfig, key: str, value: str, console: Console, *, restart: bool
) -> None:
    """Merge one key into the secret; with ``restart``, roll the service so the task reads the new value."""
    console.protect(value)
    result = update_key(aws.client("secretsmanager"), config.secret_name, key, value)
    if not result.changed_keys:
        console.say(f"secret {config.secret_name}: {key} already has this value; nothing changed")
        return
    console.say(f"secret {config.secret_name}: {key} updated (version {result.version_id}); other keys kept")
    if key == WEBHOOK_SECRET:
        console.say("GitHub must send the new secret: re-run ./quick-deploy.sh --create-webhooks, or edit the hooks")
    ref = ServiceRef.of(config)
    if restart:
        aws.client("ecs").update_service(cluster=ref.cluster, service=ref.service, forceNewDeployment=True)
        console.say(f"{ref.service}: new deployment started; it reads the new value at task start")
    else:
        console.say(f"the running task keeps the old value until it restarts; add --restart to roll {ref.service}")


def read_secret_value(key: str, *, generate: bool, stdin: TextIO, environ: Mapping[str, str]) -> str:
    """The new value for ``update-secret``: generated, piped on stdin, or from the key's environment variable."""
    if generate:
        if key not in GENERATED_KEYS:
            raise DeployError(f"--generate only applies to {', '.join(GENERATED_KEYS)}", f"pipe the {key} on stdin")
        return secrets.token_hex(32)
    value = "" if stdin.isatty() else stdin.read().strip()
    variable = KEY_VARIABLES.get(key)
    if not value and variable:
        value = environ.get(variable, "")
    if not value:
        source = f" or set {variable}" if variable else ""
        raise DeployError(f"no value for {key}", f'pipe it on stdin (printf %s "$VALUE" | ...){source}')
    if key == GITHUB_APP_KEY:  # PEM: several lines by design
        check_app_key(value, "the new github_app_key")
        return value + "\n"
    if any(char.isspace() for char in value):
        raise DeployError(f"the value for {key} contains whitespace", "pass the value alone")
    if key == GITHUB_TOKEN:
        check_github_token(value, "the new github_token")
    return value


DESTROY_TITLES = ("Preflight checks", "Synthesize", "Terraform destroy")
DESTROY_HINTS = (
    "nothing was changed; fix it and re-run",
    "fix the config or the stack and re-run",
    "fix it and re-run destroy: Terraform continues with what is left",
)


def destroy(
    config: AtlantisConfig,
    config_dir: Path,
    outdir: Path,
    environ: Mapping[str, str],
    console: Console,
    *,
    assume_yes: bool,
    skip_synth: bool,
) -> None:
    if config.deletion_protection:
        raise DeployError(
            f"deletion_protection = true in {display_path(config_path(config.environment, config_dir))} "
            "protects the load balancer",
            "set deletion_protection = false, run ./quick-deploy.sh to apply it, then destroy",
        )
    console.confirm(
        f"This destroys {config.stack_name}: load balancer, ECS service, EFS with all Atlantis data.",
        config.stack_name,
        assume_yes,
    )
    progress = Progress(console, DESTROY_TITLES, DESTROY_HINTS)
    with progress.step(1):
        check_identity(AwsContext(config.aws_region, environ), console)
        binary = check_terraform(environ, console)
        check_terraform_variables(config, environ)
    env = child_environment(environ, console.protected)
    with progress.step(2):
        stack_dir = stack_directory(outdir, config)
        if skip_synth:
            check_synthesized(stack_dir, config)
        else:
            synthesize(config, config_dir, outdir, env, console)
    with progress.step(3):
        terraform = Terraform(binary, stack_dir, env, console)
        terraform.init(BackendSettings.of(config, use_path_style=prepare_stack(stack_dir, environ)))
        terraform.destroy()
    console.say(
        f"Kept: secret {config.secret_name}, state bucket {config.state_bucket}, lock table {config.lock_table} "
        "(shared by other stacks; delete them by hand when no longer needed)"
    )
    progress.finish(f"{config.stack_name} destroyed")
