"""Real terraform and the real AWS provider on a copy of a synthesized stack, offline and against an emulator.

The machine has no registry access: the provider comes from a filesystem mirror that this module finds, through a
CLI config of our own (``TF_CLI_CONFIG_FILE``), with a shared plugin cache so each ``init`` links rather than copies.
The product pins the provider version its bindings were generated for; the mirror may hold another one, so every
copy gets a Terraform override file (``*_override.tf.json``: its ``required_providers`` entry replaces the
original's, https://developer.hashicorp.com/terraform/language/files/override) pinning the mirrored version. The
product's files are never edited; everything here works on copies.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROVIDER = "registry.terraform.io/hashicorp/aws"
PLATFORM = "linux_amd64"
# Where terraform itself looks for local mirrors (CLI config docs, "Implied Local Mirror Directories"), then /opt
# and /srv where machine images put them. STACKKIT_TF_PLUGIN_MIRROR names another root.
_MIRROR_ROOTS = (
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
    "/opt",
    "/srv",
)
_MIRROR_DEPTH = 3  # how many folders below a root the registry.terraform.io folder may sit
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
_ERROR = re.compile(r"^[\s│╷╵]*Error: (.+?)\s*$")
_WITH = re.compile(r"^[\s│]*with (\S+?),?\s*$")
PIN_OVERRIDE = "pin_provider_override.tf.json"
EMULATOR_OVERRIDE = "emulator_override.tf.json"
GAPS_OVERRIDE = "emulator_gaps_override.tf.json"


class TerraformError(AssertionError):
    """A terraform command failed; the message is one line per error, naming the resource."""


@dataclass(frozen=True)
class Toolchain:
    terraform: str
    mirror: Path  # the folder that holds registry.terraform.io/
    provider_version: str
    cli_config: Path
    plugin_cache: Path

    @property
    def banner(self) -> str:
        return (
            f"terraform {self.terraform}, hashicorp/aws {self.provider_version} from the mirror {self.mirror} "
            f"(stacks checked with the provider constraint set to {self.provider_version})"
        )

    def environment(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment for terraform: our CLI config and plugin cache, no checkpoint calls, nothing inherited
        that could point it at real AWS (profiles, keys) unless ``extra`` sets it."""
        keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE", "AWS_CA_BUNDLE")
        env = {name: os.environ[name] for name in keep if name in os.environ}
        env.update(
            TF_CLI_CONFIG_FILE=str(self.cli_config),
            TF_PLUGIN_CACHE_DIR=str(self.plugin_cache),
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
            CHECKPOINT_DISABLE="1",
        )
        env.update(extra or {})
        return env


def mirror_roots(environ: Mapping[str, str]) -> list[Path]:
    roots = [environ["STACKKIT_TF_PLUGIN_MIRROR"]] if environ.get("STACKKIT_TF_PLUGIN_MIRROR") else []
    return [Path(root).expanduser() for root in (*roots, *_MIRROR_ROOTS)]


def find_mirror(roots: Iterable[Path]) -> tuple[Path, str] | None:
    """(mirror folder, newest version for this platform) of the first mirror holding hashicorp/aws."""
    for root in roots:
        for depth in range(_MIRROR_DEPTH + 1):
            pattern = "/".join(["*"] * depth + [PROVIDER])
            for provider_dir in sorted(root.glob(pattern)) if root.is_dir() else []:
                versions = mirrored_versions(provider_dir)
                if versions:
                    mirror = provider_dir.parents[2]
                    return mirror, versions[-1]
    return None


def mirrored_versions(provider_dir: Path) -> list[str]:
    """Versions with a provider for this platform, in the unpacked (<v>/<os_arch>/) or packed (.zip) layout."""
    found = set()
    for entry in provider_dir.iterdir():
        if _VERSION.match(entry.name) and any((entry / PLATFORM).glob("terraform-provider-aws*")):
            found.add(entry.name)
        match = re.match(rf"^terraform-provider-aws_(\d+\.\d+\.\d+)_{PLATFORM}\.zip$", entry.name)
        if match:
            found.add(match.group(1))
    return sorted(found, key=lambda version: tuple(int(part) for part in version.split(".")))


def cli_config_text(mirror: Path) -> str:
    """Only the mirror serves hashicorp/aws; any other provider would go to its registry (none is used)."""
    return (
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {json.dumps(str(mirror))}\n"
        f'    include = ["{PROVIDER}"]\n'
        "  }\n"
        "  direct {\n"
        f'    exclude = ["{PROVIDER}"]\n'
        "  }\n"
        "}\n"
    )


def find_toolchain(workdir: Path, environ: Mapping[str, str], roots: Iterable[Path] | None = None) -> Toolchain | str:
    """The toolchain, with its CLI config written under ``workdir``; or the reason the tests cannot run."""
    terraform = shutil.which("terraform", path=environ.get("PATH"))
    if terraform is None:
        return "no terraform binary on PATH"
    searched = list(roots) if roots is not None else mirror_roots(environ)
    found = find_mirror(searched)
    if found is None:
        roots_text = ", ".join(str(root) for root in searched)
        return f"no filesystem mirror with {PROVIDER} for {PLATFORM} under {roots_text} (set STACKKIT_TF_PLUGIN_MIRROR)"
    mirror, version = found
    workdir.mkdir(parents=True, exist_ok=True)
    cli_config = workdir / "terraform.rc"
    cli_config.write_text(cli_config_text(mirror))
    cache = workdir / "plugin-cache"
    cache.mkdir(exist_ok=True)
    return Toolchain(terraform, mirror, version, cli_config, cache)


# --- stack copies and override files ---------------------------------------------------------------------------


@dataclass
class StackCopy:
    """A synthesized stack folder copied for terraform; override files are added only here."""

    path: Path
    document: dict[str, Any] = field(repr=False)

    @classmethod
    def of(cls, stack_dir: Path, destination: Path) -> StackCopy:
        shutil.rmtree(destination, ignore_errors=True)
        shutil.copytree(stack_dir, destination, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
        return cls(destination, json.loads((destination / "cdk.tf.json").read_text()))

    def write_override(self, name: str, content: Mapping[str, Any]) -> Path:
        assert name.endswith("_override.tf.json"), "terraform merges only *_override.tf.json as override files"
        target = self.path / name
        target.write_text(json.dumps(content, indent=2))
        return target

    def resources(self) -> dict[str, dict[str, Any]]:
        """Address -> arguments of every managed resource in the synthesized document."""
        return {
            f"{resource_type}.{name}": body
            for resource_type, named in self.document.get("resource", {}).items()
            for name, body in named.items()
        }

    def provider_entries(self) -> list[dict[str, Any]]:
        entries = self.document.get("provider", {}).get("aws", [])
        return entries if isinstance(entries, list) else [entries]

    def variables_without_default(self) -> list[str]:
        return sorted(name for name, body in self.document.get("variable", {}).items() if "default" not in body)


def pin_override(version: str) -> dict[str, Any]:
    return {"terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": version}}}}


def emulator_override(stack: StackCopy, local_state: Path | None) -> dict[str, Any]:
    """Path-style S3 on every aws provider block (an emulator on 127.0.0.1 has no bucket host names); with
    ``local_state``, state in that file instead of the S3 backend."""
    providers = []
    for entry in stack.provider_entries():
        providers.append({**({"alias": entry["alias"]} if "alias" in entry else {}), "s3_use_path_style": True})
    override: dict[str, Any] = {"provider": {"aws": providers}}
    if local_state is not None:
        override["terraform"] = {"backend": {"local": {"path": str(local_state)}}}
    return override


def without_resource_types(stack: StackCopy, stand_ins: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """An override that sets ``count = 0`` on every resource of the given types, so terraform leaves them out, and
    rewrites each argument that refers to one (``${type.name.attribute}``) with the stand-in value for that
    attribute (``stand_ins``: resource type -> attribute -> literal)."""
    overrides: dict[str, dict[str, Any]] = {}
    if not stand_ins:
        return {}
    reference = re.compile(r"\$\{(" + "|".join(map(re.escape, stand_ins)) + r")\.[^.}]+\.([^}]+)\}")

    def stand_in(match: re.Match[str]) -> str:
        resource_type, attribute = match.group(1), match.group(2)
        if attribute not in stand_ins[resource_type]:
            raise TerraformError(f"{stack.path.name}: no stand-in for {resource_type}.{attribute} in emulator_gaps.py")
        return stand_ins[resource_type][attribute]

    for resource_type, named in stack.document.get("resource", {}).items():
        for name, body in named.items():
            if resource_type in stand_ins:  # left out; terraform still checks its references, so rewrite them too
                overrides.setdefault(resource_type, {})[name] = {"count": 0}
            for argument, value in body.items():
                text = json.dumps(value)
                if argument != "depends_on" and reference.search(text):
                    rewritten = json.loads(reference.sub(stand_in, text))
                    overrides.setdefault(resource_type, {}).setdefault(name, {})[argument] = rewritten
    return {"resource": overrides} if overrides else {}


# --- running terraform -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    code: int
    output: str  # stdout and stderr
    stdout: str


def terraform(
    toolchain: Toolchain,
    workdir: Path,
    *arguments: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
    ok: tuple[int, ...] = (0,),
) -> Run:
    """Run one terraform command; TerraformError with one line per error when it exits otherwise."""
    command = [toolchain.terraform, *arguments]
    try:
        result = subprocess.run(
            command,
            cwd=workdir,
            env=toolchain.environment(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        output = (error.stdout or b"").decode() if isinstance(error.stdout, bytes) else str(error.stdout or "")
        started = set(re.findall(r"^(\S+): Still (?:creating|destroying|modifying)", output, re.MULTILINE))
        finished = set(re.findall(r"^(\S+): (?:Creation|Destruction|Modifications) complete", output, re.MULTILINE))
        waiting = sorted(started - finished)
        raise TerraformError(
            f"terraform {arguments[0]} in {workdir.name} did not finish within {timeout:g}s"
            + (f"; still waiting on {', '.join(waiting)}" if waiting else "")
        ) from None
    output = result.stdout + result.stderr
    if result.returncode not in ok:
        raise TerraformError(f"terraform {arguments[0]} in {workdir.name}: " + "; ".join(error_lines(output)))
    return Run(result.returncode, output, result.stdout)


def error_lines(output: str) -> list[str]:
    """``<address>: <error>`` for each error of terraform's output: its ``Error:`` blocks, or with ``-json`` its
    error diagnostics."""
    diagnosed = [line for line in map(_json_error, output.splitlines()) if line]
    if diagnosed:
        return diagnosed
    lines = output.splitlines()
    found = []
    for index, line in enumerate(lines):
        match = _ERROR.match(line)
        if not match:
            continue
        address = next(
            (w.group(1) for later in lines[index + 1 : index + 12] if (w := _WITH.match(later))),
            None,
        )
        found.append(f"{address}: {match.group(1)}" if address else match.group(1))
    return found or [line.strip() for line in lines if line.strip()][-3:]


def _json_error(line: str) -> str | None:
    """One line for an error message of terraform's machine-readable UI (``-json``), None for anything else."""
    if not line.startswith("{"):
        return None
    try:
        message = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(message, dict) or message.get("@level") != "error":
        return None
    diagnostic = message.get("diagnostic") or {}
    summary = str(diagnostic.get("summary") or message.get("@message") or "error")
    return f"{diagnostic['address']}: {summary}" if diagnostic.get("address") else summary


def planned_actions(plan_output: str) -> list[tuple[str, str]]:
    """(address, action) of each change ``terraform plan -json`` announces (its ``planned_change`` messages), leaving
    out reads and no-ops: what ``terraform show -json`` of the plan would list, without starting the provider again."""
    changes = []
    for line in plan_output.splitlines():
        message = json.loads(line) if line.startswith("{") else {}
        if message.get("type") == "planned_change" and message["change"]["action"] not in ("read", "noop"):
            changes.append((message["change"]["resource"]["addr"], message["change"]["action"]))
    return changes


def validate_copy(toolchain: Toolchain, folder: Path, workdir: Path) -> tuple[StackCopy, list[str]]:
    """A copy of a synthesized stack folder with the mirrored provider pinned, after ``terraform init -backend=false``
    and ``terraform validate``: the copy, and one line per error (none when it is valid)."""
    stack = StackCopy.of(folder, workdir)
    stack.write_override(PIN_OVERRIDE, pin_override(toolchain.provider_version))
    terraform(toolchain, stack.path, "init", "-backend=false", "-input=false", "-no-color", timeout=180)
    result = terraform(toolchain, stack.path, "validate", "-json", "-no-color", timeout=180, ok=(0, 1))
    diagnostics = json.loads(result.stdout)
    if diagnostics["valid"]:
        return stack, []
    return stack, validation_errors(diagnostics, toolchain.provider_version) or ["terraform validate: not valid"]


def validation_errors(diagnostics: Mapping[str, Any], provider_version: str) -> list[str]:
    """One line per error of ``terraform validate -json``: the resource, the argument and what is wrong."""
    lines = []
    for diagnostic in diagnostics.get("diagnostics", []):
        if diagnostic.get("severity") != "error":
            continue
        context = (diagnostic.get("snippet") or {}).get("context") or ""
        resource = re.sub(r'^(resource|data) "([^"]+)" "([^"]+)"$', r"\1 \2.\3", context.strip()) or "configuration"
        detail = str(diagnostic.get("detail") or "")
        argument = re.search(r'(?:argument|block type) named "([^"]+)"', detail)
        if argument and diagnostic.get("summary", "").startswith("Unsupported"):
            lines.append(
                f"{resource}: argument {argument.group(1)} is not in hashicorp/aws {provider_version} "
                "(an argument of the 6.x provider the bindings target?)"
            )
        else:
            lines.append(f"{resource}: {diagnostic.get('summary')}: {detail.splitlines()[0] if detail else ''}")
    return lines


def planned_changes(toolchain: Toolchain, workdir: Path, plan_file: str, env: Mapping[str, str]) -> list[Change]:
    shown = terraform(toolchain, workdir, "show", "-json", "-no-color", plan_file, env=env, timeout=120)
    changes = []
    for change in json.loads(shown.stdout).get("resource_changes", []):
        actions = tuple(change["change"]["actions"])
        if actions in (("no-op",), ("read",)):
            continue
        before, after = change["change"].get("before") or {}, change["change"].get("after") or {}
        unknown = change["change"].get("after_unknown") or {}
        differing = {
            key: f"{json.dumps(before.get(key))[:80]} -> {'(known after apply)' if unknown.get(key) else json.dumps(after.get(key))[:80]}"
            for key in sorted(set(before) | set(after))
            if before.get(key) != after.get(key) and not (key in ("tags_all",) and unknown.get(key))
        }
        changes.append(Change(change["address"], change["type"], actions, tuple(differing), differing))
    return changes


@dataclass(frozen=True)
class Change:
    address: str
    resource_type: str
    actions: tuple[str, ...]
    attributes: tuple[str, ...]  # top-level attributes whose value differs between before and after
    values: dict[str, str] = field(default_factory=dict, compare=False)  # attribute -> "before -> after"

    @property
    def creates_or_destroys(self) -> bool:
        return "create" in self.actions or "delete" in self.actions


def state_addresses(toolchain: Toolchain, workdir: Path, env: Mapping[str, str]) -> list[str]:
    listed = terraform(toolchain, workdir, "state", "list", env=env, timeout=120, ok=(0, 1))
    return [line for line in listed.output.splitlines() if line and not line.startswith("data.")]
