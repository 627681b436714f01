"""Probes of the services a role needs, for ``govbus.core.health_server.Prober``: each raises
when its service does not answer. Clients are made when the probe is built (at start-up), never
at import time."""
from __future__ import annotations

import logging
import time
from typing import Any, Callable

from confluent_kafka.admin import AdminClient
from prometheus_client import CollectorRegistry
from sqlalchemy import create_engine, text

from govbus.core.health_server import Health, HealthCollector, Probe, Prober
from govbus.core.kafka_access import check_access
from govbus.core.metrics_endpoint import serve_role_metrics
from govbus.core.outage import Service
from govbus.core.outage_watch import OutageWatch, ride_out
from govbus.core.serde import registry_client, settings_identity
from govbus.core.settings import GovbusSettings, kafka_config

PROBE_TIMEOUT_SECONDS = 5.0
FRESH_CLIENT_AFTER_SECONDS = 30.0


def _silent() -> logging.Logger:
    logger = logging.getLogger("govbus.probe.librdkafka")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    return logger


def broker_probe(settings: GovbusSettings, make_client: Callable[[], Any] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> Probe:
    """A metadata request as the role's own identity. A client whose requests have failed for
    ``FRESH_CLIENT_AFTER_SECONDS`` is replaced by a new one: after the broker's second restart in
    the outage drill (tests/e2e/chaos), one sink's client kept failing for minutes while new
    clients of the other roles reached the broker at once."""
    # The stub types config values as scalars; librdkafka's Python client takes callables here.
    make = make_client or (lambda: AdminClient(kafka_config(settings, "admin", **{
        "error_cb": lambda _error: None, "logger": _silent(), "log_level": 0})))
    state: dict[str, Any] = {"client": make(), "failing_since": None}

    def probe() -> None:
        try:
            state["client"].list_topics(timeout=PROBE_TIMEOUT_SECONDS)
        except Exception:
            now = clock()
            if state["failing_since"] is None:
                state["failing_since"] = now
            elif now - state["failing_since"] >= FRESH_CLIENT_AFTER_SECONDS:
                state["client"], state["failing_since"] = make(), now
            raise
        state["failing_since"] = None

    return probe


def registry_probe(settings: GovbusSettings) -> Probe:
    """A read of the registry's subjects as the role's registry identity."""
    client = registry_client(settings.registry_url, settings_identity(settings))

    def probe() -> None:
        client.get_subjects()

    return probe


def database_probe(url: str) -> Probe:
    """``SELECT 1`` on the role's database."""
    engine = create_engine(url, pool_pre_ping=True, pool_size=1, max_overflow=0) if url.startswith(
        "postgresql") else create_engine(url)

    def probe() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    return probe


def start_role_health(settings: GovbusSettings, role: str, registry: CollectorRegistry,
                      needs: tuple[Service, ...], database_url: str | None = None,
                      lag_known: Callable[[], bool | None] = lambda: None, serve: bool = True,
                      instance: str | None = None) -> Health:
    """The role's outage watch and health, its prober thread, and /metrics, /healthz, /readyz on
    the role's metrics port with its scrape target (govbus.core.metrics_endpoint; none when the
    port is -1: the prober still runs, for the WARNING lines; none with ``serve`` False, for a
    role with a web server of its own). ``instance`` qualifies the target's name (a sink's pool)."""
    watch = OutageWatch(role)
    health = Health(watch, needs, settings.liveness_seconds, lag_known)
    probes: dict[Service, Probe] = {}
    if Service.BROKER in needs:
        probes[Service.BROKER] = broker_probe(settings)
    if Service.REGISTRY in needs:
        probes[Service.REGISTRY] = registry_probe(settings)
    if Service.DATABASE in needs and database_url:
        probes[Service.DATABASE] = database_probe(database_url)
    Prober(watch, probes, settings.health_probe_seconds).start()
    registry.register(HealthCollector(health, role))
    if serve:
        serve_role_metrics(settings, role, registry, health, instance)
    return health


def wait_for_broker(settings: GovbusSettings, health: Health, stopping: Callable[[], bool] = lambda: False) -> None:
    """At start: wait until the broker answers this role's identity, with the outage lines;
    refused access (a wrong password, no ACL) raises at once: no retry fixes it."""
    ride_out(health.watch, lambda: check_access(kafka_config(settings, "admin")), stopping, on_wait=health.beat)
