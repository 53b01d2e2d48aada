"""The environment variables the tool reads, and the scrubbed environment its child processes get.

Secrets come in through the environment (or a flag) and go out only to Secrets Manager. ``python main.py`` and
``terraform`` need AWS credentials and the StackKit overrides, never an Atlantis secret, so the variables that carry
one are dropped and so is any variable whose value contains a protected secret.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# StackKit's names for the deploy credentials, mapped onto the names every AWS SDK and Terraform understand.
STACKKIT_AWS_CREDENTIALS = {
    "ATLANTIS_AWS_ACCESS_KEY_ID": "AWS_ACCESS_KEY_ID",
    "ATLANTIS_AWS_SECRET_ACCESS_KEY": "AWS_SECRET_ACCESS_KEY",
    "ATLANTIS_AWS_SESSION_TOKEN": "AWS_SESSION_TOKEN",
}
# With explicit keys these would select another identity (a profile wins over keys in the SDK's chain).
_CREDENTIAL_SELECTORS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")

# Variables whose values are Atlantis secrets (or the StackKit copies of the AWS keys, already mapped).
SECRET_INPUT_VARIABLES = (
    "ATLANTIS_GITHUB_TOKEN",
    "INFRACOST_API_KEY",
    "OPENAI_API_KEY",
    "SLACK_WEBHOOK_URL",
    *STACKKIT_AWS_CREDENTIALS,
)


def uses_stackkit_credentials(environ: Mapping[str, str]) -> bool:
    return bool(environ.get("ATLANTIS_AWS_ACCESS_KEY_ID") and environ.get("ATLANTIS_AWS_SECRET_ACCESS_KEY"))


def sdk_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` with ATLANTIS_AWS_* (when both keys are set) taking the place of the SDK's own variables."""
    env = dict(environ)
    if uses_stackkit_credentials(environ):
        for name in _CREDENTIAL_SELECTORS:
            env.pop(name, None)
        for stackkit_name, sdk_name in STACKKIT_AWS_CREDENTIALS.items():
            if environ.get(stackkit_name):
                env[sdk_name] = environ[stackkit_name]
    return env


def child_environment(environ: Mapping[str, str], protected: Iterable[str]) -> dict[str, str]:
    """The environment for ``python main.py`` and ``terraform``: AWS credentials yes, Atlantis secrets no."""
    env = sdk_environment(environ)
    for name in SECRET_INPUT_VARIABLES:
        env.pop(name, None)
    secrets = [value for value in protected if value]
    return {name: value for name, value in env.items() if not any(secret in value for secret in secrets)}
