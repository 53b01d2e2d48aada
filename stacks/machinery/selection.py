"""Which CDK framework synthesizes the app: CDK for Terraform (cdktf, the default) or CDK Terrain (cdktn).

CDK Terrain is the community fork of cdktf (archived upstream on 2025-12-10). It keeps cdktf's constructs API under
new package names, so the choice is a table of names: framework.py imports the core package, aws.py the provider
bindings, jsii_cache.py locates their assemblies and lazy_provider_index.js recognises the provider's Node index.
``STACKKIT_FRAMEWORK`` (validated in stacks/config.py; unset, the framework installed in this venv) picks the row;
nothing in ``stacks/`` outside this subpackage knows which one is in use. This module imports neither framework.
"""

from __future__ import annotations

from dataclasses import dataclass

from stacks.config import framework_name


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

FRAMEWORK = FRAMEWORKS[framework_name()]
