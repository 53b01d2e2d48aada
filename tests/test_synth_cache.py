"""tests/synth_cache.py: the session's shared synthesis is what one app with every scenario writes, each entry is built
once however many workers ask, and an entry is never reused for other code or another config."""

from __future__ import annotations

import dataclasses
import fcntl
import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from stacks.config import AtlantisConfig
from tests import synth_cache
from tests.conftest import REPO

pytestmark = pytest.mark.synth


class RecordingSynth:
    """Writes one stack folder per config (and a shared bootstrap named after the region), recording each call."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, configs: list[AtlantisConfig], outdir: str) -> list[str]:
        [config] = configs
        self.calls.append(config.stack_name)
        for name in (config.stack_name, f"bootstrap-{config.aws_region}"):
            folder = Path(outdir) / "stacks" / name
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "cdk.tf.json").write_text(json.dumps({"from": config.stack_name}))
        return [config.stack_name]


@pytest.fixture()
def configs(scenario_configs: dict[str, AtlantisConfig]) -> dict[str, AtlantisConfig]:
    return {name: scenario_configs[name] for name in ("prod", "dev", "prod_ha")}


def test_the_merged_synth_is_byte_for_byte_one_app_with_every_scenario(
    synth_outdir: Path, scenario_configs: dict[str, AtlantisConfig], tmp_path: Path
) -> None:
    """Two scenarios that share the bootstrap stack, synthesized as one app, against the session's merged view."""
    from stacks.app import synthesize

    chosen = [scenario_configs["prod"], scenario_configs["prod_route53"]]
    names = synthesize(chosen, str(tmp_path / "one-app"))
    assert len(names) == 3  # two stacks and the one bootstrap both share
    for name in names:
        one_app = tmp_path / "one-app" / "stacks" / name
        merged = synth_outdir / "stacks" / name
        files = sorted(path.relative_to(one_app) for path in one_app.rglob("*") if path.is_file())
        assert files == sorted(path.relative_to(merged) for path in merged.rglob("*") if path.is_file())
        assert all((one_app / file).read_bytes() == (merged / file).read_bytes() for file in files), name


def test_each_entry_is_built_once_and_then_reused(configs: dict[str, AtlantisConfig], tmp_path: Path) -> None:
    synth = RecordingSynth()
    first = synth_cache.synthesize_shared(tmp_path, configs, synth, code="v1")
    again = synth_cache.synthesize_shared(tmp_path, configs, synth, code="v1", start=2)
    assert synth.calls == [config.stack_name for config in configs.values()]
    assert first == again and all((outdir / "stacks").is_dir() for outdir in first.values())


def test_the_start_rotates_the_order(configs: dict[str, AtlantisConfig], tmp_path: Path) -> None:
    synth = RecordingSynth()
    synth_cache.synthesize_shared(tmp_path, configs, synth, code="v1", start=1)
    assert synth.calls == ["dev-atlantis-stack", "ha-stack", "prod-atlantis-stack"]


def test_other_code_or_another_config_is_a_new_entry_and_the_old_one_goes(
    configs: dict[str, AtlantisConfig], tmp_path: Path
) -> None:
    synth = RecordingSynth()
    before = synth_cache.synthesize_shared(tmp_path, configs, synth, code="v1")
    changed = {**configs, "dev": dataclasses.replace(configs["dev"], desired_count=3)}
    after = synth_cache.synthesize_shared(tmp_path, changed, synth, code="v1")
    assert synth.calls[3:] == ["dev-atlantis-stack"]
    assert after["dev"] != before["dev"] and not before["dev"].exists() and after["prod"] == before["prod"]
    synth_cache.synthesize_shared(tmp_path, changed, synth, code="v2")
    assert len(synth.calls) == 7
    assert sorted(path.name.split("-")[0] for path in tmp_path.iterdir() if path.is_dir()) == ["dev", "prod", "prod_ha"]


def test_the_config_path_is_not_part_of_the_entry(configs: dict[str, AtlantisConfig]) -> None:
    moved = dataclasses.replace(configs["prod"], source="/elsewhere/prod.tfvars")
    assert synth_cache.entry_name("prod", moved, "v1") == synth_cache.entry_name("prod", configs["prod"], "v1")


def test_an_entry_another_worker_builds_is_waited_for_not_built_again(
    configs: dict[str, AtlantisConfig], tmp_path: Path
) -> None:
    prod = {"prod": configs["prod"]}
    entry = tmp_path / synth_cache.entry_name("prod", configs["prod"], "v1")
    lock = entry.with_name(entry.name + ".lock").open("a")
    fcntl.flock(lock, fcntl.LOCK_EX)  # the other worker, mid-synth
    synth = RecordingSynth()
    result: dict[str, Any] = {}
    waiter = threading.Thread(
        target=lambda: result.update(synth_cache.synthesize_shared(tmp_path, prod, synth, code="v1"))
    )
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive() and synth.calls == []  # waiting on the lock, not building
    RecordingSynth()([configs["prod"]], str(entry / "cdktf.out"))
    (entry / synth_cache.COMPLETE).write_text("")
    lock.close()  # the other worker finished
    waiter.join(10)
    assert synth.calls == [] and result["prod"] == entry / "cdktf.out"


def test_a_half_entry_left_by_a_dead_worker_is_rebuilt(configs: dict[str, AtlantisConfig], tmp_path: Path) -> None:
    prod = {"prod": configs["prod"]}
    entry = tmp_path / synth_cache.entry_name("prod", configs["prod"], "v1")
    (entry / "cdktf.out" / "stacks" / "half").mkdir(parents=True)  # no marker: its builder died
    synth = RecordingSynth()
    synth_cache.synthesize_shared(tmp_path, prod, synth, code="v1")
    assert synth.calls == ["prod-atlantis-stack"] and not (entry / "cdktf.out" / "stacks" / "half").exists()


def test_two_processes_build_every_entry_exactly_once(tmp_path: Path) -> None:
    """Two processes, each starting at another scenario, as two xdist workers do."""
    script = f"""
import json, sys, time
sys.path[:0] = [{str(REPO)!r}]
from tests.conftest import SCENARIOS, write_scenario
from tests.test_synth_cache import RecordingSynth
class SlowSynth(RecordingSynth):
    def __call__(self, configs, outdir):
        time.sleep(0.1)
        return super().__call__(configs, outdir)
from tests import synth_cache
from stacks.config import load_config
from pathlib import Path
folder = Path(sys.argv[1]) / sys.argv[2]
folder.mkdir()
configs = {{name: load_config(write_scenario(folder, name), environ={{}}) for name in list(SCENARIOS)[:6]}}
(folder / "started").write_text("")
while len(list(Path(sys.argv[1]).glob("*/started"))) < 2:  # both processes are here: they overlap
    time.sleep(0.01)
synth = SlowSynth()
synth_cache.synthesize_shared(Path(sys.argv[1]) / "cache", configs, synth, code="v1", start=int(sys.argv[2]) * 3)
print(json.dumps(synth.calls))
"""
    processes = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path), str(index)], stdout=subprocess.PIPE, text=True)
        for index in (0, 1)
    ]
    built = [json.loads(process.communicate(timeout=60)[0]) for process in processes]
    assert sorted(built[0] + built[1]) == sorted(set(built[0] + built[1])) and len(built[0] + built[1]) == 6


def test_merge_takes_a_shared_stack_from_the_first_scenario(configs: dict[str, AtlantisConfig], tmp_path: Path) -> None:
    outdirs = synth_cache.synthesize_shared(tmp_path / "cache", configs, RecordingSynth(), code="v1")
    merged = synth_cache.merge(outdirs, tmp_path / "merged")
    bootstrap = merged / "stacks" / f"bootstrap-{configs['prod'].aws_region}" / "cdk.tf.json"
    assert json.loads(bootstrap.read_text()) == {"from": "prod-atlantis-stack"}
    assert sorted(path.name for path in (merged / "stacks").iterdir()) == sorted(
        [config.stack_name for config in configs.values()] + [bootstrap.parent.name]
    )


def test_the_code_digest_follows_the_synth_inputs_and_the_stackkit_settings(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "app.py").write_text("one")
    (tmp_path / "stacks" / "__pycache__").mkdir()
    (tmp_path / "Pipfile.lock").write_text("{}")
    first = synth_cache.code_digest(tmp_path, environ={})
    (tmp_path / "stacks" / "__pycache__" / "app.cpython-311.pyc").write_text("bytecode")
    (tmp_path / "README.md").write_text("not an input")
    assert synth_cache.code_digest(tmp_path, environ={"HOME": "/x"}) == first
    assert synth_cache.code_digest(tmp_path, environ={"STACKKIT_FRAMEWORK": "cdktn"}) != first
    (tmp_path / "stacks" / "app.py").write_text("two")
    assert synth_cache.code_digest(tmp_path, environ={}) != first


@pytest.mark.parametrize(
    ("worker", "count", "expected"),
    [(None, None, 0), ("gw0", "2", 0), ("gw1", "2", 5), ("gw3", "4", 8), ("master", "2", 0)],
)
def test_workers_start_spread_over_the_scenarios(worker: str | None, count: str | None, expected: int) -> None:
    environ = {
        key: value for key, value in (("PYTEST_XDIST_WORKER", worker), ("PYTEST_XDIST_WORKER_COUNT", count)) if value
    }
    assert synth_cache.worker_start(11, environ) == expected
