"""The outage state machine: which WARNING line each moment gets, and the backoff schedule."""
from __future__ import annotations

import pytest

from govbus.core.outage import Backoff, Notice, OutageBoard, Service, on_failure, on_success

BROKER, REGISTRY = Service.BROKER, Service.REGISTRY


@pytest.mark.parametrize(("attempt", "seconds"), [
    (-1, 0.0), (0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 10.0), (50, 10.0), (10_000, 10.0)])
def test_backoff_doubles_up_to_its_ceiling(attempt, seconds):
    assert Backoff().delay(attempt) == seconds


# (event, service, time) in order → the kinds of notice each event writes
STORY = [
    (("fail", BROKER, 0.0), ["started"]),     # the first failure: one line
    (("fail", BROKER, 1.0), []),              # more failures: silence
    (("tick", None, 59.0), []),
    (("fail", BROKER, 60.0), ["ongoing"]),    # a minute after the last line: a reminder
    (("tick", None, 61.0), []),
    (("tick", None, 120.5), ["ongoing"]),     # reminders also without new failures
    (("fail", REGISTRY, 121.0), ["started"]), # another service: its own outage
    (("ok", BROKER, 130.0), ["ended"]),
    (("ok", BROKER, 131.0), []),              # already over: nothing more
    (("tick", None, 181.0), ["ongoing"]),     # the registry's reminder (60 s after its start)
    (("ok", REGISTRY, 190.0), ["ended"]),
    (("fail", BROKER, 200.0), ["started"]),   # a new outage is a new start
]


def test_one_line_when_an_outage_starts_one_a_minute_and_one_when_it_ends():
    board = OutageBoard()
    for (event, service, now), expected in STORY:
        if event == "fail":
            notices = board.failed(service, "refused", now)
        elif event == "ok":
            notices = board.recovered(service, now)
        else:
            notices = board.tick(now)
        assert [n.kind for n in notices] == expected, (event, service, now)


def test_the_lines_name_the_service_and_how_long():
    outage, started = on_failure(None, REGISTRY, "ConnectError: refused", 10.0)
    assert started is not None
    assert started.line() == "registry unreachable (ConnectError: refused): waiting and retrying"
    _, reminder = on_failure(outage, REGISTRY, "", 75.0)
    assert reminder is not None and reminder.line() == \
        "registry still unreachable after 65s (ConnectError: refused): waiting and retrying"
    ended = on_success(outage, 100.0)
    assert ended == Notice("ended", REGISTRY, 90.0, "ConnectError: refused")
    assert ended.line() == "registry reachable again after 90s: resuming"


def test_lines_carry_the_role_and_down_lists_what_is_down():
    board = OutageBoard(role="sink")
    (notice,) = board.failed(Service.DATABASE, "connection refused", 0.0)
    assert notice.line().startswith("sink: database unreachable")
    assert board.down() == {Service.DATABASE: "connection refused"}
    board.recovered(Service.DATABASE, 1.0)
    assert board.down() == {}


def test_success_without_an_outage_says_nothing():
    assert on_success(None, 5.0) is None
