"""Client-level Kafka errors (librdkafka's ``error_cb``) shared by every consumer.

Most client errors are transient and librdkafka retries them; these mean the bus is unreachable
or refuses us, so the consumer must stop (an infrastructure fault) rather than spin.
"""
from __future__ import annotations

import logging

from confluent_kafka import KafkaError, KafkaException

log = logging.getLogger(__name__)

FATAL_CLIENT_ERRORS = frozenset({KafkaError._ALL_BROKERS_DOWN, KafkaError._AUTHENTICATION,
                                 KafkaError.TOPIC_AUTHORIZATION_FAILED,
                                 KafkaError.GROUP_AUTHORIZATION_FAILED})


class ClientErrorLatch:
    """Pass as ``error_cb``; it keeps the first fatal error, and the consumer loop calls
    ``raise_if_failed`` after each poll (error_cb runs inside poll, where raising is unsafe)."""

    def __init__(self) -> None:
        self.error: KafkaError | None = None

    def __call__(self, error: KafkaError) -> None:
        if error.fatal() or error.code() in FATAL_CLIENT_ERRORS:
            self.error = self.error or error
        else:
            log.warning("Kafka client: %s", error)

    def raise_if_failed(self) -> None:
        if self.error is not None:
            raise KafkaException(self.error)
