"""Names the Terraform stack gives its resources (SPEC "Synthesis"), so operations find them without state."""

from __future__ import annotations

from stacks.config import AtlantisConfig

CONTAINER_NAME = "atlantis"
ATLANTIS_HOME = "/home/atlantis"
BOLTDB_PATH = f"{ATLANTIS_HOME}/atlantis.db"
PLAN_FILE = "tfplan"

# The JSON keys of the Secrets Manager secret (SPEC "Secrets"): names, not values.
GITHUB_TOKEN = "github_token"  # noqa: S105
WEBHOOK_SECRET = "webhook_secret"  # noqa: S105
WEB_PASSWORD = "web_password"  # noqa: S105
GITHUB_APP_KEY = "github_app_key"  # GitHub App mode (github_app_id): the app's private key, PEM
INFRACOST_API_KEY = "infracost_api_key"
OPENAI_API_KEY = "openai_api_key"
SLACK_WEBHOOK_URL = "slack_webhook_url"
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
# locking_db = "redis": the ElastiCache AUTH token, in a secret of its own because Terraform reads it into state.
REDIS_AUTH_TOKEN = "redis_auth_token"  # noqa: S105
GITHUB_APP_KEY_FILE_VARIABLE = "ATLANTIS_GH_APP_KEY_FILE"
# Where a key's value comes from when it is not generated.
KEY_VARIABLES = {
    GITHUB_TOKEN: "ATLANTIS_GITHUB_TOKEN",
    INFRACOST_API_KEY: "INFRACOST_API_KEY",
    OPENAI_API_KEY: "OPENAI_API_KEY",
    SLACK_WEBHOOK_URL: "SLACK_WEBHOOK_URL",
}


def cluster_name(config: AtlantisConfig) -> str:
    return f"{config.environment}-atlantis"


def service_name(config: AtlantisConfig) -> str:
    return f"{config.environment}-atlantis-service"


def redis_secret_name(config: AtlantisConfig) -> str:
    return f"{config.secret_name}-redis"


def log_group_name(config: AtlantisConfig) -> str:
    return f"/ecs/atlantis-{config.environment}"


def resource_tags(config: AtlantisConfig, stack: str) -> dict[str, str]:
    """The StackKit tag policy (plus extra_tags) for what this tool creates through the API: bucket, table, secret.

    ManagedBy says who really manages them, so nobody looks for them in a Terraform state.
    """
    policy = {
        "Project": "atlantis",
        "Environment": config.environment,
        "Stack": stack,
        "Owner": config.org_name,
        "ManagedBy": "quick-deploy",
        "CreatedBy": "atlantis-ecs",
        "Repository": "stackkit/atlantis-ecs",
    }
    return {**{key: value for key, value in config.extra_tags.items() if key not in policy}, **policy}
