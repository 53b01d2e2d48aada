"""The only module that imports cdktf and constructs.

cdktf is archived upstream; keeping its imports here means a move to its drop-in fork changes one file.
Importing this module also silences jsii's Node.js end-of-life banner, which users should not see on every synth.
"""

from __future__ import annotations

import os

# jsii prints a large banner on stderr for each Node.js major it considers end-of-life or untested; the value is a
# comma-separated list of majors to silence. setdefault keeps a user's own choice.
for _warning in ("END_OF_LIFE", "DEPRECATED", "UNTESTED"):
    os.environ.setdefault(f"JSII_SILENCE_WARNING_{_warning}_NODE_VERSION", "18,20,22,24")

from cdktf import (  # noqa: E402 - the environment above must be set before jsii starts
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
