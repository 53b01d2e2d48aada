"""Reading a synthesized cdktf stack (``cdk.tf.json``): its resources, data sources and the references between them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# "${aws_ecs_cluster.service_cluster_B81F1F5D.arn}" -> "aws_ecs_cluster.service_cluster_B81F1F5D"
_REFERENCE = re.compile(r"^\$\{(?P<type>[a-z0-9_]+)\.(?P<name>[^.}\s]+)\.[^}]*\}$")


class StackError(ValueError):
    """The file is not a synthesized Terraform JSON stack."""


@dataclass(frozen=True)
class Resource:
    """One ``resource`` (or ``data``) block: its Terraform type, name and configuration."""

    type: str
    name: str
    config: Mapping[str, Any]
    is_data: bool = False

    @property
    def address(self) -> str:
        prefix = "data." if self.is_data else ""
        return f"{prefix}{self.type}.{self.name}"

    @property
    def instances(self) -> int:
        """How many real resources this block creates: ``count`` when it is a literal, otherwise one."""
        count = self.config.get("count")
        if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
            return count
        return 1

    @property
    def has_unresolved_multiplier(self) -> bool:
        """``for_each`` or a computed ``count``: the number of instances is only known at plan time."""
        count = self.config.get("count")
        computed_count = count is not None and not (isinstance(count, int) and not isinstance(count, bool))
        return "for_each" in self.config or computed_count


@dataclass(frozen=True)
class SynthesizedStack:
    name: str
    region: str
    resources: tuple[Resource, ...]
    data_sources: tuple[Resource, ...]
    backend: Mapping[str, Any]

    def by_address(self, address: str) -> Resource | None:
        for resource in self.resources:
            if resource.address == address:
                return resource
        return None

    def of_type(self, resource_type: str) -> Iterator[Resource]:
        return (resource for resource in self.resources if resource.type == resource_type)

    def referenced(self, value: Any) -> Resource | None:
        """The resource an interpolation such as ``${aws_x.name.attr}`` points at, if it is in this stack."""
        address = referenced_address(value)
        return self.by_address(address) if address else None

    def references_to(self, target: Resource, resource_type: str, attribute: str) -> list[Resource]:
        """Resources of ``resource_type`` whose ``attribute`` interpolates ``target``."""
        return [
            resource
            for resource in self.of_type(resource_type)
            if referenced_address(resource.config.get(attribute)) == target.address
        ]


def single_block(value: Any) -> Mapping[str, Any]:
    """A nested block (``runtime_platform``, ``network_configuration``...): Terraform JSON allows an object or a list."""
    if isinstance(value, list):
        value = value[0] if value else {}
    return value if isinstance(value, dict) else {}


def referenced_address(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    match = _REFERENCE.match(value.strip())
    return f"{match['type']}.{match['name']}" if match else None


def load_stack(path: Path) -> SynthesizedStack:
    try:
        document = json.loads(path.read_text())
    except OSError as error:
        raise StackError(f"cannot read {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise StackError(f"{path} is not valid JSON ({error.msg}, line {error.lineno})") from None
    return stack_from_document(document, default_name=path.parent.name)


def stack_from_document(document: Any, default_name: str = "stack") -> SynthesizedStack:
    """Build the stack model from an already parsed ``cdk.tf.json`` (tests pass small hand-built dicts)."""
    if not isinstance(document, dict) or not ({"resource", "data", "terraform"} & document.keys()):
        raise StackError("not a synthesized Terraform JSON stack (no 'resource', 'data' or 'terraform' block)")
    metadata = document.get("//", {}).get("metadata", {}) if isinstance(document.get("//"), dict) else {}
    return SynthesizedStack(
        name=str(metadata.get("stackName") or default_name),
        region=_provider_region(document),
        resources=tuple(_blocks(document.get("resource", {}), is_data=False)),
        data_sources=tuple(_blocks(document.get("data", {}), is_data=True)),
        backend=_backend(document),
    )


def _blocks(section: Any, *, is_data: bool) -> Iterator[Resource]:
    if not isinstance(section, dict):
        raise StackError("'resource' and 'data' must be objects keyed by type")
    for resource_type, named in section.items():
        if not isinstance(named, dict):
            raise StackError(f"'{resource_type}' must be an object keyed by resource name")
        for name, config in named.items():
            yield Resource(
                type=resource_type, name=name, config=config if isinstance(config, dict) else {}, is_data=is_data
            )


def _provider_region(document: dict[str, Any]) -> str:
    providers = document.get("provider", {}).get("aws", [])
    blocks = providers if isinstance(providers, list) else [providers]
    for block in blocks:
        # The default (un-aliased) provider decides where the stack's resources live.
        if isinstance(block, dict) and "alias" not in block and isinstance(block.get("region"), str):
            return str(block["region"])
    return ""


def _backend(document: dict[str, Any]) -> Mapping[str, Any]:
    backends = document.get("terraform", {}).get("backend", {})
    return backends if isinstance(backends, dict) else {}
