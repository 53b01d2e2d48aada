"""How the integration tier hands its tests to the workers: the long units first, and never a long unit queued behind
another long one on the same worker.

An xdist worker starts a test only once it knows the next one (pytest-xdist 3.8.0 src/xdist/remote.py:211-214,
``run_one_test`` takes the next index before it runs the current test), so every worker always holds one unit in
reserve, and the scheduler gives it the next unit of its queue as soon as two or fewer of its tests are pending
(src/xdist/scheduler/loadscope.py:330-336). With the three applies as single-test units of two to three minutes each,
one worker drew all three in turn, behind one another, and ended at 520 s while the other three ended at 365 s.
Here a worker that is running a long unit reserves a short one, and a worker running a short one, or nothing,
takes the longest left.
"""

from __future__ import annotations

from typing import Any

from xdist.scheduler import LoadGroupScheduling

# Units of a minute or more, with the seconds each took on this 2-core machine with four workers (the fresh clone
# installs from PyPI; the others apply, deploy or synthesize with both frameworks): an xdist_group's name, or the
# start of the node ids of a module whose tests are units of their own. The rest (plans, validates, probes) take
# seconds each.
LONG_UNITS = {
    "fresh_clone": 250,
    "tests/terraform/test_terraform_apply.py::": 150,
    "quick_deploy": 155,
    "tests/terraform/test_terraform_cdktf_deploy.py::": 135,
    "cdktn_parity": 115,
    "jsii_cache": 70,
    "fast_import": 65,
}


def expected_seconds(scope: str) -> int:
    """A long unit's measured seconds; 0 for a short one."""
    return next((seconds for unit, seconds in LONG_UNITS.items() if scope == unit or scope.startswith(unit)), 0)


class LongFirstScheduling(LoadGroupScheduling):
    """--dist loadgroup, but a long unit never waits behind another long unit on one worker."""

    def _assign_work_unit(self, node: Any) -> None:
        running_long = any(
            expected_seconds(scope) and not all(done.values())
            for scope, done in self.assigned_work.get(node, {}).items()
        )
        if running_long:  # this unit waits until the long one ends: give it a short one
            wanted = next((scope for scope in self.workqueue if not expected_seconds(scope)), None)
        else:
            wanted = max(self.workqueue, key=expected_seconds, default=None)
        if wanted is not None:
            self.workqueue.move_to_end(wanted, last=False)  # the parent method takes the first unit of the queue
        super()._assign_work_unit(node)
