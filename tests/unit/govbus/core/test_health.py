"""What /healthz and /readyz answer, from plain values."""
from __future__ import annotations

import pytest

from govbus.core.health import liveness, readiness
from govbus.core.outage import Service

BROKER, REGISTRY, DATABASE = Service.BROKER, Service.REGISTRY, Service.DATABASE


@pytest.mark.parametrize(("last_beat", "now", "code", "status"), [
    (None, 10.0, 503, "starting"),
    (10.0, 10.0, 200, "ok"),
    (10.0, 130.0, 200, "ok"),       # exactly at the limit: still alive
    (10.0, 130.5, 503, "stalled"),
])
def test_liveness_follows_the_heartbeat(last_beat, now, code, status):
    answer_code, body = liveness(last_beat, now, stale_after=120.0)
    assert (answer_code, body["status"]) == (code, status)


@pytest.mark.parametrize(("required", "down", "started", "lag", "code", "not_ready"), [
    ((BROKER, REGISTRY), {}, True, True, 200, set()),
    ((BROKER, REGISTRY), {}, True, None, 200, set()),                # no lag to know
    ((BROKER, REGISTRY), {}, False, True, 503, {"start"}),
    ((BROKER, REGISTRY), {BROKER: "refused"}, True, True, 503, {"broker"}),
    ((BROKER, REGISTRY, DATABASE), {DATABASE: "x", REGISTRY: "y"}, True, True, 503, {"database", "registry"}),
    ((BROKER,), {DATABASE: "x"}, True, True, 200, set()),             # not a service this role needs
    ((BROKER,), {}, True, False, 503, {"lag"}),
    ((BROKER,), {BROKER: "x"}, False, False, 503, {"start", "broker", "lag"}),
])
def test_readiness_names_what_is_not_ready(required, down, started, lag, code, not_ready):
    answer_code, body = readiness(required, down, started, lag)
    assert answer_code == code
    assert set(body.get("not_ready", {})) == not_ready
    assert set(body["checks"]) == {s.value for s in required} | ({"lag"} if lag is not None else set())


def test_a_service_not_checked_yet_is_not_ready():
    code, body = readiness((BROKER, REGISTRY), {REGISTRY: "refused"}, True, None, unchecked=(BROKER, REGISTRY))
    assert code == 503
    assert body["not_ready"] == {"broker": "not checked yet", "registry": "unreachable: refused"}


def test_a_down_service_says_why():
    _, body = readiness((REGISTRY,), {REGISTRY: "ConnectError: refused"}, True, None)
    assert body["not_ready"] == {"registry": "unreachable: ConnectError: refused"}
    assert body["status"] == "not ready"
