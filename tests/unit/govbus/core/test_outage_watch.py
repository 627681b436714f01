"""Which errors are outages worth waiting for, and the retry loop that waits them out."""
from __future__ import annotations

import logging
import sqlite3

import httpx
import httpx2
import pytest
from aiokafka import errors as aiokafka_errors
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.schema_registry.error import SchemaRegistryError
from sqlalchemy import exc as sql_errors

from govbus.core.kafka_access import AccessError, BrokerUnreachable
from govbus.core.kafka_errors import ClientErrorLatch
from govbus.core.outage import Backoff, Service
from govbus.core.outage_watch import OutageWatch, Stopped, outage_of, ride_out


class _PgError(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__("pg")
        self.sqlstate = sqlstate


def _sqlite(code: int) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError("sqlite")
    error.sqlite_errorcode = code
    return error


def _operational(orig: Exception) -> sql_errors.OperationalError:
    return sql_errors.OperationalError("SELECT 1", {}, orig)


@pytest.mark.parametrize(("error", "service"), [
    (KafkaException(KafkaError(KafkaError._TRANSPORT)), Service.BROKER),
    (KafkaException(KafkaError(KafkaError._ALL_BROKERS_DOWN)), Service.BROKER),
    (KafkaException(KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED)), None),  # refused: no retry helps
    (KafkaException(KafkaError(KafkaError._AUTHENTICATION)), None),
    (KafkaException(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE)), None),
    (KafkaException(KafkaError(KafkaError._TRANSPORT, fatal=True)), None),      # a fatal client error
    (BrokerUnreachable("no broker answers"), Service.BROKER),
    (AccessError("refused bus-admin"), None),
    (SchemaRegistryError(503, 50003, "unavailable"), Service.REGISTRY),
    (SchemaRegistryError(-1, -1, "unknown"), Service.REGISTRY),
    (SchemaRegistryError(429, 42900, "slow down"), Service.REGISTRY),
    (SchemaRegistryError(401, 401, "not authenticated"), None),
    (SchemaRegistryError(404, 40403, "no such schema"), None),
    (SchemaRegistryError(409, 409, "incompatible"), None),
    (httpx.ConnectError("refused"), Service.REGISTRY),
    (httpx.ReadTimeout("slow"), Service.REGISTRY),
    (httpx2.ConnectError("refused"), Service.REGISTRY),  # what confluent-kafka's client raises
    (_operational(_PgError(None)), Service.DATABASE),            # no connection: no SQLSTATE
    (_operational(_PgError("08006")), Service.DATABASE),         # connection failure
    (_operational(_PgError("57P01")), Service.DATABASE),         # admin shutdown
    (_operational(_PgError("54000")), None),                     # index row too large: the data
    (_operational(_sqlite(5)), Service.DATABASE),                # SQLITE_BUSY
    (_operational(_sqlite(1)), None),                            # SQLITE_ERROR (no such table …)
    (sql_errors.DataError("INSERT", {}, _PgError("22021")), None),
    (sql_errors.IntegrityError("INSERT", {}, _PgError("23505")), None),
    (aiokafka_errors.KafkaConnectionError("gone"), Service.BROKER),
    (aiokafka_errors.TopicAuthorizationFailedError(), None),
    (ValueError("a bug"), None),
])
def test_outage_of(error, service):
    assert outage_of(error) == service


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _watch(clock: _Clock, caplog) -> OutageWatch:
    caplog.set_level(logging.WARNING, logger="govbus.outage")
    return OutageWatch("sink", backoff=Backoff(1.0, 2.0, 8.0), clock=clock)


def test_ride_out_retries_the_same_action_until_it_succeeds(caplog):
    clock = _Clock()
    watch = _watch(clock, caplog)
    results = iter([httpx.ConnectError("refused")] * 40 + ["stored"])

    def action() -> str:
        result = next(results)
        if isinstance(result, Exception):
            raise result
        return result

    beats: list[float] = []
    beat = lambda: beats.append(clock.now)  # noqa: E731
    assert ride_out(watch, action, lambda: False, sleep=clock.sleep, on_wait=beat) == "stored"
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("sink: registry unreachable (ConnectError: refused)")
    assert all("still unreachable" in line for line in lines[1:-1])
    # 40 tries, 8 s apart at most: about five minutes, with a reminder when the last line is a
    # minute old (at 63, 127, 191 and 255 s), then the end
    assert clock.now == 303.0 and len(lines) == 1 + 4 + 1
    assert lines[-1].startswith("sink: registry reachable again after")
    assert watch.down() == {} and beats  # the waits beat the liveness clock


def test_ride_out_lets_what_no_retry_fixes_through(caplog):
    watch = _watch(_Clock(), caplog)

    def refused() -> None:
        raise KafkaException(KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED))

    with pytest.raises(KafkaException):
        ride_out(watch, refused, lambda: False, sleep=lambda _s: None)
    assert not caplog.records and watch.down() == {}


def test_ride_out_stops_when_asked_during_a_wait(caplog):
    clock = _Clock()
    watch = _watch(clock, caplog)

    def down() -> None:
        raise httpx.ConnectError("refused")

    with pytest.raises(Stopped):
        ride_out(watch, down, lambda: clock.now > 30, sleep=clock.sleep)
    assert watch.is_down(Service.REGISTRY)  # still down: no "reachable again" line


@pytest.mark.parametrize(("code", "fatal"), [
    (KafkaError._ALL_BROKERS_DOWN, False),   # the broker restarts: wait, do not stop
    (KafkaError._TRANSPORT, False),
    (KafkaError._AUTHENTICATION, True),
    (KafkaError.GROUP_AUTHORIZATION_FAILED, True),
])
def test_client_errors_stop_only_for_refusals(code, fatal):
    watch = OutageWatch("sink")
    latch = ClientErrorLatch(watch)
    latch(KafkaError(code))
    assert (latch.error is not None) == fatal
    if fatal:
        with pytest.raises(KafkaException):
            latch.raise_if_failed()
    else:
        latch.raise_if_failed()
        assert watch.changed.is_set()  # the prober is asked to look now


def test_a_probe_does_not_end_an_outage_an_operation_waits_on(caplog):
    watch = _watch(_Clock(), caplog)
    watch.failed(Service.REGISTRY, "refused")          # the operation's failure
    watch.recovered(Service.REGISTRY, held=False)      # a probe answered: not the operation
    assert watch.is_down(Service.REGISTRY)
    watch.recovered(Service.REGISTRY)                  # the operation succeeded
    assert not watch.is_down(Service.REGISTRY)
    watch.failed(Service.BROKER, "refused", held=False)  # seen by a probe only
    watch.recovered(Service.BROKER, held=False)
    assert watch.down() == {}
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        "sink: registry unreachable", "sink: registry reachable again after 0s: resuming",
        "sink: broker unreachable", "sink: broker reachable again after 0s: resuming"]
