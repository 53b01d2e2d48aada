"""Builds the cdktf app from validated configs and synthesizes it, all-or-nothing."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from stacks.atlantis_stack import AtlantisStack
from stacks.backend import StateBackendStack, bootstrap_stack_name
from stacks.config import AtlantisConfig
from stacks.lambda_layer import LayerBuildError
from stacks.machinery.framework import App, Aspects, TerraformStack
from stacks.tagging import TagPolicyCheck, stackkit_tags


class SynthError(Exception):
    """Synthesis found a problem (for example a resource without the StackKit tags); nothing was written."""


def build_app(configs: list[AtlantisConfig], outdir: str | None) -> tuple[App, list[TagPolicyCheck], list[str]]:
    """The app, a tag policy check per stack, and the name of every stack (each one's folder under stacks/)."""
    app = App(outdir=outdir) if outdir else App()
    checks: list[TagPolicyCheck] = []
    names: list[str] = []
    bootstraps: dict[str, AtlantisConfig] = {}
    for config in configs:
        stack = AtlantisStack(app, config)
        checks.append(_check_tags(stack, config))
        names.append(stack.node.id)
        _pin_aws_provider(stack, config)
        if not config.existing_state_bucket:
            bootstraps.setdefault(bootstrap_stack_name(config), config)
    for config in bootstraps.values():
        bootstrap = StateBackendStack(app, config)
        checks.append(_check_tags(bootstrap, config))
        _pin_aws_provider(bootstrap, config)
        names.append(bootstrap.node.id)
    return app, checks, names


def _pin_aws_provider(stack: TerraformStack, config: AtlantisConfig) -> None:
    """aws_provider_version replaces the exact version the provider bindings require (6.25.0 for cdktf's last
    bindings, a later 6.x for CDK Terrain's), e.g. to move between the frameworks without a provider upgrade."""
    if config.aws_provider_version:
        stack.add_override("terraform.required_providers.aws.version", config.aws_provider_version)


def _check_tags(stack: object, config: AtlantisConfig) -> TagPolicyCheck:
    check = TagPolicyCheck(stackkit_tags(config))
    Aspects.of(stack).add(check)  # type: ignore[arg-type]
    return check


def warnings_for(config: AtlantisConfig) -> list[str]:
    if config.has_certificate:
        return []
    return [
        f"warning: {config.source}: no certificate_arn or route53_zone_name, so webhooks and the UI of "
        f"{config.stack_name} travel unencrypted over HTTP"
    ]


def synthesize(configs: list[AtlantisConfig], outdir: str | None) -> list[str]:
    """Synthesize every stack and return their names. Unless the cdktf CLI provides the outdir (None), write to a
    staging folder and swap it in at the end."""
    for config in configs:
        for warning in warnings_for(config):
            print(warning, file=sys.stderr)
    if outdir is None:  # the cdktf CLI owns its output folder and its error handling
        return _build_and_synth(configs, None)
    target = Path(outdir)
    staging = target.with_name(f"{target.name}.staging")
    shutil.rmtree(staging, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        names = _build_and_synth(configs, str(staging))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _keep_terraform_working_state(target, staging)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return names


def _keep_terraform_working_state(old: Path, new: Path) -> None:
    """Carry each stack's ``.terraform`` folder and lock file over, so a re-synth does not force a new init, and
    the Terraform override files (``*_override.tf.json``) a user keeps beside ``cdk.tf.json``, as the cdktf CLI
    does (it removes only orphaned stack folders: @cdktf/cli-core 0.21.0 src/lib/synth-stack.js:175-177)."""
    for stack_dir in (old / "stacks").glob("*") if (old / "stacks").is_dir() else []:
        destination = new / "stacks" / stack_dir.name
        if not destination.is_dir():
            continue
        overrides = [path.name for path in stack_dir.glob("*_override.tf*")]
        for name in (".terraform", ".terraform.lock.hcl", *overrides):
            if (stack_dir / name).exists() and not (destination / name).exists():
                (stack_dir / name).rename(destination / name)


def _build_and_synth(configs: list[AtlantisConfig], outdir: str | None) -> list[str]:
    try:
        app, checks, names = build_app(configs, outdir)
    except LayerBuildError as error:
        raise SynthError(str(error)) from None
    try:
        app.synth()
    except RuntimeError:
        # cdktf refuses to synthesize a stack with error annotations; report our own finding in one line instead.
        _raise_on_violations(checks)
        raise
    _raise_on_violations(checks)
    return names


def _raise_on_violations(checks: list[TagPolicyCheck]) -> None:
    violations = [violation for check in checks for violation in check.violations]
    if violations:
        raise SynthError(
            f"tag policy: {violations[0]}" + (f" (+{len(violations) - 1} more)" if len(violations) > 1 else "")
        )
