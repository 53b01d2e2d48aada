"""Fast access to the prebuilt AWS provider bindings: ``cdktf_cdktf_provider_aws``, or ``cdktn_provider_aws`` on CDK
Terrain (stacks/machinery/selection.py).

The ``cdktf_cdktf_provider_aws`` package ``__init__`` imports all of its ~2,200 submodules (about 15 s and 600 MB).
(``cdktn_provider_aws``'s ``__init__`` already imports them lazily, but still runs a 360 KB module; the same shortcut
works there unchanged, so both frameworks take the one path below.)
Each submodule is self-contained: it loads the shared jsii assembly through ``cdktf_cdktf_provider_aws._jsii`` and
defines its own classes. So we register the package in ``sys.modules`` *without* running its ``__init__`` and import
only the submodules the stacks touch, on first attribute access::

    from stacks.machinery.aws import aws
    aws.vpc.Vpc(self, "vpc", cidr_block="10.0.0.0/16")

If a provider upgrade breaks this (the package layout changes, a submodule needs its siblings), we fall back to the
normal import with one warning line on stderr. Setting ``STACKKIT_PROVIDER_IMPORT=full`` forces the normal path (the
tests use it to prove both paths synthesize byte-identical output). Every provider class in ``stacks/`` comes through
this module; no other file imports the provider package.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from types import ModuleType
from typing import Any

import stacks.machinery.framework  # noqa: F401 - silences jsii's banner before the provider starts the jsii runtime
from stacks.machinery.selection import FRAMEWORK

PACKAGE = FRAMEWORK.provider_package


class ProviderNamespace:
    """Attribute access returns the provider submodule of that name (``aws.ecs_cluster`` -> its module)."""

    def __init__(self, package: str) -> None:
        self._package = package
        self.mode = "full" if os.environ.get("STACKKIT_PROVIDER_IMPORT") == "full" else "fast"
        self.loaded: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        module = self._load(name)
        setattr(self, name, module)  # later lookups skip __getattr__
        self.loaded.add(name)
        return module

    def _load(self, name: str) -> ModuleType:
        if self.mode == "fast":
            try:
                return self._load_fast(name)
            except Exception as exc:  # any failure of the shortcut means "use the supported path"
                self._fall_back(exc)
        if self._package not in sys.modules or not hasattr(sys.modules[self._package], "__all__"):
            importlib.import_module(self._package)
        return importlib.import_module(f"{self._package}.{name}")

    def _load_fast(self, name: str) -> ModuleType:
        if self._package not in sys.modules:
            spec = importlib.util.find_spec(self._package)
            if spec is None or spec.submodule_search_locations is None:
                raise ImportError(f"{self._package} is not an installed package")
            package = importlib.util.module_from_spec(spec)  # created, deliberately not executed
            sys.modules[self._package] = package
        return importlib.import_module(f"{self._package}.{name}")

    def _fall_back(self, exc: Exception) -> None:
        print(
            f"warning: fast AWS provider import failed ({type(exc).__name__}: {exc}); using the full import (slower)",
            file=sys.stderr,
        )
        for module_name in [m for m in sys.modules if m == self._package or m.startswith(self._package + ".")]:
            del sys.modules[module_name]
        self.mode = "full"


aws = ProviderNamespace(PACKAGE)
