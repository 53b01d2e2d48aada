"""Remove secrets from a `terraform show -json` plan before anything leaves the Lambda.

One walk does two things:

1. Terraform's own sensitivity masks. `before_sensitive`, `after_sensitive`, `sensitive_values` and
   an output's `sensitive` flag mirror the shape of the value they describe; `true` at any level
   hides the whole subtree, list elements included. A mask whose shape does not match its value
   hides the value too: when in doubt, hide.
2. Secret detection (detectors.py) on every string that is left, for values Terraform never marked.

Inputs are dropped rather than walked: top-level `variables`, every variable `default` and every
literal `constant_value` in `configuration` (a literal password in HCL appears there unmasked; the
same value shows up, masked, in the resource changes). Top-level keys this module does not know are
dropped as well, so a new plan format version cannot smuggle values past the masks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ai_reviewer.detectors import SecretScanner, is_secret_like_key

SENSITIVE_PLACEHOLDER = "(sensitive value)"
# Added to a change: names of sensitive top-level attributes whose value changes. Only the names
# leave the Lambda, like the "(sensitive value)" lines in `terraform plan` output.
SENSITIVE_CHANGES_KEY = "sensitive_attributes_changed"

_PLAN_SCALARS = ("format_version", "terraform_version", "applyable", "complete", "errored", "timestamp")
_RESOURCE_CHANGE_LISTS = ("resource_changes", "resource_drift")
# Keys of a change object besides before/after. `generated_config` (HCL text for imports) and the
# identity objects are left out: the review does not need them and they may embed values.
_CHANGE_METADATA = ("actions", "after_unknown", "before_sensitive", "after_sensitive", "replace_paths", "importing")
_DROPPED_CONFIGURATION_KEYS = frozenset({"default", "constant_value"})


@dataclass
class RedactionStats:
    sensitive: int = 0  # values hidden because Terraform marked them sensitive
    detected: int = 0  # secrets found by detection in values Terraform did not mark

    @property
    def total(self) -> int:
        return self.sensitive + self.detected


@dataclass(frozen=True)
class RedactedPlan:
    plan: dict[str, Any]
    stats: RedactionStats


def redact_plan(plan: Mapping[str, Any]) -> RedactedPlan:
    """Return a redacted copy of `plan`; the input is not modified."""
    redactor = _Redactor()
    redacted: dict[str, Any] = {key: plan[key] for key in _PLAN_SCALARS if key in plan}
    for section in _RESOURCE_CHANGE_LISTS:
        if section in plan:
            redacted[section] = [redactor.resource_change(item) for item in _as_list(plan[section])]
    if "deferred_changes" in plan:
        redacted["deferred_changes"] = [redactor.deferred_change(item) for item in _as_list(plan["deferred_changes"])]
    if "output_changes" in plan:
        outputs = _as_dict(plan["output_changes"])
        redacted["output_changes"] = {name: redactor.change(change) for name, change in outputs.items()}
    if "planned_values" in plan:
        redacted["planned_values"] = redactor.values_document(plan["planned_values"])
    if "prior_state" in plan:
        redacted["prior_state"] = redactor.state(plan["prior_state"])
    if "configuration" in plan:
        redacted["configuration"] = redactor.configuration(plan["configuration"])
    return RedactedPlan(plan=redacted, stats=redactor.stats)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class _Redactor:
    def __init__(self) -> None:
        self.stats = RedactionStats()
        self._scanner = SecretScanner()

    # Plan sections

    def resource_change(self, item: Any) -> dict[str, Any]:
        item = _as_dict(item)
        redacted = {key: self.scan(value, key) for key, value in item.items() if key != "change"}
        redacted["change"] = self.change(item.get("change"))
        return redacted

    def deferred_change(self, item: Any) -> dict[str, Any]:
        item = _as_dict(item)
        return {
            "reason": self.scan(item.get("reason")),
            "resource_change": self.resource_change(item.get("resource_change")),
        }

    def change(self, change: Any) -> dict[str, Any]:
        change = _as_dict(change)
        redacted = {key: self.scan(change[key], key) for key in _CHANGE_METADATA if key in change}
        redacted["before"] = self.masked(change.get("before"), change.get("before_sensitive"))
        redacted["after"] = self.masked(change.get("after"), change.get("after_sensitive"))
        changed = _changed_sensitive_attributes(change)
        if changed:
            redacted[SENSITIVE_CHANGES_KEY] = changed
        return redacted

    def state(self, state: Any) -> dict[str, Any]:
        state = _as_dict(state)
        redacted = {key: state[key] for key in ("format_version", "terraform_version") if key in state}
        if "values" in state:
            redacted["values"] = self.values_document(state["values"])
        return redacted

    def values_document(self, document: Any) -> dict[str, Any]:
        """planned_values and prior_state.values: outputs plus a module tree of resources."""
        document = _as_dict(document)
        redacted: dict[str, Any] = {}
        if "outputs" in document:
            outputs = _as_dict(document["outputs"])
            redacted["outputs"] = {name: self.output_value(output) for name, output in outputs.items()}
        if "root_module" in document:
            redacted["root_module"] = self.module(document["root_module"])
        return redacted

    def output_value(self, output: Any) -> dict[str, Any]:
        output = _as_dict(output)
        redacted = {key: self.scan(value, key) for key, value in output.items() if key != "value"}
        # A missing flag hides the value as well.
        redacted["value"] = self.masked(output.get("value"), output.get("sensitive") is not False)
        return redacted

    def module(self, module: Any) -> dict[str, Any]:
        module = _as_dict(module)
        redacted: dict[str, Any] = {}
        if "address" in module:
            redacted["address"] = self.scan(module["address"])
        redacted["resources"] = [self.state_resource(resource) for resource in _as_list(module.get("resources"))]
        redacted["child_modules"] = [self.module(child) for child in _as_list(module.get("child_modules"))]
        return redacted

    def state_resource(self, resource: Any) -> dict[str, Any]:
        resource = _as_dict(resource)
        redacted = {key: self.scan(value, key) for key, value in resource.items() if key != "values"}
        redacted["values"] = self.masked(resource.get("values"), resource.get("sensitive_values"))
        return redacted

    def configuration(self, configuration: Any) -> Any:
        # With the literals gone, what is left (references, descriptions, module sources) is often
        # named after a secret without being one, so key names play no part here.
        return self.scan(_without_literals(configuration), key_names_matter=False)

    # Values

    def masked(self, value: Any, mask: Any, key: str = "", under_secret_key: bool = False) -> Any:
        """Apply a Terraform sensitivity mask to `value`, then scan what is left."""
        if value is None:
            return None  # nothing to hide, and "no value" is worth showing
        under_secret_key = under_secret_key or (bool(key) and is_secret_like_key(key))
        if _hides_everything(mask):
            self.stats.sensitive += 1
            return SENSITIVE_PLACEHOLDER
        if isinstance(value, dict) and isinstance(mask, dict):
            return {
                child_key: self.masked(child, mask.get(child_key), child_key, under_secret_key)
                for child_key, child in value.items()
            }
        if isinstance(value, list) and isinstance(mask, list):
            return [
                self.masked(child, mask[index] if index < len(mask) else None, key, under_secret_key)
                for index, child in enumerate(value)
            ]
        if masks_nothing(mask):
            return self.scan(value, key, under_secret_key)
        # The mask has sensitive parts but a different shape than the value: hide it all.
        self.stats.sensitive += 1
        return SENSITIVE_PLACEHOLDER

    def scan(self, value: Any, key: str = "", under_secret_key: bool = False, key_names_matter: bool = True) -> Any:
        """Secret detection over every string in `value`, dictionary keys included."""
        under_secret_key = under_secret_key or (key_names_matter and bool(key) and is_secret_like_key(key))
        if isinstance(value, str):
            cleaned, found = self._scanner.scan(value, under_secret_key)
            self.stats.detected += found
            return cleaned
        if isinstance(value, dict):
            return {
                self.scan(child_key): self.scan(child, child_key, under_secret_key, key_names_matter)
                for child_key, child in value.items()
            }
        if isinstance(value, list):
            return [self.scan(child, key, under_secret_key, key_names_matter) for child in value]
        return value


def _hides_everything(mask: Any) -> bool:
    # Terraform writes `true`; any other non-container, non-false value is unexpected and hides too.
    return mask is not None and mask is not False and not isinstance(mask, dict | list)


def masks_nothing(mask: Any) -> bool:
    """True when a sensitivity mask marks no part of its value sensitive."""
    if mask is None or mask is False:
        return True
    if isinstance(mask, dict):
        return all(masks_nothing(child) for child in mask.values())
    if isinstance(mask, list):
        return all(masks_nothing(child) for child in mask)
    return False


def _changed_sensitive_attributes(change: Mapping[str, Any]) -> list[str]:
    before, after = change.get("before"), change.get("after")
    before_mask, after_mask = change.get("before_sensitive"), change.get("after_sensitive")
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    names: set[str] = set()
    for mask in (before_mask, after_mask):
        if isinstance(mask, dict):
            names.update(name for name, flag in mask.items() if not masks_nothing(flag))
    return sorted(name for name in names if before.get(name) != after.get(name))


def _without_literals(configuration: Any) -> Any:
    if isinstance(configuration, dict):
        return {
            key: _without_literals(value)
            for key, value in configuration.items()
            if key not in _DROPPED_CONFIGURATION_KEYS
        }
    if isinstance(configuration, list):
        return [_without_literals(item) for item in configuration]
    return configuration
