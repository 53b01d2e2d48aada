"""tests/xdist_scheduling.py, run against a simulated integration tier: four workers that, like xdist's, start a test
only once they know the next one. Plain --dist loadgroup queues long units behind one another on one worker;
LongFirstScheduling does not, and finishes close to the best any schedule can do."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest
from xdist.remote import Producer
from xdist.scheduler import LoadGroupScheduling

from tests.xdist_scheduling import LongFirstScheduling, expected_seconds

APPLY = "tests/terraform/test_terraform_apply.py::test_variant_applies_and_destroys_on_the_emulator"
PLAN = "tests/terraform/test_terraform_plan.py::test_variant_plans_against_the_emulator"
VALIDATE = "tests/terraform/test_terraform_validate.py::test_variant_validates"
VARIANTS = ("prod", "dev", "prod_full", "prod_ha", "prod_oidc", "budget", "prod_cognito", "bootstrap")

# The integration tier in collection order, with the seconds each test took in a measured run.
SECONDS = {
    **{f"{APPLY}[{variant}]": seconds for variant, seconds in (("prod", 136), ("prod_full", 178), ("prod_ha", 143))},
    "tests/terraform/test_terraform_cdktf_deploy.py::test_cdktf_deploy_and_destroy_the_prod_stack": 135,
    **{f"{PLAN}[{variant}]": 20 for variant in VARIANTS},
    "tests/terraform/test_terraform_quick_deploy.py::test_first_run@quick_deploy": 121,
    "tests/terraform/test_terraform_quick_deploy.py::test_second_run@quick_deploy": 35,
    **{f"{VALIDATE}[{variant}]": 10 for variant in VARIANTS},
    "tests/test_cdktn_parity.py::test_same[shipped]@cdktn_parity": 87,
    "tests/test_cdktn_parity.py::test_same[scenarios]@cdktn_parity": 2,
    "tests/test_cdktn_parity.py::test_validate@cdktn_parity": 26,
    **{f"tests/test_fast_import.py::test_{index}@fast_import": 62 if index == 0 else 0.1 for index in range(8)},
    "tests/test_fresh_clone.py::test_commands[quick-deploy]@fresh_clone": 248,
    **{f"tests/test_fresh_clone.py::test_{index}@fresh_clone": 1 for index in range(6)},
    **{f"tests/test_jsii_cache.py::test_{index}@jsii_cache": 31 if index == 0 else 5 for index in range(9)},
}


class Config:
    """What the schedulers read of pytest's config: four local workers."""

    def __init__(self) -> None:
        self.option = type("Option", (), {"loadscopereorder": True})()

    def getvalue(self, name: str) -> Any:
        return {"tx": ["4*popen"], "loadscopereorder": True}[name]


@dataclass(eq=False)
class Worker:
    """An xdist worker as the scheduler sees it, running its tests one after another on a simulated clock."""

    name: str
    gateway: Any = None
    queue: list[int] = field(default_factory=list)
    shutting_down: bool = False
    busy_until: float = 0.0
    ran: list[str] = field(default_factory=list)

    def send_runtest_some(self, indexes: list[int]) -> None:
        self.queue.extend(indexes)

    def shutdown(self) -> None:
        self.shutting_down = True

    def can_start(self) -> bool:  # xdist's run_one_test reads the next index before it runs the current test
        return len(self.queue) >= 2 or (len(self.queue) == 1 and self.shutting_down)


def simulate(scheduler_class: type[LoadGroupScheduling]) -> tuple[float, list[Worker]]:
    """Run SECONDS through the scheduler; the time the last worker ends, and what each ran."""
    collection = list(SECONDS)
    scheduler = scheduler_class(Config(), Producer("simulation", enabled=False))  # type: ignore[arg-type]
    workers = [Worker(f"gw{index}", type("Gateway", (), {"id": f"gw{index}"})()) for index in range(4)]
    for worker in workers:
        scheduler.add_node(worker)  # type: ignore[arg-type]
        scheduler.add_node_collection(worker, collection)  # type: ignore[arg-type]
    scheduler.schedule()
    clock, running = 0.0, dict[Worker, tuple[float, int]]()
    while running or any(worker.queue for worker in workers):
        for worker in workers:
            if worker not in running and worker.can_start():
                index = worker.queue[0]
                worker.ran.append(collection[index])
                running[worker] = (clock + SECONDS[collection[index]], index)
        assert running, "no worker can start a test: the scheduler left one waiting for its next"
        worker, (clock, index) = min(running.items(), key=lambda item: item[1][0])
        del running[worker]
        worker.queue.pop(0)
        scheduler.mark_test_complete(worker, index)  # type: ignore[arg-type]
    return clock, workers


def long_units_in_a_row(worker: Worker) -> list[tuple[str, str]]:
    scopes = [LoadGroupScheduling._split_scope(None, nodeid) for nodeid in worker.ran]  # type: ignore[arg-type]
    units = [scope for index, scope in enumerate(scopes) if index == 0 or scopes[index - 1] != scope]
    return [(a, b) for a, b in itertools.pairwise(units) if expected_seconds(a) and expected_seconds(b)]


def test_plain_loadgroup_queues_long_units_behind_one_another() -> None:
    """The pathology this scheduler exists for, as a measured run showed it (one worker 155 s behind the rest)."""
    makespan, workers = simulate(LoadGroupScheduling)
    assert any(long_units_in_a_row(worker) for worker in workers)
    assert makespan > 1.2 * sum(SECONDS.values()) / len(workers)


def test_long_units_never_wait_behind_each_other_and_the_run_ends_near_the_bound() -> None:
    makespan, workers = simulate(LongFirstScheduling)
    plain, _ = simulate(LoadGroupScheduling)
    best_possible = max(sum(SECONDS.values()) / len(workers), max(SECONDS.values()))
    assert makespan <= 1.15 * best_possible < plain
    assert sorted(test for worker in workers for test in worker.ran) == sorted(SECONDS)  # each test once
    fresh_clone = next(worker for worker in workers if any("@fresh_clone" in test for test in worker.ran))
    assert fresh_clone.ran[0].endswith("@fresh_clone"), "the longest unit starts first"


@pytest.mark.parametrize(
    ("scope", "seconds"),
    [
        ("fresh_clone", 250),
        (f"{APPLY}[prod]", 150),
        ("tests/terraform/test_terraform_cdktf_deploy.py::test_cdktf_deploy_and_destroy_the_prod_stack", 135),
        (f"{PLAN}[prod]", 0),
        ("tests/terraform/test_terraform_apply_extra.py::test_x", 0),
    ],
)
def test_expected_seconds_names_the_long_units(scope: str, seconds: int) -> None:
    assert expected_seconds(scope) == seconds
