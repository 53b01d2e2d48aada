"""The cdktf / CDK Terrain switch (fast tier, no synth): STACKKIT_FRAMEWORK, the package table in
stacks/machinery/selection.py, the second Pipfile and package.json in frameworks/cdktn/, the output comparison of
tools/framework_parity.py and the lazy provider index on both providers' index layouts.

The synthesizing comparison of both frameworks is tests/test_cdktn_parity.py (integration tier).
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from stacks.config import FRAMEWORK_NAMES, ConfigError, framework_installed_here, framework_name, load_config
from stacks.machinery.jsii_cache import Assembly
from stacks.machinery.selection import FRAMEWORK, FRAMEWORKS, python_for
from tests.conftest import CONFIG_DIR, REPO, render_tfvars
from tools.framework_parity import compare_outputs, main, pointer, provider_address

CDKTN_DIR = REPO / "frameworks" / "cdktn"
LAZY_INDEX = REPO / "stacks" / "machinery" / "lazy_provider_index.js"
# The lines in which the two Pipfiles may differ: the framework, its provider bindings and the constructs range.
FRAMEWORK_PACKAGES = {
    "cdktf": {"cdktf", "cdktf-cdktf-provider-aws", "constructs"},
    "cdktn": {"cdktn", "cdktn-provider-aws", "constructs"},
}


def installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


# --- STACKKIT_FRAMEWORK -----------------------------------------------------------------------------------------


def test_unset_framework_is_the_one_installed_in_this_venv() -> None:
    assert framework_name({}) == FRAMEWORK.name
    assert installed(FRAMEWORK.core_package) and installed(FRAMEWORK.provider_package)
    assert FRAMEWORK_NAMES[0] == "cdktf"  # the default, where both are installed


def test_framework_named_explicitly_is_used() -> None:
    assert framework_name({"STACKKIT_FRAMEWORK": FRAMEWORK.name}) == FRAMEWORK.name


def test_unknown_framework_is_one_clear_line() -> None:
    with pytest.raises(ConfigError) as error:
        framework_name({"STACKKIT_FRAMEWORK": "cdk8s"})
    assert str(error.value) == 'STACKKIT_FRAMEWORK: "cdk8s" is not a framework; expected one of: cdktf, cdktn'


def test_framework_missing_from_this_venv_is_one_clear_line() -> None:
    [absent] = [name for name in FRAMEWORK_NAMES if not installed(name)]  # each venv holds one framework
    assert framework_name({"STACKKIT_FRAMEWORK": absent}) == absent  # a valid name (the deploy tool may run it)
    with pytest.raises(ConfigError) as error:
        framework_installed_here({"STACKKIT_FRAMEWORK": absent})
    assert str(error.value).startswith(f"STACKKIT_FRAMEWORK: {absent} is not installed in this Python environment")
    assert f"STACKKIT_FRAMEWORK={absent} ./project.sh synth" in str(error.value)


def test_main_runs_in_the_venv_of_the_selected_framework() -> None:
    """What the deploy tool runs main.py with: this interpreter for its own framework, else the other's venv."""
    [absent] = [name for name in FRAMEWORK_NAMES if not installed(name)]
    other_venv = REPO / Path(FRAMEWORKS[absent].pipfile).parent / ".venv" / "bin" / "python"
    assert python_for({}) == python_for({"STACKKIT_FRAMEWORK": FRAMEWORK.name}) == sys.executable
    assert python_for({"STACKKIT_FRAMEWORK": absent}) == (str(other_venv) if other_venv.exists() else sys.executable)


def test_main_rejects_an_unknown_framework_before_jsii_starts(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("STACKKIT_", "TF_", "CDKTF_"))}
    environment.update(STACKKIT_FRAMEWORK="terraform-cdk", STACKKIT_OUTDIR=str(tmp_path / "out"))
    result = subprocess.run(
        [sys.executable, "main.py"], cwd=REPO, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        'error: STACKKIT_FRAMEWORK: "terraform-cdk" is not a framework; expected one of: cdktf, cdktn'
    ]
    assert not (tmp_path / "out").exists()


def test_project_sh_rejects_an_unknown_framework_before_installing_anything() -> None:
    environment = {**os.environ, "STACKKIT_FRAMEWORK": "cdk8s"}
    result = subprocess.run(
        ["bash", str(REPO / "project.sh"), "synth"], env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "error: STACKKIT_FRAMEWORK=cdk8s is not a framework; expected cdktf or cdktn"


# --- aws_provider_version ---------------------------------------------------------------------------------------


@pytest.mark.synth
def test_aws_provider_version_replaces_the_bindings_provider_version(synthesized: dict[str, dict]) -> None:
    def required(scenario: str) -> dict:
        return synthesized[scenario]["terraform"]["required_providers"]["aws"]

    bindings_version = required("prod")["version"]  # unset: the bindings' own (6.25.0 on cdktf, 6.69.1 on CDK Terrain)
    assert bindings_version.startswith("6.") and bindings_version != "6.30.0"
    assert required("prod_minimal_keys")["version"] == "6.30.0"  # the scenario pins it
    assert required("prod_minimal_keys")["source"] == required("prod")["source"]


@pytest.mark.parametrize("value", ["5.100.0", "~> 6.25", "6.25", "latest"])
def test_aws_provider_version_must_be_an_exact_6x_version(tmp_path: Path, value: str) -> None:
    path = tmp_path / "prod.tfvars"
    path.write_text(render_tfvars(CONFIG_DIR / "prod.tfvars", {"aws_provider_version": f'"{value}"'}))
    with pytest.raises(ConfigError) as error:
        load_config(path, environ={})
    assert str(error.value) == (
        f'{path}: aws_provider_version: "{value}" is not a hashicorp/aws 6.x version; expected 6.MINOR.PATCH such as '
        "6.25.0 (both frameworks' bindings are made for 6.x), or leave it unset"
    )


# --- the table of package names ---------------------------------------------------------------------------------


def test_the_table_names_the_installed_framework_packages_and_assemblies() -> None:
    assert set(FRAMEWORKS) == set(FRAMEWORK_NAMES)
    assert Assembly.of_package(FRAMEWORK.core_package).name == FRAMEWORK.core_package
    provider = Assembly.of_package(FRAMEWORK.provider_package)
    assert provider.name == FRAMEWORK.provider_assembly
    assert provider.version == metadata.version(FRAMEWORK.provider_package.replace("_", "-"))
    assert (REPO / FRAMEWORK.pipfile).is_file()
    assert (REPO / FRAMEWORK.node_project / "package.json").is_file()


def test_each_framework_has_its_pipfile_lock_and_cli_package() -> None:
    for framework in FRAMEWORKS.values():
        pipfile = tomllib.loads((REPO / framework.pipfile).read_text())
        lock = json.loads((REPO / (framework.pipfile + ".lock")).read_text())
        package = json.loads((REPO / framework.node_project / "package.json").read_text())
        package_lock = json.loads((REPO / framework.node_project / "package-lock.json").read_text())
        core = framework.core_package
        pinned = pipfile["packages"][core].removeprefix("==")
        assert lock["default"][core]["version"] == f"=={pinned}"
        cli_package = f"{framework.cli}-cli"
        # The CLI and the library of one framework are released together; keep them at the same version.
        assert package["devDependencies"][cli_package] == pinned
        assert package_lock["packages"][f"node_modules/{cli_package}"]["version"] == pinned
        provider = framework.provider_package.replace("_", "-")
        assert lock["default"][provider]["version"] == pipfile["packages"][provider]


def test_the_cdktn_pipfile_differs_from_the_top_level_one_only_in_the_framework() -> None:
    """Add a package to Pipfile, add it to frameworks/cdktn/Pipfile as well (and run pipenv lock for both)."""
    cdktf = tomllib.loads((REPO / "Pipfile").read_text())
    cdktn = tomllib.loads((CDKTN_DIR / "Pipfile").read_text())
    shared_cdktf = {k: v for k, v in cdktf["packages"].items() if k not in FRAMEWORK_PACKAGES["cdktf"]}
    shared_cdktn = {k: v for k, v in cdktn["packages"].items() if k not in FRAMEWORK_PACKAGES["cdktn"]}
    assert shared_cdktn == shared_cdktf
    assert cdktn["dev-packages"] == cdktf["dev-packages"]
    assert cdktn["requires"] == cdktf["requires"]
    assert cdktn["source"] == cdktf["source"]


def test_the_cdktn_lock_has_no_cdktf_and_the_cdktf_lock_no_cdktn() -> None:
    cdktf_lock = json.loads((REPO / "Pipfile.lock").read_text())
    cdktn_lock = json.loads((CDKTN_DIR / "Pipfile.lock").read_text())
    cdktf_names = set(cdktf_lock["default"]) | set(cdktf_lock["develop"])
    cdktn_names = set(cdktn_lock["default"]) | set(cdktn_lock["develop"])
    assert {"cdktf", "cdktf-cdktf-provider-aws"} <= cdktf_names and not any(n.startswith("cdktn") for n in cdktf_names)
    assert {"cdktn", "cdktn-provider-aws"} <= cdktn_names and not any(n.startswith("cdktf") for n in cdktn_names)


# --- tools/framework_parity.py ----------------------------------------------------------------------------------


def stack(framework_version: str, source: str, provider_version: str, **resource: object) -> dict:
    return {
        "//": {"metadata": {"backend": "s3", "stackName": "prod", "version": framework_version}},
        "terraform": {"required_providers": {"aws": {"source": source, "version": provider_version}}},
        "resource": {"aws_s3_bucket": {"state": {"bucket": "state", **resource}}},
    }


def write_output(root: Path, framework_version: str, cdk_tf: dict, extra: dict[str, bytes] | None = None) -> Path:
    (root / "stacks" / "prod").mkdir(parents=True)
    (root / "manifest.json").write_text(json.dumps({"version": framework_version, "stacks": {"prod": {}}}))
    (root / "stacks" / "prod" / "cdk.tf.json").write_text(json.dumps(cdk_tf, indent=2))
    for name, content in (extra or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    return root


def test_parity_allows_framework_metadata_and_the_provider_requirement(tmp_path: Path) -> None:
    cdktf = write_output(tmp_path / "a", "0.21.0", stack("0.21.0", "aws", "6.25.0"), {"assets/x.bin": b"zip"})
    cdktn = write_output(tmp_path / "b", "0.24.0", stack("0.24.0", "hashicorp/aws", "6.69.1"), {"assets/x.bin": b"zip"})
    assert compare_outputs(cdktf, cdktn) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"versioning": {"enabled": True}},
            "stacks/prod/cdk.tf.json: /resource/aws_s3_bucket/state/versioning: only in the CDK Terrain output",
        ),
        (
            {"bucket": "other"},
            'stacks/prod/cdk.tf.json: /resource/aws_s3_bucket/state/bucket: cdktf "state" != CDK Terrain "other"',
        ),
    ],
)
def test_parity_names_the_json_pointer_of_any_other_difference(tmp_path: Path, change: dict, expected: str) -> None:
    cdktf = write_output(tmp_path / "a", "0.21.0", stack("0.21.0", "aws", "6.25.0"))
    cdktn = write_output(tmp_path / "b", "0.24.0", stack("0.24.0", "hashicorp/aws", "6.69.1", **change))
    assert compare_outputs(cdktf, cdktn) == [expected]


def test_parity_refuses_another_provider_source_files_and_bytes(tmp_path: Path) -> None:
    cdktf = write_output(tmp_path / "a", "0.21.0", stack("0.21.0", "aws", "6.25.0"), {"assets/x.bin": b"zip"})
    cdktn = write_output(
        tmp_path / "b", "0.24.0", stack("0.24.0", "acme/aws", "6.69.1"), {"assets/x.bin": b"zap", "extra.txt": b""}
    )
    assert compare_outputs(cdktf, cdktn) == [
        "extra.txt: only in the CDK Terrain output",
        "assets/x.bin: the files differ byte for byte",
        'stacks/prod/cdk.tf.json: /terraform/required_providers/aws/source: cdktf "aws" != CDK Terrain "acme/aws"',
    ]


def zipped(members: dict[str, bytes], date: tuple[int, int, int, int, int, int]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=date), content)
    return buffer.getvalue()


def test_parity_compares_archives_by_their_files_not_their_timestamps(tmp_path: Path) -> None:
    same = {"handler.py": b"print(1)\n", "lib/x.py": b""}
    with_folder = {"lib/": b"", **same}  # cdktf adds an entry per folder, CDK Terrain does not
    cdktf = write_output(
        tmp_path / "a",
        "0.21.0",
        stack("0.21.0", "aws", "6.25.0"),
        {"a.zip": zipped(with_folder, (2026, 1, 1, 0, 0, 0))},
    )
    later = (2026, 12, 3, 21, 0, 0)
    cdktn = write_output(tmp_path / "b", "0.24.0", stack("0.24.0", "aws", "6.69.1"), {"a.zip": zipped(same, later)})
    assert (cdktf / "a.zip").read_bytes() != (cdktn / "a.zip").read_bytes()
    assert compare_outputs(cdktf, cdktn) == []
    (cdktn / "a.zip").write_bytes(zipped({"handler.py": b"print(2)\n", "extra.py": b""}, later))
    assert compare_outputs(cdktf, cdktn) == [
        "a.zip: lib/x.py: only in the cdktf archive",
        "a.zip: extra.py: only in the CDK Terrain archive",
        "a.zip: handler.py: the archived files differ",
    ]


def test_parity_reports_list_lengths_and_escapes_pointers(tmp_path: Path) -> None:
    left = stack("0.21.0", "aws", "6.25.0", tags=["a"])
    right = stack("0.24.0", "aws", "6.69.1", tags=["a", "b"])
    left["//"]["a/b~c"] = 1
    right["//"]["a/b~c"] = 2
    cdktf = write_output(tmp_path / "a", "0.21.0", left)
    cdktn = write_output(tmp_path / "b", "0.24.0", right)
    assert compare_outputs(cdktf, cdktn) == [
        "stacks/prod/cdk.tf.json: /~1~1/a~1b~0c: cdktf 1 != CDK Terrain 2",
        "stacks/prod/cdk.tf.json: /resource/aws_s3_bucket/state/tags: 1 items in the cdktf output, 2 in the CDK "
        "Terrain output",
    ]
    assert pointer(()) == ""


def test_provider_addresses_follow_terraform_defaults() -> None:
    assert provider_address("aws") == provider_address("hashicorp/aws") == "registry.terraform.io/hashicorp/aws"
    assert provider_address("registry.opentofu.org/hashicorp/aws") != provider_address("aws")


def test_parity_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cdktf = write_output(tmp_path / "a", "0.21.0", stack("0.21.0", "aws", "6.25.0"))
    cdktn = write_output(tmp_path / "b", "0.24.0", stack("0.24.0", "aws", "6.69.1", bucket="x"))
    assert main([str(cdktf), str(cdktf)]) == 0
    assert main([str(cdktf), str(cdktn)]) == 1
    assert main([str(cdktf)]) == 2
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("the outputs match")
    assert lines[1].startswith("stacks/prod/cdk.tf.json: /resource/aws_s3_bucket/state/bucket: ")
    assert lines[2].startswith("usage: ")


# --- lazy_provider_index.js on both index layouts ---------------------------------------------------------------

SUBMODULE = """"use strict";
Object.defineProperty(exports, "__esModule", {{ value: true }});
globalThis.loaded = (globalThis.loaded || []).concat("{name}");
class {cls} {{}}
exports.{cls} = {cls};
"""

PROBE = """
const provider = require(process.argv[1]);
const before = [...(globalThis.loaded || [])];
const keys = Object.keys(provider);
const vpc = provider.vpc.Vpc.name;
const again = provider.vpc === provider.vpc;
console.log(JSON.stringify({ before, keys, vpc, again, after: globalThis.loaded }));
"""


def fake_provider(root: Path, scope: str, wrapped: bool) -> Path:
    """A provider package with the index layout of @cdktf/provider-aws (plain) or @cdktn/provider-aws (wrapped)."""
    lib = root / "node_modules" / scope / "provider-aws" / "lib"
    names = {"vpc": "Vpc", "subnet": "Subnet", "s3Bucket": "S3Bucket"}
    lines = ['"use strict";', 'Object.defineProperty(exports, "__esModule", { value: true });']
    lines.append(" = ".join(f"exports.{name}" for name in reversed(names)) + " = void 0;")
    for name, cls in names.items():
        (lib / name).mkdir(parents=True)
        (lib / name / "index.js").write_text(SUBMODULE.format(name=name, cls=cls))
        request = f"./{name}/index" if wrapped else f"./{name}"
        lines.append(
            f'exports.{name} = __importStar(require("{request}"));'
            if wrapped
            else f'exports.{name} = require("{request}");'
        )
    if wrapped:
        lines.insert(1, "var __importStar = (this && this.__importStar) || function (m) { return m; };")
    (lib / "index.js").write_text("\n".join(lines) + "\n")
    return lib / "index.js"


def run_probe(index: Path, lazy: bool) -> dict:
    node = shutil.which("node")
    assert node, "node is needed (jsii runs on it)"
    options = ["--require", str(LAZY_INDEX)] if lazy else []
    # Not the NODE_OPTIONS that stacks/machinery/framework.py sets in this process when a synth test ran before.
    environment = {k: v for k, v in os.environ.items() if k != "NODE_OPTIONS"}
    result = subprocess.run(
        [node, *options, "-e", PROBE, str(index)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize(("scope", "wrapped"), [("@cdktf", False), ("@cdktn", True)])
def test_lazy_index_loads_only_what_is_used_and_exports_the_same(tmp_path: Path, scope: str, wrapped: bool) -> None:
    index = fake_provider(tmp_path, scope, wrapped)
    normal, lazy = run_probe(index, lazy=False), run_probe(index, lazy=True)
    assert normal["before"] == ["vpc", "subnet", "s3Bucket"]  # the index requires every submodule
    assert lazy["before"] == []  # nothing until a submodule is used
    assert lazy["after"] == ["vpc"]
    assert lazy["keys"] == normal["keys"] == ["vpc", "subnet", "s3Bucket"]
    assert lazy["vpc"] == normal["vpc"] == "Vpc" and lazy["again"]


def test_lazy_index_steps_aside_for_an_index_it_does_not_recognise(tmp_path: Path) -> None:
    """A provider upgrade adds an export that is not a plain submodule: the normal loader runs, as it did."""
    index = fake_provider(tmp_path, "@cdktn", wrapped=True)
    source = index.read_text().replace(" = void 0;", " = exports.extra = void 0;")
    index.write_text(source + 'exports.extra = require("./vpc/index").Vpc;\n')
    assert run_probe(index, lazy=True)["before"] == ["vpc", "subnet", "s3Bucket"]  # loaded normally
