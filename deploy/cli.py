"""Command line: ``quick-deploy.sh [deploy flags]`` deploys; ``quick-deploy.sh <command> ...`` operates.

Exit codes: 0 done, 1 a step failed (one ``error:`` line says what and what to do), 2 bad usage,
3 ``status`` found the service unhealthy, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from botocore.exceptions import BotoCoreError, ClientError

from deploy.aws import AwsContext, describe_aws_error
from deploy.boltdb import reset_boltdb
from deploy.console import Console
from deploy.emulator import ENDPOINT_VARIABLE, with_endpoint
from deploy.errors import DeployError
from deploy.inputs import DeployRequest, Mode, SecretInputs
from deploy.names import BOLTDB_PATH, SECRET_KEYS
from deploy.operations import (
    destroy,
    load_environment,
    read_secret_value,
    show_logs,
    show_status,
    update_secret,
)
from deploy.steps import run_deploy
from stacks.config import PROJECT_ROOT, config_directory

PROG = "quick-deploy.sh"
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
_DURATION = re.compile(r"^(\d+)([smhd]?)$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}

DEPLOY_DESCRIPTION = """\
Deploy StackKit Atlantis to AWS ECS Fargate: validate, preflight (AWS identity, Terraform, GitHub token, VPC),
bootstrap the S3/DynamoDB state backend, write the Secrets Manager secret, synthesize, terraform init/plan/apply,
wait for /healthz, then print the URL and how to set the GitHub webhook. Every step is idempotent: after a failure,
fix the cause and run the same command again."""

DEPLOY_EPILOG = """\
commands (run '%(prog)s COMMAND --help'):
  status         service, deployments, target health and recent events (exit 3 when not healthy)
  logs           task logs from CloudWatch (--follow to keep watching)
  update-secret  set one key of the secret (value on stdin or from its environment variable)
  reset-boltdb   stop Atlantis, delete its BoltDB file with a one-off task, start it again
  destroy        terraform destroy (asks for the stack name unless --yes)

environment:
  ATLANTIS_GITHUB_TOKEN        GitHub token (preferred over --github-token)
  ATLANTIS_AWS_ACCESS_KEY_ID   AWS keys for the deploy (else the usual AWS_PROFILE / SSO / role chain)
  ATLANTIS_AWS_SECRET_ACCESS_KEY
  TF_STACK_REGION, TF_STACK_NAME, TF_VERSION   override aws_region, stack_name, terraform_version
  INFRACOST_API_KEY, OPENAI_API_KEY, SLACK_WEBHOOK_URL   optional secret values (stored when the feature is on)
  GITHUB_API_URL               GitHub API (GitHub Enterprise: https://HOST/api/v3)
  STACKKIT_AWS_ENDPOINT        an AWS emulator's URL, as --aws-endpoint (LocalStack: http://localhost:4566)

examples:
  ATLANTIS_GITHUB_TOKEN=... %(prog)s --org mycompany
  %(prog)s --org mycompany --vpc-id vpc-0123456789abcdef0 --dry-run
  %(prog)s --org mycompany --no-apply --yes      # backend + secret only, then run terraform yourself
  %(prog)s status --environment prod"""


def _duration(text: str) -> float:
    """Seconds from "90", "90s", "10m", "2h" or "1d"."""
    match = _DURATION.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 90s, 10m, 2h")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be greater than 0")
    return value


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-e", "--environment", default="prod", help="config/<ENVIRONMENT>.tfvars (default: prod)")
    parser.add_argument(
        "--aws-endpoint",
        metavar="URL",
        help=f"emulator mode: send every AWS call (boto3 and Terraform) to this AWS emulator, e.g. LocalStack "
        f"http://localhost:4566; S3 path-style, no TLS-only state bucket policy (default: {ENDPOINT_VARIABLE})",
    )
    parser.add_argument(
        "--config-dir", type=Path, help="folder of <env>.tfvars files (default: STACKKIT_CONFIG_DIR or ./config)"
    )


def _add_waits(parser: argparse.ArgumentParser, timeout: float, interval: float) -> None:
    parser.add_argument(
        "--timeout", type=_positive, default=timeout, help=f"seconds to wait for each step (default {timeout:g})"
    )
    parser.add_argument(
        "--poll-interval", type=_positive, default=interval, help=f"seconds between checks (default {interval:g})"
    )


def deploy_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=DEPLOY_DESCRIPTION,
        epilog=DEPLOY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_common(parser)
    parser.add_argument("--org", help="GitHub organization (org_name; moves repo_allowlist patterns of the old org)")
    parser.add_argument("--github-token", metavar="TOKEN", help="GitHub token; prefer ATLANTIS_GITHUB_TOKEN")
    parser.add_argument("--vpc-id", help="use this existing VPC; its public and private subnets are discovered")
    parser.add_argument("--region", help="AWS region (aws_region)")
    parser.add_argument("--domain", help="custom domain for Atlantis (custom_domain)")
    parser.add_argument("--certificate-arn", help="ACM certificate for HTTPS, in the same region (certificate_arn)")
    parser.add_argument("--enable-ai-reviewer", action="store_true", help="turn on the AI plan reviewer")
    parser.add_argument("--openai-key", metavar="KEY", help="OpenAI API key for the AI reviewer; prefer OPENAI_API_KEY")
    parser.add_argument(
        "--create-webhooks", action="store_true", help="create/update the webhook on each allowlisted repository"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="validate and synthesize; change nothing")
    mode.add_argument(
        "--no-apply",
        action="store_true",
        help="bootstrap the backend and write the secret, then print the terraform commands (no terraform needed)",
    )
    parser.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument(
        "--skip-synth", action="store_true", help="deploy cdktf.out as synthesized earlier (e.g. by a CI job)"
    )
    parser.add_argument(
        "--health-timeout", type=_positive, default=900.0, help="seconds to wait for /healthz (default 900)"
    )
    parser.add_argument("--poll-interval", type=_positive, default=10.0, help="seconds between checks (default 10)")
    return parser


def command_parsers() -> dict[str, argparse.ArgumentParser]:
    def parser(name: str, description: str) -> argparse.ArgumentParser:
        command = argparse.ArgumentParser(prog=f"{PROG} {name}", description=description)
        _add_common(command)
        return command

    status = parser("status", "ECS service, deployments, target health, recent events. Exit 3 when not healthy.")
    logs = parser("logs", "Atlantis task logs from CloudWatch Logs.")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing new events")
    logs.add_argument(
        "--since", type=_duration, default=_duration("30m"), help="how far back, e.g. 10m, 2h (default 30m)"
    )
    logs.add_argument("--poll-interval", type=_positive, default=2.0, help="seconds between polls with --follow")
    logs.add_argument(
        "--duration", type=_duration, default=_duration("12h"), help="stop following after this long (default 12h)"
    )
    secret = parser(
        "update-secret",
        "Set one key of the Secrets Manager secret, keeping every other key. The value is read from stdin, else "
        "from the key's environment variable (github_token: ATLANTIS_GITHUB_TOKEN, openai_api_key: OPENAI_API_KEY, "
        "infracost_api_key: INFRACOST_API_KEY, slack_webhook_url: SLACK_WEBHOOK_URL). github_app_key: the .pem "
        "file on stdin.",
    )
    secret.add_argument("key", choices=SECRET_KEYS, help="the JSON key to set")
    secret.add_argument(
        "--generate", action="store_true", help="generate a new random value (webhook_secret, web_password)"
    )
    secret.add_argument("--restart", action="store_true", help="roll the ECS service so the task reads the new value")
    reset = parser(
        "reset-boltdb",
        f"Scale Atlantis to 0, delete {BOLTDB_PATH} with a one-off task, scale back and wait until "
        "healthy. Locks and plan history are lost.",
    )
    reset.add_argument("-y", "--yes", action="store_true", help="do not ask for the service name")
    _add_waits(reset, 600.0, 5.0)
    destroy_command = parser("destroy", "terraform destroy the stack. The secret and the state backend are kept.")
    destroy_command.add_argument("-y", "--yes", action="store_true", help="do not ask for the stack name")
    destroy_command.add_argument("--skip-synth", action="store_true", help="use cdktf.out as synthesized earlier")
    return {"status": status, "logs": logs, "update-secret": secret, "reset-boltdb": reset, "destroy": destroy_command}


def main(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    environ = os.environ if environ is None else environ
    console = Console(stdout, stderr, stdin)
    commands = command_parsers()
    if arguments and arguments[0] == "deploy":
        arguments = arguments[1:]
    try:
        if arguments and arguments[0] in commands:
            name, options = arguments[0], commands[arguments[0]].parse_args(arguments[1:])
            return _run_command(name, options, with_endpoint(environ, options.aws_endpoint), console)
        options = deploy_parser().parse_args(arguments)
        environ = with_endpoint(environ, options.aws_endpoint)
        inputs = SecretInputs.collect(environ, options.github_token, options.openai_key)
        run_deploy(_deploy_request(options, environ), inputs, environ, console)
        return 0
    except DeployError as error:
        console.error(error.line())
        return EXIT_FAILED
    except (BotoCoreError, ClientError) as error:  # an operation outside the numbered steps
        console.error(f"{describe_aws_error(error)}. Check the credentials and region, then re-run.")
        return EXIT_FAILED
    except KeyboardInterrupt:
        console.error("interrupted; every step is safe to run again")
        return EXIT_INTERRUPTED


def _config_dir(options: argparse.Namespace, environ: Mapping[str, str]) -> Path:
    return Path(options.config_dir) if options.config_dir else config_directory(environ)


def _outdir(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("STACKKIT_OUTDIR") or PROJECT_ROOT / "cdktf.out")


def _deploy_request(options: argparse.Namespace, environ: Mapping[str, str]) -> DeployRequest:
    mode = Mode.DRY_RUN if options.dry_run else Mode.NO_APPLY if options.no_apply else Mode.APPLY
    return DeployRequest(
        environment=options.environment,
        config_dir=_config_dir(options, environ),
        outdir=_outdir(environ),
        mode=mode,
        org=options.org,
        region=options.region,
        domain=options.domain,
        certificate_arn=options.certificate_arn,
        vpc_id=options.vpc_id,
        enable_ai_reviewer=options.enable_ai_reviewer,
        create_webhooks=options.create_webhooks,
        assume_yes=options.yes,
        skip_synth=options.skip_synth,
        health_timeout=options.health_timeout,
        poll_interval=options.poll_interval,
    )


def _run_command(name: str, options: argparse.Namespace, environ: Mapping[str, str], console: Console) -> int:
    config_dir = _config_dir(options, environ)
    config = load_environment(config_dir, options.environment, environ)
    aws = AwsContext(config.aws_region, environ)
    handlers: dict[str, Callable[[], int | None]] = {
        "status": lambda: show_status(aws, config, console),
        "logs": lambda: show_logs(
            aws.client("logs"),
            config,
            console,
            since_seconds=options.since,
            follow=options.follow,
            interval=options.poll_interval,
            duration=options.duration,
        ),
        "update-secret": lambda: update_secret(
            aws,
            config,
            options.key,
            read_secret_value(options.key, generate=options.generate, stdin=console.stdin, environ=environ),
            console,
            restart=options.restart,
        ),
        "reset-boltdb": lambda: reset_boltdb(
            aws.client("ecs"),
            aws.client("elbv2"),
            config,
            console,
            assume_yes=options.yes,
            timeout=options.timeout,
            interval=options.poll_interval,
        ),
        "destroy": lambda: destroy(
            config,
            config_dir,
            _outdir(environ),
            environ,
            console,
            assume_yes=options.yes,
            skip_synth=options.skip_synth,
        ),
    }
    return handlers[name]() or 0
