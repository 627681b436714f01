"""Wiring for ``govbus serve-ingest``: settings and the token map in, the aiohttp application.

SIGTERM: ``web.run_app`` turns it into an orderly shutdown, whose cleanup stops the
``IngestDelivery`` (``app.create_app``): it answers what is in flight and flushes the producer.
So this wiring installs no handler of its own.

A broker that is down at start is not a reason to refuse to start (roles ride out outages):
the server starts, requests are answered 503 until the broker is back (delivery.py), and
librdkafka's error callback says so in the log, once a minute at most.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from aiohttp import web
from confluent_kafka import KafkaError, Producer

from govbus.core.catalogue import load_catalogue
from govbus.core.metrics import new_metrics
from govbus.core.rule_lists import load_rule_lists
from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, topic_names
from producers.http.app import Ingest, IngestConfig, create_app
from producers.http.delivery import LIBRDKAFKA_MESSAGE_MAX_BYTES, STATS_INTERVAL_MS, IngestDelivery, TransmitWatch
from producers.http.readiness import add_readiness
from producers.sdk.publisher import producer_config

log = logging.getLogger(__name__)
ERROR_LOG_SECONDS = 60.0


class _BrokerErrors:
    """librdkafka's error callback: one WARNING line per minute at most, not one per retry."""

    def __init__(self) -> None:
        self.last = 0.0
        self.suppressed = 0

    def __call__(self, error: KafkaError) -> None:
        now = time.monotonic()
        if now - self.last < ERROR_LOG_SECONDS:
            self.suppressed += 1
            return
        more = f" ({self.suppressed} more since the last line)" if self.suppressed else ""
        log.warning("broker: %s%s; requests are answered 503 until it is back", error.str(), more)
        self.last, self.suppressed = now, 0


def _unexpected_report(err: KafkaError | None, msg: Any) -> None:
    # Every record is produced with its own callback (delivery.py); this one is never used.
    log.error("delivery report without a request: %s", err)


def _quiet_librdkafka() -> logging.Logger:
    logger = logging.getLogger("producers.http.librdkafka")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    return logger


def ingest_producer_config(settings: GovbusSettings, watch: TransmitWatch,
                           max_in_flight: int) -> dict[str, Any]:
    """The SDK's producer configuration (idempotent, acks=all), with a report per record, a
    message timeout shorter than the answer deadline, and statistics for ``TransmitWatch``."""
    return producer_config(settings, _unexpected_report) | {
        "delivery.report.only.error": False,
        "message.timeout.ms": int(settings.ingest_delivery_timeout_seconds * 1000),
        "statistics.interval.ms": STATS_INTERVAL_MS, "stats_cb": watch.on_stats,
        # librdkafka logs every failed connection attempt (several a second in an outage);
        # the error callback above says it once a minute instead.
        "error_cb": _BrokerErrors(), "logger": _quiet_librdkafka(),
        "queue.buffering.max.messages": max(max_in_flight, 100_000),  # admission limits first
    }


def build_ingest_app(settings: GovbusSettings, token_map: dict[str, str], max_in_flight: int,
                     max_records: int, producer: Any = None, serde: Any = None) -> web.Application:
    """The aiohttp application, wired to a real producer and registry unless given (tests)."""
    catalogue = load_catalogue(settings.catalogue_dir)
    providers = {dataset: entry.provider for dataset, entry in catalogue.entries.items()}
    unknown = set(token_map.values()) - {p.department for p in providers.values()}
    if unknown:  # allowed (a department may get datasets later), but worth a line in the log
        log.warning("tokens for departments that provide no dataset: %s", sorted(unknown))
    watch = TransmitWatch()
    config = ingest_producer_config(settings, watch, max_in_flight)
    max_message_bytes = int(config.get("message.max.bytes", LIBRDKAFKA_MESSAGE_MAX_BYTES))
    metrics = new_metrics()
    delivery = IngestDelivery(producer or Producer(config), serde or Serde.from_settings(settings),
                              topic_names(settings), metrics, max_in_flight,
                              settings.ingest_delivery_timeout_seconds, max_message_bytes, watch)
    ingest_config = IngestConfig(load_schemas(settings.schemas_dir), providers, token_map,
                                 max_records, rule_lists=load_rule_lists(settings.catalogue_dir))
    app = create_app(Ingest(ingest_config, delivery, metrics))
    add_readiness(app, settings)
    return app
