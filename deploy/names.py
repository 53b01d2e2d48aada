"""Names the Terraform stack gives its resources (SPEC "Synthesis"), so operations find them without state."""

from __future__ import annotations

from stacks.config import AtlantisConfig
from stacks.naming import (
    ATLANTIS_DATA_DIR,
    ATLANTIS_HOME,
    BOLTDB_FILE,
    GITHUB_APP_KEY,
    GITHUB_TOKEN,
    INFRACOST_API_KEY,
    OPENAI_API_KEY,
    REDIS_AUTH_TOKEN,
    SLACK_WEBHOOK_URL,
    WEB_PASSWORD,
    WEBHOOK_SECRET,
    cluster_name,
    log_group_name,
    redis_secret_name,
    service_name,
    stackkit_tags,
)

# The deploy tool's view of the shared names (stacks/naming.py), plus what only it needs.
__all__ = [
    "ATLANTIS_DATA_DIR",
    "ATLANTIS_HOME",
    "BOLTDB_FILE",
    "BOLTDB_PATH",
    "CONTAINER_NAME",
    "GENERATED_KEYS",
    "GITHUB_APP_KEY",
    "GITHUB_APP_KEY_FILE_VARIABLE",
    "GITHUB_TOKEN",
    "INFRACOST_API_KEY",
    "KEY_VARIABLES",
    "OPENAI_API_KEY",
    "PLAN_FILE",
    "REDIS_AUTH_TOKEN",
    "SECRET_KEYS",
    "SLACK_WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "WEB_PASSWORD",
    "cluster_name",
    "log_group_name",
    "redis_secret_name",
    "resource_tags",
    "service_name",
]

CONTAINER_NAME = "atlantis"
BOLTDB_PATH = f"{ATLANTIS_DATA_DIR}/{BOLTDB_FILE}"
PLAN_FILE = "tfplan"


SECRET_KEYS = (
    GITHUB_TOKEN,
    WEBHOOK_SECRET,
    WEB_PASSWORD,
    GITHUB_APP_KEY,
    INFRACOST_API_KEY,
    OPENAI_API_KEY,
    SLACK_WEBHOOK_URL,
)
# Generated once with secrets.token_hex(32) and kept on every later run.
GENERATED_KEYS = (WEBHOOK_SECRET, WEB_PASSWORD)
GITHUB_APP_KEY_FILE_VARIABLE = "ATLANTIS_GH_APP_KEY_FILE"
# Where a key's value comes from when it is not generated.
KEY_VARIABLES = {
    GITHUB_TOKEN: "ATLANTIS_GITHUB_TOKEN",
    INFRACOST_API_KEY: "INFRACOST_API_KEY",
    OPENAI_API_KEY: "OPENAI_API_KEY",
    SLACK_WEBHOOK_URL: "SLACK_WEBHOOK_URL",
}


def resource_tags(config: AtlantisConfig, stack: str) -> dict[str, str]:
    """The StackKit tag policy for what this tool creates through the API: bucket, table, secret."""
    return stackkit_tags(config, stack=stack, managed_by="quick-deploy")
