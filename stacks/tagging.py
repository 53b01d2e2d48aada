"""The StackKit tag policy: the tags every taggable resource carries, and a synth-time check that they do."""

from __future__ import annotations

from typing import Any

import jsii

from stacks.machinery.framework import Annotations, IAspect, IConstruct, TerraformResource, TerraformStack
from stacks.naming import TAG_POLICY_KEYS, stackkit_tags

POLICY_KEYS = TAG_POLICY_KEYS
__all__ = ["POLICY_KEYS", "TagPolicyCheck", "stackkit_tags"]


@jsii.implements(IAspect)
class TagPolicyCheck:
    """Fails synthesis when a taggable resource can end up without a policy tag.

    Tags normally come from the provider's ``default_tags``. A resource is compliant when the provider of its stack
    carries every policy key, or when the resource sets them itself. A resource that sets a policy key to an empty
    value would erase the default tag, so that is a violation too.
    """

    def __init__(self, required: dict[str, str]) -> None:
        self.required = required
        self.violations: list[str] = []

    def visit(self, node: IConstruct) -> None:
        if not _is_taggable_resource(node):
            return
        own_tags = _own_tags(node)
        provider_tags = _provider_default_tags(node)
        missing = [key for key in POLICY_KEYS if key not in provider_tags and not own_tags.get(key)]
        erased = [key for key in POLICY_KEYS if key in own_tags and not own_tags[key]]
        problem_keys = missing + erased
        if problem_keys:
            message = f"{node.node.path}: missing StackKit tag(s) {', '.join(problem_keys)}"
            self.violations.append(message)
            Annotations.of(node).add_error(message)


def _is_taggable_resource(node: IConstruct) -> bool:
    return isinstance(node, TerraformResource) and hasattr(node, "tags_input")


def _own_tags(node: Any) -> dict[str, str]:
    tags = node.tags_input
    return dict(tags) if isinstance(tags, dict) else {}


def _provider_default_tags(node: Any) -> dict[str, str]:
    """Default tags of the provider that will create this resource: its explicit provider, else the un-aliased one."""
    provider = node.provider
    if provider is None:
        stack = TerraformStack.of(node)
        candidates = [
            child
            for child in stack.node.children
            if getattr(child, "terraform_resource_type", None) == "aws" and not getattr(child, "alias", None)
        ]
        provider = candidates[0] if candidates else None
    tags: dict[str, str] = {}
    for block in getattr(provider, "default_tags_input", None) or []:
        tags.update(getattr(block, "tags", None) or {})
    return tags
