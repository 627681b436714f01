"""Wiring for `govbus quality run`: settings in, the scorecard role running until SIGTERM or idle,
with /metrics, /healthz and /readyz on its metrics port (govbus.core.health_server)."""
from __future__ import annotations

import signal
import threading

from confluent_kafka.admin import AdminClient

from govbus.core.catalogue import load_catalogue
from govbus.core.kafka_admin import create_planned_topics
from govbus.core.kafka_errors import client_logger
from govbus.core.metrics import new_metrics
from govbus.core.outage import Service
from govbus.core.outage_watch import Stopped, ride_out
from govbus.core.probes import start_role_health, wait_for_broker
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, kafka_config
from govbus.core.topic_plan import quality_topics
from stream_processors.quality.metrics import quality_metrics
from stream_processors.quality.role import QualityRole, QualitySummary


def ensure_quality_topics(settings: GovbusSettings) -> None:
    """quality.scorecards and every providing department's feedback topic, as the plan sizes them."""
    catalogue = load_catalogue(settings.catalogue_dir)
    admin = AdminClient(kafka_config(settings, "admin", logger=client_logger(None, "govbus.librdkafka.admin")))
    create_planned_topics(admin, quality_topics(settings, (e.provider.department for e in catalogue.entries.values())))


def run_quality(settings: GovbusSettings, idle_exit_seconds: float | None = None,
                stop: threading.Event | None = None) -> QualitySummary:
    metrics = new_metrics()
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    health = start_role_health(settings, "quality", metrics.registry, (Service.BROKER, Service.REGISTRY))
    try:  # the broker or registry may be down at start: wait for them like for any outage
        wait_for_broker(settings, health, stop.is_set)
        role = QualityRole(settings, Serde.from_settings(settings), quality_metrics(metrics.registry), health)
        ride_out(health.watch, lambda: ensure_quality_topics(settings), stop.is_set, on_wait=health.beat)
        ride_out(health.watch, role.prepare, stop.is_set, on_wait=health.beat)
    except Stopped:
        return QualitySummary()
    return role.run(stop, idle_exit_seconds)
