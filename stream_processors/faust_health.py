"""The Faust workers' side of riding out outages and of /healthz, /readyz
(docs/operations.md#outages).

- aiokafka logs every failed connection, fetch and heartbeat at ERROR, dozens of lines a second
  while the broker is away: ``quiet_client_logs`` keeps them out of the log and wakes the role's
  prober instead, which writes the one WARNING line per outage.
- ``install_heartbeat``: a timer that beats the liveness clock (a blocked event loop stops it),
  marks the role started, and measures consumer lag (govbus.core.lag: records and seconds, every
  5 s, from the consumer's cached end offsets) for the lag gauges and readiness.
- ``leave_unacknowledged``: a stop that arrives while a batch waits out an outage exits at once,
  before Faust can acknowledge (and later commit) events whose outputs were never acknowledged.
"""
from __future__ import annotations

import logging
import os
import time
from typing import Any, Callable

import faust

from govbus.core.health_server import Health
from govbus.core.lag_gauges import LagGauges
from govbus.core.outage import Service
from govbus.core.outage_watch import OutageWatch

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 5.0
# Lines of aiokafka and Faust that say only "the broker is not there (yet)".
CONNECTION_WORDS = ("connect", "Connection", "metadata", "NodeNotReady", "heartbeat", "Heartbeat",
                    "coordinator", "Coordinator", "RequestTimedOut", "KafkaTimeoutError", "fetch",
                    "Unable", "unavailable", "Broker", "broker", "Leader", "leader",
                    # the catch-up right after an outage: commits that took the outage's length,
                    # a producer buffer refilling
                    "is overlapping", "buffer full")
# Loggers whose lines the filter judges: the Kafka client, Faust and its service library.
CLIENT_LOGGERS = ("aiokafka", "faust", "mode")


class QuietBrokerLogs(logging.Filter):
    def __init__(self, watch: OutageWatch) -> None:
        super().__init__()
        self.watch = watch

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.CRITICAL or not record.name.startswith(CLIENT_LOGGERS):
            return True
        text = record.getMessage()
        if self.watch.is_down(Service.BROKER) or any(word in text for word in CONNECTION_WORDS):
            self.watch.changed.set()  # the prober looks now and says whether it is an outage
            return False
        return True


def quiet_client_logs(watch: OutageWatch) -> None:
    """Filter the client loggers that exist now and the root logger's handlers (which see the
    lines of loggers made later too; Faust makes its handlers when the worker starts, so the
    heartbeat calls this again then). Idempotent."""
    quiet = QuietBrokerLogs(watch)
    names = [n for n in logging.Logger.manager.loggerDict if n.startswith(CLIENT_LOGGERS)]
    filtered = [logging.getLogger(name) for name in names] + list(logging.getLogger().handlers)
    for target in filtered:
        if not any(isinstance(f, QuietBrokerLogs) for f in target.filters):
            target.addFilter(quiet)


def measure_lag(app: faust.App, gauges: LagGauges) -> bool:
    """Set the lag gauges of every assigned partition from what the consumer holds (end offsets
    fetched with its last fetch, Faust's committed offsets: no broker round trip); True when
    all are known. Partitions no longer assigned lose their series."""
    consumer: Any = app.consumer
    now = time.time()
    measured = {}
    for tp in consumer.assignment():
        committed = consumer._committed_offset.get(tp)  # the next offset to read; no public accessor
        # No commit yet in this group: counted from offset 0, as Kafka's own tools do.
        position = committed if committed is not None else 0
        measured[(tp.topic, tp.partition)] = gauges.clock.measure(tp.topic, tp.partition, position,
                                                                  consumer.highwater(tp), now)
    gauges.keep_only(set(measured))
    return gauges.publish(measured)


def install_heartbeat(app: faust.App, health: Health, gauges: LagGauges, state: dict[str, bool],
                      on_beat: Callable[[], None] = lambda: None) -> None:
    """The liveness/lag timer; it writes ``state["lag_known"]``, which readiness reads, and runs
    ``on_beat`` (gauges that change with time alone)."""

    @app.timer(interval=HEARTBEAT_SECONDS)
    async def heartbeat() -> None:
        if not health.started:
            quiet_client_logs(health.watch)  # the worker's own log handlers exist by now
        health.mark_started()
        on_beat()
        try:
            state["lag_known"] = measure_lag(app, gauges)
        except Exception:  # noqa: BLE001 - no consumer yet, or a rebalance under way
            state["lag_known"] = False


def leave_unacknowledged(reason: str) -> None:
    """Exit now (0: we were asked to stop), so that Faust acknowledges nothing more."""
    log.warning("%s: the batch in hand was not acknowledged; it is processed again after a restart", reason)
    logging.shutdown()
    os._exit(0)
