"""The broker probe (govbus/core/probes.py) replaces a client whose requests have failed for
``FRESH_CLIENT_AFTER_SECONDS``, and only then; a failure is still reported every time."""
from __future__ import annotations

import pytest

from govbus.core.probes import FRESH_CLIENT_AFTER_SECONDS, broker_probe
from govbus.core.settings import GovbusSettings


class Client:
    def __init__(self, answers: bool) -> None:
        self.answers, self.asked = answers, 0

    def list_topics(self, timeout: float) -> object:
        self.asked += 1
        if not self.answers:
            raise RuntimeError("Failed to get metadata: Local: Broker transport failure")
        return object()


def _probe(clients: list[Client], times: list[float]):  # noqa: ANN202
    made: list[Client] = []

    def make() -> Client:
        made.append(clients[len(made)])
        return made[-1]
    return broker_probe(GovbusSettings(), make_client=make, clock=lambda: times[0]), made


def test_a_client_failing_that_long_is_replaced_and_the_new_one_answers() -> None:
    times = [100.0]
    probe, made = _probe([Client(False), Client(True)], times)
    for at in (100.0, 110.0, 100.0 + FRESH_CLIENT_AFTER_SECONDS - 1):
        times[0] = at
        with pytest.raises(RuntimeError):
            probe()
    assert len(made) == 1  # failing, but not for long enough yet
    times[0] = 100.0 + FRESH_CLIENT_AFTER_SECONDS
    with pytest.raises(RuntimeError):
        probe()  # still this client's failure that is reported
    assert len(made) == 2
    probe()  # the fresh client reaches the broker
    assert made[1].asked == 1


def test_a_client_that_answers_in_between_starts_the_count_again() -> None:
    times = [0.0]
    flaky = Client(False)
    probe, made = _probe([flaky], times)
    with pytest.raises(RuntimeError):
        probe()
    flaky.answers, times[0] = True, FRESH_CLIENT_AFTER_SECONDS - 5
    probe()
    flaky.answers, times[0] = False, FRESH_CLIENT_AFTER_SECONDS + 1
    with pytest.raises(RuntimeError):
        probe()
    assert len(made) == 1  # failing for 0 s since it last answered: kept
