"""Atlantis's data (BoltDB, cloned repositories, plans) on an encrypted EFS file system that survives task restarts."""

from __future__ import annotations

import json

from stacks.config import AtlantisConfig
from stacks.machinery.aws import aws
from stacks.machinery.framework import Construct

ATLANTIS_UID = 100  # the "atlantis" user of the official image (runatlantis/atlantis v0.47.1 Dockerfile:179-180)
ATLANTIS_GID = 1000
# The access point's directory on EFS (not a path in the container, where it is mounted as the data dir). It keeps
# the name it had when the volume was mounted as HOME, so an existing deployment finds its BoltDB and plans in place.
EFS_ROOT_DIRECTORY = "/home/atlantis"
EFS_ROOT_PERMISSIONS = "0750"


class AtlantisStorage(Construct):
    """Exposes ``file_system`` and ``access_point``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AtlantisConfig,
        private_subnet_ids: list[str],
        security_group_id: str,
        task_role_arn: str,
        kms_key_arn: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        name = f"{config.environment}-atlantis"
        self.file_system = aws.efs_file_system.EfsFileSystem(
            self,
            "file-system",
            creation_token=f"{name}-data",
            encrypted=True,
            kms_key_id=kms_key_arn,
            performance_mode="generalPurpose",
            throughput_mode="elastic",
            lifecycle_policy=[aws.efs_file_system.EfsFileSystemLifecyclePolicy(transition_to_ia="AFTER_30_DAYS")],
            tags={"Name": f"{name}-data"},
        )
        for index, subnet_id in enumerate(private_subnet_ids):
            aws.efs_mount_target.EfsMountTarget(
                self,
                f"mount-target-{index}",
                file_system_id=self.file_system.id,
                subnet_id=subnet_id,
                security_groups=[security_group_id],
            )
        self.access_point = aws.efs_access_point.EfsAccessPoint(
            self,
            "access-point",
            file_system_id=self.file_system.id,
            posix_user=aws.efs_access_point.EfsAccessPointPosixUser(uid=ATLANTIS_UID, gid=ATLANTIS_GID),
            root_directory=aws.efs_access_point.EfsAccessPointRootDirectory(
                path=EFS_ROOT_DIRECTORY,
                creation_info=aws.efs_access_point.EfsAccessPointRootDirectoryCreationInfo(
                    owner_uid=ATLANTIS_UID, owner_gid=ATLANTIS_GID, permissions=EFS_ROOT_PERMISSIONS
                ),
            ),
            tags={"Name": f"{name}-data"},
        )
        aws.efs_file_system_policy.EfsFileSystemPolicy(
            self,
            "policy",
            file_system_id=self.file_system.id,
            bypass_policy_lockout_safety_check=False,
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "DenyUnencryptedTransport",
                            "Effect": "Deny",
                            "Principal": {"AWS": "*"},
                            "Action": "*",
                            "Resource": self.file_system.arn,
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        },
                        {
                            "Sid": "AtlantisTaskThroughAccessPoint",
                            "Effect": "Allow",
                            "Principal": {"AWS": task_role_arn},
                            "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
                            "Resource": self.file_system.arn,
                            "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": self.access_point.arn}},
                        },
                    ],
                }
            ),
        )
        if config.enable_efs_backup:
            aws.efs_backup_policy.EfsBackupPolicy(
                self,
                "backup",
                file_system_id=self.file_system.id,
                backup_policy=aws.efs_backup_policy.EfsBackupPolicyBackupPolicy(status="ENABLED"),
            )
