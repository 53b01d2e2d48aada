"""The terraform matrix: every scenario of tests/conftest.py (add a variant there, in one line) and the bootstrap
stack; which of them are applied and destroyed against the emulator; and how long each step may take."""

from __future__ import annotations

from tests.conftest import SCENARIOS

BOOTSTRAP = "bootstrap"  # the state bucket and lock table stack, synthesized beside prod
VARIANTS = (*SCENARIOS, BOOTSTRAP)
APPLIED = ("prod", "prod_full", "prod_ha")  # default prod, every optional feature, HA (Redis, autoscaling)
