"""The Atlantis task's file system, modelled from the synthesized task definition, in every scenario.

The model starts each task volume the way Fargate and EFS create it, runs the containers Atlantis depends on (with
their users and capabilities), then asks, for each path Atlantis, git and Terraform write, whether uid 100 can
create it; and whether Atlantis's var-file allowlist admits any path that holds the GitHub credentials. The paths are
listed with the upstream line that writes them (runatlantis/atlantis v0.47.1 unless named otherwise).
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import subprocess
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from stacks.config import DEFAULT_TERRAFORM_VERSION, IMAGE_TERRAFORM_VERSIONS, load_config
from tests.conftest import CONFIG_DIR, REPO, SCENARIOS, container_definitions, only

ATLANTIS = "atlantis"
# Docker's default capability set (moby oci/caps/defaults.go); a Fargate container starts with it.
DEFAULT_CAPABILITIES = frozenset(
    {
        *("AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD"),
        *("NET_BIND_SERVICE", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"),
    }
)


@dataclass(frozen=True)
class Write:
    path: str  # {data}, {home} and {tmp} stand for ATLANTIS_DATA_DIR, HOME and the temp dir
    what: str
    where: str


WRITES = (
    Write("{data}", "the data dir, created if missing", "server/core/boltdb/boltdb.go:41-42"),
    Write("{data}/atlantis.db", "BoltDB (locks, pull status)", "server/core/boltdb/boltdb.go:45"),
    Write(
        "{data}/bin/terraform1.6.6",
        "a Terraform version the image lacks, installed by hc-install",
        "server/server.go:416; server/core/terraform/tfclient/terraform_client.go:677-692; "
        "server/core/terraform/downloader.go:51-68",
    ),
    Write(
        "{data}/plugin-cache/registry.terraform.io",
        "TF_PLUGIN_CACHE_DIR of every terraform command",
        "server/server.go:422; server/core/terraform/tfclient/terraform_client.go:460-461",
    ),
    Write(
        "{data}/repos/mycompany/infra/42/default/tfplan",
        "the pull request's clone, and the plan written in it",
        "server/events/working_dir.go:24, :696, :718-729; server/core/runtime/runtime.go:109-115",
    ),
    Write(
        "{home}/.git-credentials",
        "the token for git (ATLANTIS_WRITE_GIT_CREDS), rewritten every 30 s in GitHub App mode",
        "server/server.go:344-351, :572; server/events/vcs/common/git_cred_writer.go:23-29; "
        "server/events/vcs/github/token_rotator.go:74",
    ),
    Write(
        "{home}/.gitconfig",
        "git config --global (git writes ~/.gitconfig.lock in HOME, then renames it)",
        "server/events/vcs/common/git_cred_writer.go:70-80",
    ),
    Write(
        "{home}/.terraform.d/checkpoint_cache",
        "Terraform's CLI config dir (checkpoint files unless CHECKPOINT_DISABLE is set)",
        "hashicorp/terraform v1.14.9 checkpoint.go:38-60, internal/command/cliconfig/config_unix.go:25-31",
    ),
    Write(
        "{tmp}/terraform_1.6.6_linux_arm64.zip123",
        "hc-install's download of a Terraform release (os.CreateTemp in TMPDIR)",
        "hashicorp/hc-install v0.9.5 (Atlantis go.mod:32) internal/releasesjson/downloader.go:99",
    ),
    Write(
        "{tmp}/terraform-provider456",
        "terraform init stages each provider package in a temp file",
        "hashicorp/terraform v1.14.9 internal/providercache/package_install.go:47",
    ),
    Write("{tmp}/infracost-project.json", "the Infracost workflow's output", "stacks/repo_config.py:319"),
)
# Files whose content must never be echoed back through `atlantis plan -- -var-file=...`.
SECRET_FILES = ("{home}/.git-credentials", "{home}/.terraformrc", "{home}/.terraform.d/credentials.tfrc.json")


@dataclass(frozen=True)
class Identity:
    uid: int
    gid: int
    capabilities: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Inode:
    owner: int
    group: int
    mode: int


@dataclass
class Volume:
    root: Inode
    # EFS through an access point: every operation acts as the access point's POSIX user, whatever the client's uid.
    forced_identity: Identity | None = None
    removed: set[str] = field(default_factory=set)


class ModelError(AssertionError):
    pass


def identity_of(container: dict[str, Any]) -> Identity:
    user = container.get("user")
    if user is None:
        raise ModelError(f"{container['name']} has no explicit user; the model does not guess the image's USER")
    uid, _, gid = str(user).partition(":")
    capabilities = container.get("linuxParameters", {}).get("capabilities", {})
    dropped = set(capabilities.get("drop", []))
    effective = set() if "ALL" in dropped else DEFAULT_CAPABILITIES - dropped
    return Identity(int(uid), int(gid or uid), frozenset(effective | set(capabilities.get("add", []))))


def may(inode: Inode, identity: Identity, bits: int) -> bool:
    """POSIX permission check; ``bits`` in the "other" position (2 = write, 1 = search)."""
    if identity.uid == 0 and "DAC_OVERRIDE" in identity.capabilities:
        return True
    if identity.uid == inode.owner:
        granted = inode.mode >> 6
    elif identity.gid == inode.group:
        granted = inode.mode >> 3
    else:
        granted = inode.mode
    return granted & bits == bits


class TaskModel:
    """The task's volumes as they are when a container starts, after the containers it waits for have run."""

    def __init__(self, containers: dict[str, dict[str, Any]], volumes: list[dict[str, Any]], access_point: Any):
        self.containers = containers
        self.volumes: dict[str, Volume] = {}
        for volume in volumes:
            efs = volume.get("efs_volume_configuration")
            if efs is None:
                # A Fargate task volume: an empty directory owned by root, mode 0755; nothing is copied from the
                # image without a VOLUME instruction (aws/containers-roadmap #863, #938), and the image has none.
                self.volumes[volume["name"]] = Volume(Inode(0, 0, 0o755))
                continue
            if "aws_efs_access_point" not in efs["authorization_config"]["access_point_id"]:
                raise ModelError("EFS without the access point: the model does not know its root's owner")
            created = access_point["root_directory"]["creation_info"]
            posix = access_point["posix_user"]
            self.volumes[volume["name"]] = Volume(
                Inode(created["owner_uid"], created["owner_gid"], int(created["permissions"], 8)),
                forced_identity=Identity(posix["uid"], posix["gid"]),
            )

    @classmethod
    def of(cls, stack: dict[str, Any]) -> TaskModel:
        task = only(stack, "aws_ecs_task_definition")
        return cls(container_definitions(stack), task["volume"], only(stack, "aws_efs_access_point"))

    def environment(self, name: str) -> dict[str, str]:
        return {item["name"]: item["value"] for item in self.containers[name].get("environment", [])}

    def start(self, name: str) -> None:
        """Run, in order, every container ``name`` waits to see succeed, as ECS does before starting it."""
        for dependency in self.containers[name].get("dependsOn", []):
            if dependency["condition"] != "SUCCESS":
                continue  # START, HEALTHY or COMPLETE do not mean its work is done and succeeded
            other = self.containers[dependency["containerName"]]
            if other.get("essential", True):
                raise ModelError(f"{other['name']} exits, so it must be non-essential or the task stops")
            self.start(other["name"])
            self.run_script(other)

    def locate(self, name: str, path: str) -> tuple[Volume, str] | None:
        """The writable volume holding ``path`` in container ``name`` (the deepest mount), and the mount's path."""
        holding = [
            mount
            for mount in self.containers[name].get("mountPoints", [])
            if path == mount["containerPath"] or path.startswith(mount["containerPath"].rstrip("/") + "/")
        ]
        if not holding:
            return None
        deepest = max(holding, key=lambda mount: len(mount["containerPath"]))
        if deepest.get("readOnly", False):
            return None
        return self.volumes[deepest["sourceVolume"]], deepest["containerPath"]

    def can_create(self, name: str, path: str) -> bool:
        """Whether container ``name`` can create ``path`` (and what is below it). The image's own directories are
        never counted as writable: with a read-only root they are not, and the Atlantis container must not depend on
        the root being writable (it is only with ECS Exec)."""
        located = self.locate(name, path)
        if located is None:
            return False
        volume, _ = located
        identity = volume.forced_identity or identity_of(self.containers[name])
        # Everything below a mount's root is created by the writer itself (MkdirAll, clone, CreateTemp), so
        # creating it needs write and search on the root only.
        return may(volume.root, identity, 0o3)

    def run_script(self, container: dict[str, Any]) -> None:
        if container.get("entryPoint") != ["/bin/sh", "-c"] or len(container.get("command", [])) != 1:
            raise ModelError(f"{container['name']}: the model runs `/bin/sh -c SCRIPT` containers only")
        for step in container["command"][0].split(" && "):
            program, *arguments = step.split()
            for path in arguments[1:]:
                self.apply(container, program, arguments[0], path)

    def apply(self, container: dict[str, Any], program: str, argument: str, path: str) -> None:
        located = self.locate(container["name"], path)
        if located is None:
            raise ModelError(f"{container['name']}: {program} {path} is not on a writable volume")
        volume, root = located
        identity = volume.forced_identity or identity_of(container)
        inode = volume.root
        if program == "rm" and argument == "-f":
            if not may(inode, identity, 0o3):
                raise ModelError(f"{container['name']}: cannot delete in {root}")
            volume.removed.add(path)
            return
        if path != root:
            raise ModelError(f"{container['name']}: the model knows mount roots only, not {path}")
        if program == "chmod" and re.fullmatch(r"[0-7]{3,4}", argument):
            if identity.uid != inode.owner and "FOWNER" not in identity.capabilities:
                raise ModelError(f"{container['name']}: chmod {path}: operation not permitted")
            volume.root = replace(inode, mode=int(argument, 8))
        elif program == "chown" and re.fullmatch(r"\d+:\d+", argument):
            if "CHOWN" not in identity.capabilities:
                raise ModelError(f"{container['name']}: chown {path}: operation not permitted")
            owner, group = (int(part) for part in argument.split(":"))
            volume.root = replace(inode, owner=owner, group=group)
        else:
            raise ModelError(f"{container['name']}: the model does not know `{program} {argument}`")


def atlantis_paths(model: TaskModel) -> dict[str, str]:
    environment = model.environment(ATLANTIS)
    assert environment.get("HOME"), "HOME is set explicitly, not taken from the image's /etc/passwd"
    return {
        "data": environment["ATLANTIS_DATA_DIR"],
        "home": environment["HOME"],
        "tmp": environment.get("TMPDIR") or "/tmp",  # Go's os.TempDir
    }


def allowlist_rules(model: TaskModel) -> list[str]:
    """--var-file-allowlist, or the data dir when it is unset (cmd/server.go:1307-1310)."""
    environment = model.environment(ATLANTIS)
    allowlist = environment.get("ATLANTIS_VAR_FILE_ALLOWLIST") or environment["ATLANTIS_DATA_DIR"]
    return [posixpath.abspath(rule) for rule in allowlist.split(",")]


def var_file_allowed(path: str, rules: list[str]) -> bool:
    """Atlantis's check of a -var-file path (server/events/var_file_allowlist_checker.go:59-77): a relative path
    is allowed unless it starts with .. or ~ (after cleaning); an absolute one only inside an allowlisted dir."""
    cleaned = posixpath.normpath(path)
    if not posixpath.isabs(cleaned):
        return not cleaned.startswith(("..", "~"))
    return any(not posixpath.relpath(cleaned, rule).startswith("..") for rule in rules)


def unwritable_paths(model: TaskModel) -> list[str]:
    model.start(ATLANTIS)
    paths = atlantis_paths(model)
    return [
        f"{write.path.format(**paths)} ({write.what}; {write.where})"
        for write in WRITES
        if not model.can_create(ATLANTIS, write.path.format(**paths))
    ]


@pytest.fixture(params=sorted(SCENARIOS))
def scenario(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_every_path_atlantis_git_and_terraform_write_is_writable_by_uid_100(
    synthesized: dict[str, Any], scenario: str
) -> None:
    model = TaskModel.of(synthesized[scenario])
    assert identity_of(model.containers[ATLANTIS]) == Identity(100, 1000), "Atlantis runs as uid 100, no capabilities"
    assert unwritable_paths(model) == []


def test_no_var_file_path_atlantis_allows_reaches_the_credentials(synthesized: dict[str, Any], scenario: str) -> None:
    model = TaskModel.of(synthesized[scenario])
    paths = atlantis_paths(model)
    rules = allowlist_rules(model)
    home = paths["home"]
    assert all(not var_file_allowed(f"{home}/x", [rule]) for rule in rules), "no allowlisted dir contains HOME"
    attempts = [secret.format(**paths) for secret in SECRET_FILES] + [
        "~/.git-credentials",
        "../../../../../../.git-credentials",
        f"{paths['data']}/../.git-credentials",
        f"{paths['data']}/repos/../../.git-credentials",
        f"{home}/./data/../.git-credentials",
    ]
    assert [path for path in attempts if var_file_allowed(path, rules)] == []
    # ...while var files in the pull request's clone stay usable, by relative and by absolute path.
    assert var_file_allowed("environments/prod.tfvars", rules)
    assert var_file_allowed(f"{paths['data']}/repos/mycompany/infra/42/default/prod.tfvars", rules)


def test_the_upgrade_removes_what_the_old_layout_left_in_the_data_dir(
    synthesized: dict[str, Any], scenario: str
) -> None:
    """Before the data dir moved, this EFS volume was HOME: its ~/.git-credentials now sits in the data dir."""
    model = TaskModel.of(synthesized[scenario])
    model.start(ATLANTIS)
    data = atlantis_paths(model)["data"]
    data_volume, _ = model.locate(ATLANTIS, data) or pytest.fail("the data dir is not on a volume")
    assert {f"{data}/.git-credentials", f"{data}/.gitconfig"} <= data_volume.removed
    assert data_volume.forced_identity is not None, "the data dir is the EFS volume, kept across tasks"
    home_volume, _ = model.locate(ATLANTIS, atlantis_paths(model)["home"]) or pytest.fail("HOME is not on a volume")
    assert home_volume.forced_identity is None, "HOME, with the token file, lives and dies with the task"


def test_only_the_short_lived_preparation_runs_as_root(synthesized: dict[str, Any], scenario: str) -> None:
    containers = container_definitions(synthesized[scenario])
    roots = {name for name, container in containers.items() if identity_of(container).uid == 0}
    assert roots == {"prepare-volumes"}
    prepare = containers["prepare-volumes"]
    assert prepare["essential"] is False and "portMappings" not in prepare and "secrets" not in prepare
    assert identity_of(prepare).capabilities == {"CHOWN"}
    assert prepare["image"] == containers[ATLANTIS]["image"], "no second image to trust or pin"
    assert containers[ATLANTIS]["dependsOn"] == [{"containerName": "prepare-volumes", "condition": "SUCCESS"}]
    # The health check's curl is in the image (Dockerfile:215-224; the Infracost image builds on it).
    assert containers[ATLANTIS]["healthCheck"]["command"][1].startswith("curl -fsS http://localhost:4141/healthz")


def test_scenarios_cover_every_variant_of_the_task() -> None:
    overrides = [dict(SCENARIOS[name]) for name in SCENARIOS]
    assert any(o.get("locking_db") == '"redis"' and o.get("desired_count") == "2" for o in overrides), "HA"
    assert any(o.get("enable_infracost") == "true" and "infracost" in o.get("atlantis_image", "") for o in overrides)
    assert any(o.get("enable_ecs_exec") == "true" for o in overrides), "ECS Exec on"
    assert any("github_app_id" in o for o in overrides), "GitHub App"
    assert any(o.get("auth_mode") == '"oidc"' for o in overrides), "OIDC"


def test_the_default_terraform_version_ships_in_the_image_and_the_shipped_configs_use_it() -> None:
    assert DEFAULT_TERRAFORM_VERSION in IMAGE_TERRAFORM_VERSIONS
    for name in ("prod", "dev"):
        assert load_config(CONFIG_DIR / f"{name}.tfvars", environ={}).terraform_version == DEFAULT_TERRAFORM_VERSION
    example = (REPO / "terraform.tfvars.example").read_text()
    assert f'terraform_version = "{DEFAULT_TERRAFORM_VERSION}"' in example


# --- the model itself: it finds the defects it exists to find ------------------------------------------------


def with_atlantis(model: TaskModel, containers: dict[str, dict[str, Any]] | None = None, **changes: Any) -> TaskModel:
    """The same task with the Atlantis container changed (``environment`` given as a dict), and other containers."""
    containers = model.containers if containers is None else containers
    atlantis = {**containers[ATLANTIS], **changes}
    if isinstance(atlantis.get("environment"), dict):
        atlantis["environment"] = [{"name": key, "value": value} for key, value in atlantis["environment"].items()]
    model.containers = {**containers, ATLANTIS: atlantis}
    return model


def task_before_the_fix(stack: dict[str, Any]) -> TaskModel:
    """The task definition this fix replaced: EFS mounted as HOME and data dir, /tmp a bare task volume, no
    preparation, the default var-file allowlist; HOME came from the image's /etc/passwd (here, /home/atlantis)."""
    model = TaskModel.of(stack)
    environment = {**model.environment(ATLANTIS), "ATLANTIS_DATA_DIR": "/home/atlantis", "HOME": "/home/atlantis"}
    environment.pop("ATLANTIS_VAR_FILE_ALLOWLIST")
    mounts = [
        {"sourceVolume": "atlantis-data", "containerPath": "/home/atlantis", "readOnly": False},
        {"sourceVolume": "scratch", "containerPath": "/tmp", "readOnly": False},
    ]
    atlantis = {key: value for key, value in model.containers[ATLANTIS].items() if key != "dependsOn"}
    return with_atlantis(model, {ATLANTIS: atlantis}, environment=environment, mountPoints=mounts)


def test_the_model_finds_both_defects_of_the_task_before_the_fix(synthesized: dict[str, Any]) -> None:
    before = task_before_the_fix(synthesized["prod"])
    assert [path.split()[0] for path in unwritable_paths(before)] == [
        "/tmp/terraform_1.6.6_linux_arm64.zip123",
        "/tmp/terraform-provider456",
        "/tmp/infracost-project.json",
    ]
    assert var_file_allowed("/home/atlantis/.git-credentials", allowlist_rules(before))


@pytest.mark.parametrize("condition", ["START", "COMPLETE"])
def test_the_model_does_not_count_a_preparation_atlantis_does_not_wait_to_succeed(
    synthesized: dict[str, Any], condition: str
) -> None:
    model = TaskModel.of(synthesized["prod"])
    model = with_atlantis(model, dependsOn=[{"containerName": "prepare-volumes", "condition": condition}])
    assert [path.split()[0] for path in unwritable_paths(model)] == [
        "/home/atlantis/.git-credentials",
        "/home/atlantis/.gitconfig",
        "/home/atlantis/.terraform.d/checkpoint_cache",
        "/tmp/terraform_1.6.6_linux_arm64.zip123",
        "/tmp/terraform-provider456",
        "/tmp/infracost-project.json",
    ]


def test_the_model_refuses_a_preparation_that_could_not_do_its_work(synthesized: dict[str, Any]) -> None:
    model = TaskModel.of(synthesized["prod"])
    prepare = dict(model.containers["prepare-volumes"])
    prepare["linuxParameters"] = {"capabilities": {"drop": ["ALL"]}}  # chown needs CHOWN
    model.containers = {**model.containers, "prepare-volumes": prepare}
    with pytest.raises(ModelError, match="chown /home/atlantis: operation not permitted"):
        model.start(ATLANTIS)
    prepare["user"] = "100:1000"  # a non-root user cannot chmod a root-owned volume
    with pytest.raises(ModelError, match="chmod /tmp: operation not permitted"):
        model.start(ATLANTIS)


def test_the_write_list_cites_an_upstream_line_for_every_path() -> None:
    assert all(re.search(r"\.(go|py):\d+", write.where) for write in WRITES)
    assert {"{data}", "{home}", "{tmp}"} == {write.path.split("/")[0] for write in WRITES}
    # The one citation into this repository points at the line that writes the file.
    assert "/tmp/infracost-" in (REPO / "stacks" / "repo_config.py").read_text().splitlines()[318]


# --- what Terraform shows of a file named as -var-file (integration tier: the real binary) -----------------------


@pytest.mark.terraform
def test_terraform_echoes_a_credentials_file_but_shows_only_the_first_line_of_a_clones_git_config(
    tmp_path: Path,
) -> None:
    """Why the allowlist matters: Terraform quotes the first offending line of a var file in its error, and Atlantis
    posts the error to the pull request. A clone's .git/config also carries the token in user-token mode
    (server/events/models/models.go:143-150, working_dir.go:718-729) and is always allowed as a relative path, but
    its first line is git's "[core]" and the parser reports only its first error."""
    terraform = shutil.which("terraform") or pytest.skip("terraform is not on PATH")
    token = "ghp_" + "x" * 36
    (tmp_path / "main.tf").write_text('variable "unused" {\n  default = 1\n}\n')
    (tmp_path / "credentials").write_text(f"https://mycompany-atlantis:{token}@github.com")
    (tmp_path / "config").write_text(
        "[core]\n\trepositoryformatversion = 0\n\tbare = false\n"
        f'[remote "origin"]\n\turl = https://mycompany-atlantis:{token}@github.com/mycompany/infra.git\n'
    )
    environment = {key: value for key, value in os.environ.items() if not key.startswith("TF_")}
    environment.update(HOME=str(tmp_path), CHECKPOINT_DISABLE="1")

    def plan_with(var_file: str) -> str:
        result = subprocess.run(
            [terraform, "plan", "-input=false", "-no-color", f"-var-file={var_file}"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=environment,
            timeout=120,
        )
        assert result.returncode != 0
        return result.stdout + result.stderr

    assert token in plan_with("credentials")
    shown = plan_with("config")
    assert "[core]" in shown and token not in shown
