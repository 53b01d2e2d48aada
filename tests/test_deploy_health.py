"""Step 7: waiting for /healthz against a local server, and the bounds every wait in the tool has."""

from __future__ import annotations

import re

import pytest

from deploy.errors import DeployError
from deploy.health import wait_for_health
from deploy.polling import poll
from tests.deploy_fakes.health_server import HealthServer


def test_healthy_after_a_few_unhealthy_answers() -> None:
    with HealthServer(unhealthy_answers=3) as server:
        tries = wait_for_health(server.url, timeout=5, interval=0.01)

    assert tries == 4
    assert server.requests == 4


def test_timeout_names_the_url_the_tries_and_the_last_answer() -> None:
    with HealthServer(unhealthy_answers=10_000) as server, pytest.raises(DeployError) as raised:
        wait_for_health(server.url + "/", timeout=0.3, interval=0.05)

    assert f"{server.url}/healthz did not answer 200 within 0.3s" in raised.value.problem
    assert "last: HTTP 503" in raised.value.problem
    assert "./quick-deploy.sh logs" in raised.value.hint
    assert 2 <= server.requests <= 8


def test_an_unreachable_url_is_reported_not_raised() -> None:
    with HealthServer(unhealthy_answers=0) as server:
        closed_port_url = server.url
    with pytest.raises(DeployError, match=re.escape("did not answer 200 within 0.05s")):
        wait_for_health(closed_port_url, timeout=0.05, interval=0.01)


def test_poll_stops_after_its_attempts_even_if_the_clock_stands_still() -> None:
    calls: list[int] = []
    sleeps: list[float] = []

    result = poll(lambda: calls.append(1), timeout=1.0, interval=0.25, sleep=sleeps.append, clock=lambda: 100.0)

    assert result is None
    assert len(calls) == 5  # timeout / interval + 1
    assert len(sleeps) == 4


def test_poll_returns_the_first_value_and_sleeps_no_more() -> None:
    answers = iter([None, None, "ready"])
    sleeps: list[float] = []

    assert poll(lambda: next(answers), timeout=10, interval=1, sleep=sleeps.append) == "ready"
    assert sleeps == [1, 1]
