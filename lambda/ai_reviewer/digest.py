"""Turn a redacted plan into compact review items: what changes, not the whole state.

An update lists only the attributes that change (as dotted paths), a create the values it sets, a
delete the values it removes. Values Terraform will only know after apply are shown as such.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ai_reviewer.redact import SENSITIVE_CHANGES_KEY

UNKNOWN_PLACEHOLDER = "(known after apply)"

DESTRUCTIVE_ACTIONS = frozenset({"delete", "replace"})

# Review order: destructive changes first, then what modifies or adds infrastructure.
_PRIORITY = {"delete": 0, "replace": 0, "update": 1, "import": 1, "move": 1, "create": 2, "output": 3, "drift": 4}
_LOWEST_PRIORITY = 5

_ACTION_NAMES = {
    ("no-op",): "no-op",
    ("create",): "create",
    ("read",): "read",
    ("update",): "update",
    ("delete",): "delete",
    ("delete", "create"): "replace",
    ("create", "delete"): "replace",
    ("forget",): "forget",
}


@dataclass(frozen=True)
class ReviewItem:
    section: str  # "resource_changes", "output_changes", "resource_drift" or "module_sources"
    priority: int
    sort_key: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class PlanDigest:
    terraform_version: str | None
    errored: bool
    actions: dict[str, int]  # every resource change, no-ops included
    changes_by_type: dict[str, dict[str, int]]  # resource type -> action -> count, no-ops left out
    destructive: list[str]  # "address (action)", sorted by address
    items: list[ReviewItem]  # in review order

    @property
    def resource_changes_total(self) -> int:
        return sum(count for action, count in self.actions.items() if action != "no-op")

    @property
    def has_changes(self) -> bool:
        return any(item.section in {"resource_changes", "output_changes"} for item in self.items)


def action_name(actions: Any) -> str:
    key = tuple(actions) if isinstance(actions, list) else ()
    return _ACTION_NAMES.get(key, "+".join(str(action) for action in key) or "unknown")


def digest_plan(plan: Mapping[str, Any]) -> PlanDigest:
    """Digest a plan that has already been redacted (see redact.py)."""
    resource_changes = [change for change in plan.get("resource_changes", []) if isinstance(change, dict)]
    action_counts: Counter[str] = Counter()
    by_type: defaultdict[str, Counter[str]] = defaultdict(Counter)
    destructive: list[str] = []
    items: list[ReviewItem] = []
    for resource_change in resource_changes:
        action = _resource_action(resource_change)
        action_counts[action] += 1
        if action == "no-op":
            continue
        by_type[str(resource_change.get("type"))][action] += 1
        if action in DESTRUCTIVE_ACTIONS:
            destructive.append(f"{resource_change.get('address')} ({action})")
        items.append(_resource_item(resource_change, action))
    items.extend(_output_items(plan.get("output_changes")))
    items.extend(_drift_items(plan.get("resource_drift")))
    items.extend(_module_source_items(plan.get("configuration")))
    items.sort(key=lambda item: (item.priority, item.section, item.sort_key))
    return PlanDigest(
        terraform_version=plan.get("terraform_version"),
        errored=plan.get("errored") is True,
        actions=dict(sorted(action_counts.items())),
        changes_by_type={name: dict(sorted(counts.items())) for name, counts in sorted(by_type.items())},
        destructive=sorted(destructive),
        items=items,
    )


def _resource_action(resource_change: Mapping[str, Any]) -> str:
    change = resource_change.get("change") or {}
    action = action_name(change.get("actions"))
    if action == "no-op" and change.get("importing"):
        return "import"
    if action == "no-op" and resource_change.get("previous_address"):
        return "move"
    return action


def _resource_item(resource_change: Mapping[str, Any], action: str) -> ReviewItem:
    change = resource_change.get("change") or {}
    address = str(resource_change.get("address"))
    detail: dict[str, Any] = {"address": address, "type": resource_change.get("type"), "action": action}
    for key in ("action_reason", "previous_address"):
        if resource_change.get(key):
            detail[key] = resource_change[key]
    if change.get("replace_paths"):
        detail["replace_paths"] = change["replace_paths"]
    before = change.get("before")
    after = _with_unknowns(change.get("after"), change.get("after_unknown"))
    if action == "create":
        detail["after"] = _compact(after)
    elif action == "delete":
        detail["before"] = _compact(before)
    elif action in {"update", "replace", "import"}:
        detail["changed"] = dict(_changed_paths(before, after, ""))
        if change.get(SENSITIVE_CHANGES_KEY):
            detail[SENSITIVE_CHANGES_KEY] = change[SENSITIVE_CHANGES_KEY]
    return ReviewItem("resource_changes", _PRIORITY.get(action, _LOWEST_PRIORITY), address, detail)


def _output_items(output_changes: Any) -> Iterator[ReviewItem]:
    if not isinstance(output_changes, dict):
        return
    for name, change in output_changes.items():
        if not isinstance(change, dict):
            continue
        action = action_name(change.get("actions"))
        if action == "no-op":
            continue
        after = _with_unknowns(change.get("after"), change.get("after_unknown"))
        detail = {"name": name, "action": action, "before": change.get("before"), "after": after}
        yield ReviewItem("output_changes", _PRIORITY["output"], name, detail)


def _drift_items(resource_drift: Any) -> Iterator[ReviewItem]:
    for drift in resource_drift if isinstance(resource_drift, list) else []:
        if not isinstance(drift, dict):
            continue
        change = drift.get("change") or {}
        address = str(drift.get("address"))
        detail = {
            "address": address,
            "action": action_name(change.get("actions")),
            "changed_outside_terraform": dict(_changed_paths(change.get("before"), change.get("after"), "")),
        }
        yield ReviewItem("resource_drift", _PRIORITY["drift"], address, detail)


def _module_source_items(configuration: Any) -> Iterator[ReviewItem]:
    """Where each module comes from: a supply-chain fact the resource changes do not show."""
    root = configuration.get("root_module") if isinstance(configuration, dict) else None
    yield from _module_calls(root, "")


def _module_calls(module: Any, prefix: str) -> Iterator[ReviewItem]:
    calls = module.get("module_calls") if isinstance(module, dict) else None
    if not isinstance(calls, dict):
        return
    for name, call in sorted(calls.items()):
        if not isinstance(call, dict):
            continue
        address = f"{prefix}module.{name}"
        detail = {"module": address, "source": call.get("source")}
        if call.get("version_constraint"):
            detail["version"] = call["version_constraint"]
        yield ReviewItem("module_sources", _LOWEST_PRIORITY, address, detail)
        yield from _module_calls(call.get("module"), f"{address}.")


def _with_unknowns(value: Any, unknown: Any) -> Any:
    """Mark the parts of `value` that `after_unknown` says are computed during apply."""
    if unknown is True:
        return UNKNOWN_PLACEHOLDER
    if isinstance(unknown, dict) and (value is None or isinstance(value, dict)):
        merged = dict(value or {})
        for key, child_unknown in unknown.items():
            merged[key] = _with_unknowns(merged.get(key), child_unknown)
        return merged
    if isinstance(unknown, list) and isinstance(value, list):
        return [
            _with_unknowns(child, unknown[index] if index < len(unknown) else None) for index, child in enumerate(value)
        ]
    return value


def _changed_paths(before: Any, after: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (dotted path, {before, after}) for each value that differs, descending into objects."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(before.keys() | after.keys()):
            yield from _changed_paths(before.get(key), after.get(key), f"{path}.{key}" if path else key)
    elif before != after:
        yield path or "(value)", {"before": before, "after": after}


def _compact(value: Any) -> Any:
    """Drop null and empty attributes: they cost tokens and say nothing."""
    if isinstance(value, dict):
        compacted = {key: _compact(child) for key, child in value.items()}
        return {key: child for key, child in compacted.items() if child not in (None, "", [], {})}
    if isinstance(value, list):
        return [_compact(child) for child in value]
    return value
