"""HA mode's lock store: ElastiCache (Valkey) that only the Atlantis tasks can reach, over TLS with an AUTH token.

With ``locking_db = "redis"`` every Atlantis task keeps its project locks, command locks and pull status in one
Redis-compatible store instead of a BoltDB file that admits a single process. Plans need no extra store: all tasks
mount the same EFS data directory, so a plan written by one task is there for the task that applies it.

Engine: Valkey 8.0, the Redis-protocol fork ElastiCache develops forward (Redis OSS stops at 7.1 there) and prices
below Redis OSS. Atlantis talks to it with its go-redis client over the same RESP protocol and ``AUTH <token>``.

The AUTH token never appears in the synthesized JSON: callers pass a Terraform expression (see
``auth_token_from_secret``) that reads it from Secrets Manager at plan time. ElastiCache keeps it in the Terraform
state, like every ``auth_token``, so the state bucket must stay encrypted and private.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stacks.machinery.aws import aws
from stacks.machinery.framework import Construct, Fn, Token
from stacks.naming import REDIS_AUTH_TOKEN
from stacks.security_groups import allow_tcp

REDIS_PORT = 6379
ENGINE = "valkey"
ENGINE_VERSION = "8.0"
PARAMETER_GROUP_FAMILY = "valkey8"
DEFAULT_NODE_TYPE = "cache.t4g.micro"
# Defaults, in UTC: 02:00-03:00 in Seoul (the shipped region); maintenance follows on Sunday, never overlapping.
SNAPSHOT_WINDOW = "17:00-18:00"
MAINTENANCE_WINDOW = "sun:18:30-sun:19:30"
LOG_TYPES = ("slow-log", "engine-log")


def auth_token_from_secret(
    scope: Construct, construct_id: str, *, secret_arn: str, json_key: str = REDIS_AUTH_TOKEN
) -> str:
    """A Terraform expression for one JSON key of a Secrets Manager secret, read at plan time (never synthesized).

    Terraform stores the whole ``secret_string`` of the data source in its state: point this at a secret that holds
    only the token when the other keys must stay out of state.
    """
    version = aws.data_aws_secretsmanager_secret_version.DataAwsSecretsmanagerSecretVersion(
        scope, construct_id, secret_id=secret_arn
    )
    return Token.as_string(Fn.lookup(Fn.jsondecode(version.secret_string), json_key))


class AtlantisRedis(Construct):
    """Exposes ``replication_group``, ``security_group``, ``endpoint``, ``port`` and the Atlantis settings."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str,
        vpc_id: str,
        subnet_ids: Sequence[str],
        client_security_group_id: str,
        auth_token: str,
        kms_key_arn: str | None = None,
        log_kms_key_arn: str | None = None,
        node_type: str = DEFAULT_NODE_TYPE,
        log_retention_days: int = 30,
        snapshot_retention_days: int = 7,
        snapshot_window: str = SNAPSHOT_WINDOW,
        maintenance_window: str = MAINTENANCE_WINDOW,
    ) -> None:
        super().__init__(scope, construct_id)
        name = f"{name_prefix}-locks"
        self.security_group = self._security_group(name, vpc_id, client_security_group_id)
        subnet_group = aws.elasticache_subnet_group.ElasticacheSubnetGroup(
            self,
            "subnet-group",
            name=name,
            description=f"Private subnets of the {name_prefix} lock store",
            subnet_ids=list(subnet_ids),
        )
        parameter_group = aws.elasticache_parameter_group.ElasticacheParameterGroup(
            self,
            "parameter-group",
            name=name,
            family=PARAMETER_GROUP_FAMILY,
            description="Atlantis locks: never evict a key under memory pressure",
            # The default volatile-lru may drop keys that carry a TTL; a dropped lock lets two applies collide.
            parameter=[
                aws.elasticache_parameter_group.ElasticacheParameterGroupParameter(
                    name="maxmemory-policy", value="noeviction"
                )
            ],
        )
        self.replication_group = aws.elasticache_replication_group.ElasticacheReplicationGroup(
            self,
            "replication-group",
            replication_group_id=name,
            description=f"Atlantis locks and pull status for {name_prefix} (HA mode)",
            engine=ENGINE,
            engine_version=ENGINE_VERSION,
            node_type=node_type,
            port=REDIS_PORT,
            parameter_group_name=parameter_group.name,
            subnet_group_name=subnet_group.name,
            security_group_ids=[self.security_group.id],
            # One primary and one replica in different AZs; ElastiCache promotes the replica if the primary fails.
            num_cache_clusters=2,
            automatic_failover_enabled=True,
            multi_az_enabled=True,
            transit_encryption_enabled=True,
            auth_token=auth_token,
            at_rest_encryption_enabled="true",
            kms_key_id=kms_key_arn,
            snapshot_retention_limit=snapshot_retention_days,
            snapshot_window=snapshot_window,
            maintenance_window=maintenance_window,
            auto_minor_version_upgrade="true",
            # Node replacements and version changes wait for the maintenance window instead of failing over mid-day.
            apply_immediately=False,
            log_delivery_configuration=[
                self._log_delivery(name, log_type, log_retention_days, log_kms_key_arn) for log_type in LOG_TYPES
            ],
            tags={"Name": name},
        )
        self.endpoint: str = self.replication_group.primary_endpoint_address
        self.port = REDIS_PORT

    def atlantis_environment(self) -> dict[str, str]:
        """Plain container environment that switches Atlantis to this store (flags exist since Atlantis v0.19.9)."""
        return {
            "ATLANTIS_LOCKING_DB_TYPE": "redis",
            "ATLANTIS_REDIS_HOST": self.endpoint,
            "ATLANTIS_REDIS_PORT": str(self.port),
            "ATLANTIS_REDIS_DB": "0",
            "ATLANTIS_REDIS_TLS_ENABLED": "true",
            # ElastiCache serves an Amazon-issued certificate for the endpoint name: verify it.
            "ATLANTIS_REDIS_INSECURE_SKIP_VERIFY": "false",
        }

    @staticmethod
    def atlantis_secret_keys() -> dict[str, str]:
        """Container secrets: environment variable -> JSON key in the Atlantis secret."""
        return {"ATLANTIS_REDIS_PASSWORD": REDIS_AUTH_TOKEN}

    def _security_group(self, name: str, vpc_id: str, client_security_group_id: str) -> Any:
        # Terraform removes the default allow-all egress of a new group: the store opens no connections itself.
        group = aws.security_group.SecurityGroup(
            self,
            "security-group",
            name=name,
            description=f"{name}: {REDIS_PORT} from the Atlantis tasks only",
            vpc_id=vpc_id,
            tags={"Name": name},
        )
        protocol = f"Redis protocol ({REDIS_PORT}, TLS)"
        allow_tcp(
            self,
            "from-clients",
            group.id,
            "in",
            REDIS_PORT,
            f"{protocol} from the Atlantis tasks",
            group=client_security_group_id,
        )
        allow_tcp(
            self,
            "clients-to-store",
            client_security_group_id,
            "out",
            REDIS_PORT,
            f"{protocol} to the Atlantis lock store",
            group=group.id,
        )
        return group

    def _log_delivery(self, name: str, log_type: str, retention_days: int, kms_key_arn: str | None) -> Any:
        log_group = aws.cloudwatch_log_group.CloudwatchLogGroup(
            self,
            f"{log_type}-group",
            name=f"/elasticache/{name}/{log_type}",
            retention_in_days=retention_days,
            kms_key_id=kms_key_arn,
        )
        return aws.elasticache_replication_group.ElasticacheReplicationGroupLogDeliveryConfiguration(
            destination=log_group.name, destination_type="cloudwatch-logs", log_format="json", log_type=log_type
        )
