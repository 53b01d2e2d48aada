"""Names shared by the stacks and the deploy tooling: secret JSON keys, resource names, the StackKit tag policy.

Plain Python (no cdktf, no provider): ``deploy/`` imports it without starting jsii.
"""

from __future__ import annotations

from stacks.config import AtlantisConfig

# JSON keys of the Secrets Manager secret (SPEC "Secrets"): names, not values.
GITHUB_TOKEN = "github_token"  # noqa: S105
WEBHOOK_SECRET = "webhook_secret"  # noqa: S105
WEB_PASSWORD = "web_password"  # noqa: S105
GITHUB_APP_KEY = "github_app_key"
INFRACOST_API_KEY = "infracost_api_key"
OPENAI_API_KEY = "openai_api_key"
SLACK_WEBHOOK_URL = "slack_webhook_url"
REDIS_AUTH_TOKEN = "redis_auth_token"  # noqa: S105 - in <secret_name>-redis, see redis_secret_name

TAG_POLICY_KEYS = ("Project", "Environment", "Stack", "Owner", "ManagedBy", "CreatedBy", "Repository")

# Paths inside the Atlantis container (README "Security": writable paths). HOME is an ephemeral task volume, the data
# dir is the EFS volume mounted below it, so the var-file allowlist (the data dir by default) never reaches HOME's
# ~/.git-credentials. The BoltDB file name comes from runatlantis/atlantis v0.47.1 server/core/boltdb/boltdb.go:45.
ATLANTIS_HOME = "/home/atlantis"
ATLANTIS_DATA_DIR = f"{ATLANTIS_HOME}/data"
BOLTDB_FILE = "atlantis.db"


def cluster_name(config: AtlantisConfig) -> str:
    return f"{config.environment}-atlantis"


def service_name(config: AtlantisConfig) -> str:
    return f"{config.environment}-atlantis-service"


def log_group_name(config: AtlantisConfig) -> str:
    return f"/ecs/atlantis-{config.environment}"


def redis_secret_name(config: AtlantisConfig) -> str:
    """The Redis AUTH token has a secret of its own: Terraform reads it into state, the GitHub token must not follow."""
    return f"{config.secret_name}-redis"


def stackkit_tags(config: AtlantisConfig, *, stack: str | None = None, managed_by: str = "terraform") -> dict[str, str]:
    """The seed's tag policy plus extra_tags (which may not override a policy tag). ``managed_by`` says who really
    manages a resource: quick-deploy for what it creates through the API, so nobody looks for it in a state file."""
    policy = {
        "Project": "atlantis",
        "Environment": config.environment,
        "Stack": stack or config.stack_name,
        "Owner": config.org_name,
        "ManagedBy": managed_by,
        "CreatedBy": "atlantis-ecs",
        "Repository": "stackkit/atlantis-ecs",
    }
    return {**{key: value for key, value in config.extra_tags.items() if key not in policy}, **policy}
