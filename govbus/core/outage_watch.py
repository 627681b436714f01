"""The outage state of one process, with a clock, a lock and a logger around ``govbus.core.outage``,
and the retry loop every role uses to ride an outage out.

- ``OutageWatch``: what is down now; writes the WARNING lines (start, one a minute, end).
- ``outage_of``: which service an exception says is unreachable, or None when a retry cannot
  help (refused access, a conflict, a bug): then the role stops with one line.
- ``ride_out``: call an action until it succeeds, waiting with backoff between tries, while
  the watch says what is down; gives up only when the process is asked to stop.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Callable, TypeVar

import httpx
from aiokafka import errors as ak  # type: ignore[import-untyped]
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.schema_registry.error import OAuthTokenError, SchemaRegistryError
from sqlalchemy import exc as sql_errors

from govbus.core.kafka_access import BrokerUnreachable
from govbus.core.outage import REMIND_SECONDS, Backoff, Notice, OutageBoard, Service

try:  # confluent-kafka's registry client uses httpx2 where installed, else httpx (_httpx_compat)
    import httpx2
    HTTP_TRANSPORT_ERRORS: tuple[type[Exception], ...] = (httpx.TransportError, httpx2.TransportError)
except ImportError:  # pragma: no cover - depends on confluent-kafka's extras
    HTTP_TRANSPORT_ERRORS = (httpx.TransportError,)

T = TypeVar("T")
log = logging.getLogger("govbus.outage")

# Kafka errors no retry can fix: the bus refuses this identity, or the request can never succeed.
PERMANENT_KAFKA = frozenset({
    KafkaError._AUTHENTICATION, KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.GROUP_AUTHORIZATION_FAILED,
    KafkaError.CLUSTER_AUTHORIZATION_FAILED, KafkaError.SASL_AUTHENTICATION_FAILED,
    KafkaError.MSG_SIZE_TOO_LARGE, KafkaError.INVALID_CONFIG,
    KafkaError._INVALID_ARG, KafkaError.POLICY_VIOLATION})
# Registry answers that mean "not now" rather than "never" (timeouts, overload, a proxy's 5xx).
TRANSIENT_HTTP = frozenset({408, 425, 429})


class Stopped(Exception):
    """The process was asked to stop while waiting out an outage."""


def outage_of(error: BaseException) -> Service | None:
    """The service ``error`` says is unreachable; None when waiting would not help."""
    if isinstance(error, BrokerUnreachable):
        return Service.BROKER
    if isinstance(error, KafkaException):
        kafka_error = error.args[0] if error.args else None
        if isinstance(kafka_error, KafkaError) and (kafka_error.fatal() or kafka_error.code() in PERMANENT_KAFKA):
            return None
        return Service.BROKER
    if isinstance(error, SchemaRegistryError):
        status = error.http_status_code
        return Service.REGISTRY if status < 0 or status >= 500 or status in TRANSIENT_HTTP else None
    if isinstance(error, (*HTTP_TRANSPORT_ERRORS, OAuthTokenError)):
        return Service.REGISTRY  # no answer from the registry (or its identity provider)
    if isinstance(error, sql_errors.DBAPIError):
        return Service.DATABASE if _database_unreachable(error) else None
    return _aiokafka_outage(error)


# SQLSTATE classes of an unreachable PostgreSQL: connection exception, operator intervention
# (shut down, cannot connect now), insufficient resources. Not class 54 (a value over a limit,
# e.g. an index row too large): psycopg reports it as an OperationalError too, but it is the data.
DATABASE_DOWN_SQLSTATES = ("08", "57P", "53")
# SQLite: busy, locked, I/O error, cannot open the file.
SQLITE_DOWN_CODES = frozenset({5, 6, 10, 14})


def _database_unreachable(error: sql_errors.DBAPIError) -> bool:
    if error.connection_invalidated:
        return True
    if not isinstance(error, (sql_errors.OperationalError, sql_errors.InterfaceError)):
        return False
    sqlite_code = getattr(error.orig, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return sqlite_code & 0xFF in SQLITE_DOWN_CODES
    sqlstate = getattr(error.orig, "sqlstate", None)
    return sqlstate is None or str(sqlstate).startswith(DATABASE_DOWN_SQLSTATES)  # None: no connection


def _aiokafka_outage(error: BaseException) -> Service | None:
    # Faust's client: connection-level errors only (its authorisation errors are permanent).
    transient = (ak.KafkaConnectionError, ak.NodeNotReadyError, ak.RequestTimedOutError, ak.KafkaTimeoutError,
                 ak.NotLeaderForPartitionError, ak.CoordinatorNotAvailableError, ak.NotCoordinatorError,
                 ak.UnknownTopicOrPartitionError, ak.LeaderNotAvailableError)
    return Service.BROKER if isinstance(error, transient) else None


def describe(error: BaseException) -> str:
    """A few words for the WARNING line (the first line of the error, shortened)."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    text = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return text if len(text) <= 160 else text[:157] + "..."


class OutageWatch:
    """What is down in this process, shared by its threads; writes each notice as one WARNING."""

    def __init__(self, role: str, remind: float = REMIND_SECONDS, backoff: Backoff = Backoff(),
                 clock: Callable[[], float] = time.monotonic, logger: logging.Logger = log) -> None:
        self.backoff, self._clock, self._log = backoff, clock, logger
        self._board = OutageBoard(remind=remind, role=role)
        self._lock = threading.Lock()
        self.changed = threading.Event()  # set when a failure is reported: a prober looks sooner
        self.answered: set[Service] = set()  # services seen answering at least once (readiness)
        # Outages an operation waits on: only that operation's success ends them, not a probe's
        # (a probe can succeed where the operation still fails; the lines would flap).
        self._held: set[Service] = set()
        # Failures reported per service, probes' and operations' alike (govbus_dependency_errors_total).
        self.errors: dict[Service, int] = {}

    def failed(self, service: Service, detail: str, held: bool = True) -> None:
        """``held``: an operation failed and will retry (its success ends the outage); False for
        a probe, which only says whether the service answers."""
        with self._lock:
            self.errors[service] = self.errors.get(service, 0) + 1
            if held:
                self._held.add(service)
            self._write(self._board.failed(service, detail, self._clock()))
        self.changed.set()

    def recovered(self, service: Service, held: bool = True) -> None:
        """``held`` False: a probe's success, which does not end an outage an operation holds."""
        with self._lock:
            self.answered.add(service)
            if not held and service in self._held:
                return
            self._held.discard(service)
            self._write(self._board.recovered(service, self._clock()))

    def tick(self) -> None:
        with self._lock:
            self._write(self._board.tick(self._clock()))

    def down(self) -> dict[Service, str]:
        with self._lock:
            return self._board.down()

    def is_down(self, service: Service) -> bool:
        with self._lock:
            return service in self._board.current

    def _write(self, notices: list[Notice]) -> None:
        for notice in notices:
            self._log.warning(notice.line(), extra={"event": "outage"})


def ride_out(watch: OutageWatch, action: Callable[[], T], stopping: Callable[[], bool],
             sleep: Callable[[float], None] = time.sleep, on_wait: Callable[[], None] = lambda: None) -> T:
    """``action()``, retried with backoff while it fails for an outage (``outage_of``); any
    other error propagates. Raises ``Stopped`` when ``stopping()`` turns true during a wait.
    ``on_wait`` runs between tries (a role's heartbeat: waiting is alive, not hung)."""
    attempt, seen = 0, set()
    while True:
        try:
            result = action()
        except Exception as exc:  # classified below; anything else re-raised
            service = outage_of(exc)
            if service is None:
                raise
            seen.add(service)
            watch.failed(service, describe(exc))
            _wait(watch.backoff.delay(attempt), stopping, sleep, on_wait)
            watch.tick()
            attempt += 1
            continue
        for service in seen:
            watch.recovered(service)
        return result


def _wait(seconds: float, stopping: Callable[[], bool], sleep: Callable[[float], None],
          on_wait: Callable[[], None]) -> None:
    """Sleep ``seconds`` in short slices, so that a stop request is seen within a quarter second."""
    left = seconds
    while True:
        on_wait()
        if stopping():
            raise Stopped()
        if left <= 0:
            return
        step = min(0.25, left)
        sleep(step)
        left -= step


async def ride_out_async(watch: OutageWatch, action: Callable[[], T],
                         on_wait: Callable[[], None] = lambda: None) -> T:
    """``ride_out`` for an event loop (Faust's agents, aiohttp): each try runs in the default
    executor (clients block), the waits are ``asyncio.sleep``. A stop arrives as cancellation,
    which propagates: the caller decides what the batch in hand becomes."""
    loop = asyncio.get_running_loop()
    attempt, seen = 0, set()
    while True:
        try:
            result = await loop.run_in_executor(None, action)
        except Exception as exc:  # classified below; anything else re-raised
            service = outage_of(exc)
            if service is None:
                raise
            seen.add(service)
            watch.failed(service, describe(exc))
            on_wait()
            await asyncio.sleep(watch.backoff.delay(attempt))
            on_wait()
            watch.tick()
            attempt += 1
            continue
        for service in seen:
            watch.recovered(service)
        return result
