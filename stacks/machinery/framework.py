"""The only module that imports the CDK framework and constructs.

cdktf is archived upstream (2025-12-10); CDK Terrain (``cdktn``) is its community fork with the same constructs API.
STACKKIT_FRAMEWORK=cdktn (stacks/machinery/selection.py) makes this module import ``cdktn`` instead of ``cdktf``;
every construct in ``stacks/`` imports these names from here and never learns which one it got.
Importing this module also silences jsii's Node.js end-of-life banner, which users should not see on every synth.
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from stacks.machinery.selection import FRAMEWORK

# jsii prints a large banner on stderr for each Node.js major it considers end-of-life or untested; the value is a
# comma-separated list of majors to silence. setdefault keeps a user's own choice.
for _warning in ("END_OF_LIFE", "DEPRECATED", "UNTESTED"):
    os.environ.setdefault(f"JSII_SILENCE_WARNING_{_warning}_NODE_VERSION", "18,20,22,24")

# The Node side of stacks/machinery/aws.py: jsii's kernel would otherwise require all ~2,200 provider modules (1.7 s, 450 MB)
# when it loads the provider's assembly. lazy_provider_index.js makes them load on first use, and steps aside
# (normal loading) if the provider's index ever looks different. On an empty jsii package cache, jsii_cache.prefill
# fills it in a third of the memory jsii needs for that (1.4 GiB), before jsii starts; on a warm cache it only checks
# a few paths. STACKKIT_PROVIDER_IMPORT=full turns all three off.
if os.environ.get("STACKKIT_PROVIDER_IMPORT") != "full":
    _lazy_index = json.dumps(str(Path(__file__).with_name("lazy_provider_index.js")))
    if _lazy_index not in os.environ.get("NODE_OPTIONS", ""):
        os.environ["NODE_OPTIONS"] = f"{os.environ.get('NODE_OPTIONS', '')} --require {_lazy_index}".strip()
    from stacks.machinery.jsii_cache import prefill

    prefill()

# Imported only now: the environment above must be set before jsii starts. The type checker reads cdktf's names; at
# run time the selected framework provides them (CDK Terrain has the same constructs API,
# github.com/open-constructs/cdk-terrain), bound here by name from __all__.
if TYPE_CHECKING:
    from cdktf import (
        Annotations,
        App,
        Aspects,
        AssetType,
        Fn,
        IAspect,
        S3Backend,
        TerraformAsset,
        TerraformOutput,
        TerraformResource,
        TerraformResourceLifecycle,
        TerraformStack,
        TerraformVariable,
        Testing,
        Token,
    )
from constructs import Construct, IConstruct  # noqa: E402

__all__ = [
    "Annotations",
    "App",
    "Aspects",
    "AssetType",
    "Construct",
    "Fn",
    "IAspect",
    "IConstruct",
    "S3Backend",
    "TerraformAsset",
    "TerraformOutput",
    "TerraformResource",
    "TerraformResourceLifecycle",
    "TerraformStack",
    "TerraformVariable",
    "Testing",
    "Token",
]

_framework = importlib.import_module(FRAMEWORK.core_package)
globals().update({name: getattr(_framework, name) for name in __all__ if name not in ("Construct", "IConstruct")})
