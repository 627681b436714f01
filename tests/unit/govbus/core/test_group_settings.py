"""Settings that let several workers of a role share a consumer group (docs/operations.md#running-more-workers)."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from govbus.core.settings import (
    GovbusSettings,
    kafka_config,
    member_client_id,
    served_metrics_port,
    session_timeouts_ms,
)


@pytest.mark.parametrize(("metrics_port", "worker_index", "served"), [
    (0, 0, 0),         # a free port, whichever worker
    (0, 3, 0),
    (-1, 2, -1),       # no metrics at all stays no metrics
    (9401, 0, 9401),   # a fixed port: the first worker has it
    (9401, 1, 9402),   # the next worker the next port
    (9401, 5, 9406),
])
def test_a_fixed_metrics_port_is_shifted_by_the_worker_index(metrics_port, worker_index, served):
    settings = GovbusSettings(metrics_port=metrics_port, worker_index=worker_index)
    assert served_metrics_port(settings) == served


@pytest.mark.parametrize(("seconds", "session_ms", "heartbeat_ms"), [
    (45.0, 45_000, 3_000),   # Kafka's defaults
    (6.0, 6_000, 2_000),     # the broker's minimum: a third of it
    (9.0, 9_000, 3_000),
    (300.0, 300_000, 3_000), # a long session still hears of rebalances within 3 s
])
def test_heartbeats_stay_frequent_and_within_a_third_of_the_session(seconds, session_ms, heartbeat_ms):
    settings = GovbusSettings(group_session_timeout_seconds=seconds)
    assert session_timeouts_ms(settings) == (session_ms, heartbeat_ms)
    config = kafka_config(settings, "consumer")
    assert (config["session.timeout.ms"], config["heartbeat.interval.ms"]) == (session_ms, heartbeat_ms)


@pytest.mark.parametrize("seconds", [0.0, 5.9, 1801.0])
def test_session_timeouts_the_broker_would_refuse_are_refused_at_start(seconds):
    with pytest.raises(ValidationError):
        GovbusSettings(group_session_timeout_seconds=seconds)


def test_a_negative_worker_index_is_refused():
    with pytest.raises(ValidationError):
        GovbusSettings(worker_index=-1)


@pytest.mark.parametrize(("extra", "index", "expected"), [
    ({}, 0, "govbus-sink-0-4242"),
    ({}, 2, "govbus-sink-2-4242"),
    ({"client.id": "ops-chosen"}, 2, "ops-chosen"),  # the operator's own id wins
])
def test_member_client_ids_name_role_index_and_process(extra, index, expected):
    settings = GovbusSettings(kafka_extra=extra, worker_index=index)
    assert member_client_id(settings, "sink", 4242) == expected
