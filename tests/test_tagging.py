"""Tags: the StackKit policy on every taggable resource through default_tags, enforced at synth time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stacks.config import AtlantisConfig
from stacks.tagging import POLICY_KEYS, stackkit_tags

SEED_POLICY = {
    "Project": "atlantis",
    "Environment": "prod",
    "Stack": "prod-atlantis-stack",
    "Owner": "mycompany",
    "ManagedBy": "terraform",
    "CreatedBy": "atlantis-ecs",
    "Repository": "stackkit/atlantis-ecs",
}


def test_provider_default_tags_are_the_seed_policy(synthesized: dict[str, Any]) -> None:
    [provider] = synthesized["prod"]["provider"]["aws"]
    assert provider["default_tags"] == [{"tags": SEED_POLICY}]


def test_every_stack_has_all_policy_keys(synth_outdir: Path) -> None:
    import json

    for path in (synth_outdir / "stacks").glob("*/cdk.tf.json"):
        stack = json.loads(path.read_text())
        for provider in stack["provider"]["aws"]:
            assert set(provider["default_tags"][0]["tags"]) >= set(POLICY_KEYS), path


def test_no_resource_erases_a_policy_tag(synth_outdir: Path) -> None:
    import json

    for path in (synth_outdir / "stacks").glob("*/cdk.tf.json"):
        for by_name in json.loads(path.read_text()).get("resource", {}).values():
            for resource in by_name.values():
                tags = resource.get("tags", {})
                assert all(tags.get(key, "x") for key in POLICY_KEYS), path


def test_extra_tags_cannot_override_the_policy(scenario_configs: dict[str, AtlantisConfig]) -> None:
    from dataclasses import replace

    config = replace(scenario_configs["prod"], extra_tags={"Owner": "someone-else", "CostCenter": "42"})
    tags = stackkit_tags(config)
    assert tags["Owner"] == "mycompany" and tags["CostCenter"] == "42"


def test_a_resource_without_policy_tags_fails_synth(
    scenario_configs: dict[str, AtlantisConfig], tmp_path: Path
) -> None:
    from stacks.app import SynthError, synthesize
    from stacks.atlantis_stack import AtlantisStack
    from stacks.machinery.aws import aws

    original_init = AtlantisStack.__init__

    def init_with_untagged_provider(self: AtlantisStack, scope: Any, config: AtlantisConfig) -> None:
        original_init(self, scope, config)
        # A second provider alias without default_tags, and a bucket that uses it: nothing would tag the bucket.
        bare = aws.provider.AwsProvider(self, "untagged", region="us-east-1", alias="untagged")
        aws.s3_bucket.S3Bucket(self, "stray-bucket", bucket="stray-bucket-example", provider=bare)

    pytest.MonkeyPatch().setattr(AtlantisStack, "__init__", init_with_untagged_provider)
    try:
        with pytest.raises(SynthError, match=r"stray-bucket: missing StackKit tag\(s\) Project, Environment"):
            synthesize([scenario_configs["prod"]], str(tmp_path / "cdktf.out"))
    finally:
        AtlantisStack.__init__ = original_init  # type: ignore[method-assign]
    assert not (tmp_path / "cdktf.out").exists(), "a failed synth leaves no output"
    assert not list(tmp_path.iterdir())
