"""Which CDK framework synthesizes the app: CDK for Terraform (cdktf, the default) or CDK Terrain (cdktn).

CDK Terrain is the community fork of cdktf (archived upstream on 2025-12-10). It keeps cdktf's constructs API under
new package names, so the choice is a table of names: framework.py imports the core package, aws.py the provider
bindings, jsii_cache.py locates their assemblies and lazy_provider_index.js recognises the provider's Node index.
``STACKKIT_FRAMEWORK`` (validated in stacks/config.py; unset, the framework installed in this venv) picks the row;
nothing in ``stacks/`` outside this subpackage knows which one is in use. This module imports neither framework.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from stacks.config import PROJECT_ROOT, framework_name


@dataclass(frozen=True)
class Framework:
    name: str  # the STACKKIT_FRAMEWORK value
    title: str
    core_package: str  # Python package of the framework (App, TerraformStack, Testing, ...)
    provider_package: str  # Python package of the prebuilt hashicorp/aws bindings
    provider_assembly: str  # npm name of the provider's jsii assembly
    pipfile: str  # relative to the repository; pipenv keeps the framework's venv in .venv beside it
    node_project: str  # folder (relative to the repository) of the package.json that installs the CLI
    cli: str  # the command line tool's binary in <node_project>/node_modules/.bin


FRAMEWORKS = {
    "cdktf": Framework(
        name="cdktf",
        title="CDK for Terraform",
        core_package="cdktf",
        provider_package="cdktf_cdktf_provider_aws",
        provider_assembly="@cdktf/provider-aws",
        pipfile="Pipfile",
        node_project=".",
        cli="cdktf",
    ),
    "cdktn": Framework(
        name="cdktn",
        title="CDK Terrain",
        core_package="cdktn",
        provider_package="cdktn_provider_aws",
        provider_assembly="@cdktn/provider-aws",
        pipfile="frameworks/cdktn/Pipfile",
        node_project="frameworks/cdktn",
        cli="cdktn",
    ),
}


def __getattr__(name: str) -> Framework:
    """``FRAMEWORK``: the row STACKKIT_FRAMEWORK selects, read on use, so importing this module never raises."""
    if name == "FRAMEWORK":
        return FRAMEWORKS[framework_name()]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def python_for(environ: Mapping[str, str]) -> str:
    """The interpreter to run main.py with for the framework ``environ`` selects: this one if it has the framework,
    else that framework's venv as ./project.sh installs it (main.py then reports anything still missing)."""
    name = framework_name(environ)
    if importlib.util.find_spec(name) is not None:
        return sys.executable
    python = PROJECT_ROOT / Path(FRAMEWORKS[name].pipfile).parent / ".venv" / "bin" / "python"
    return str(python) if python.exists() else sys.executable
