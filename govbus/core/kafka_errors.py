"""Client-level Kafka errors (librdkafka's ``error_cb`` and its log) shared by every consumer.

Refusals (authentication, authorisation, a fatal client error) stop the role: no retry fixes
them. Unreachable brokers do not: librdkafka reconnects by itself, so those errors are kept out
of the log and handed to the role's ``OutageWatch``, which says once that the broker is down
and once that it is back (its prober decides which; govbus.core.health_server).
"""
from __future__ import annotations

import logging

from confluent_kafka import KafkaError, KafkaException

from govbus.core.outage import Service
from govbus.core.outage_watch import OutageWatch

log = logging.getLogger(__name__)

FATAL_CLIENT_ERRORS = frozenset({KafkaError._AUTHENTICATION, KafkaError.TOPIC_AUTHORIZATION_FAILED,
                                 KafkaError.GROUP_AUTHORIZATION_FAILED,
                                 KafkaError.CLUSTER_AUTHORIZATION_FAILED})
# "The broker is not there": librdkafka retries these itself.
UNREACHABLE_CLIENT_ERRORS = frozenset({KafkaError._ALL_BROKERS_DOWN, KafkaError._TRANSPORT,
                                       KafkaError._RESOLVE, KafkaError._TIMED_OUT,
                                       KafkaError.REQUEST_TIMED_OUT, KafkaError._MSG_TIMED_OUT,
                                       KafkaError.NETWORK_EXCEPTION, KafkaError.COORDINATOR_NOT_AVAILABLE,
                                       KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
                                       KafkaError._WAIT_COORD})


class ClientErrorLatch:
    """Pass as ``error_cb``; it keeps the first fatal error, and the consumer loop calls
    ``raise_if_failed`` after each poll (error_cb runs inside poll, where raising is unsafe).
    An unreachable broker is not fatal: with a watch it wakes the watch's prober, without one
    it is logged at DEBUG (librdkafka reconnects by itself)."""

    def __init__(self, watch: OutageWatch | None = None) -> None:
        self.error: KafkaError | None = None
        self.watch = watch

    def __call__(self, error: KafkaError) -> None:
        if error.fatal() or error.code() in FATAL_CLIENT_ERRORS:
            self.error = self.error or error
        elif error.code() in UNREACHABLE_CLIENT_ERRORS:
            if self.watch is not None:
                self.watch.changed.set()
            log.debug("Kafka client: %s", error)
        else:
            log.warning("Kafka client: %s", error)

    def raise_if_failed(self) -> None:
        if self.error is not None:
            raise KafkaException(self.error)


# librdkafka log lines about reaching brokers and partition leaders (facility or message).
CONNECTION_WORDS = ("FAIL", "Connect to", "Disconnected", "METADATA", "leader", "transport", "timed out",
                    "ALL_BROKERS_DOWN", "Broker:", "broker down", "REQTMOUT")


class QuietClientLog(logging.Filter):
    """For librdkafka's log (the ``logger`` setting): connection failures (``FAIL``) and other
    lines while the broker is known to be down go to DEBUG, not the role's log."""

    def __init__(self, watch: OutageWatch | None) -> None:
        super().__init__()
        self.watch = watch

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        connection = any(word in text for word in CONNECTION_WORDS)
        down = self.watch is not None and self.watch.is_down(Service.BROKER)
        if connection and self.watch is not None:
            self.watch.changed.set()
        return not (connection or down) or record.levelno >= logging.CRITICAL


def client_logger(watch: OutageWatch | None, name: str = "govbus.librdkafka") -> logging.Logger:
    """A logger for librdkafka's ``logger`` setting that keeps connection floods out of the log."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, QuietClientLog) for f in logger.filters):
        logger.addFilter(QuietClientLog(watch))
    return logger
