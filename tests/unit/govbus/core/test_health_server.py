"""The health server answers /metrics, /healthz and /readyz on one port; client log floods are
kept out of the log while the broker is away."""
from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

from govbus.core.health_server import Health, Prober, serve_http
from govbus.core.kafka_errors import QuietClientLog
from govbus.core.metrics import new_metrics
from govbus.core.outage import Service
from govbus.core.outage_watch import OutageWatch


def _get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:  # noqa: S310
            return answer.status, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()


def test_one_port_serves_metrics_liveness_and_readiness():
    metrics = new_metrics()
    watch = OutageWatch("sink")
    health = Health(watch, (Service.BROKER,), lag_known=lambda: True)
    port = serve_http(metrics.registry, health, "127.0.0.1", 0)
    assert port
    assert _get(port, "/healthz")[0] == 503  # no beat yet
    code, body = _get(port, "/readyz")
    assert code == 503 and set(json.loads(body)["not_ready"]) == {"start", "broker"}
    health.mark_started()
    Prober(watch, {Service.BROKER: lambda: None}).probe_once()  # the broker answered
    assert _get(port, "/healthz")[0] == 200
    assert json.loads(_get(port, "/readyz")[1]) == {"status": "ready", "checks": {"broker": "ok", "lag": "known"}}

    def refused() -> None:
        raise ConnectionRefusedError("refused")

    Prober(watch, {Service.BROKER: refused}).probe_once()
    code, body = _get(port, "/readyz")
    assert code == 503 and json.loads(body)["not_ready"] == {"broker": "unreachable: ConnectionRefusedError: refused"}
    code, body = _get(port, "/metrics")
    assert code == 200 and b"# HELP govbus_" in body
    assert _get(port, "/elsewhere")[0] == 404


def _record(name: str, text: str, level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, text, None, None)


def test_librdkafka_connection_floods_are_filtered_and_wake_the_prober():
    watch = OutageWatch("processor")
    librdkafka = QuietClientLog(watch)
    flood = _record("govbus.librdkafka", "FAIL [rdkafka#producer-1] Connect to ipv4#127.0.0.1:9092 failed")
    assert not librdkafka.filter(flood) and watch.changed.is_set()
    assert librdkafka.filter(_record("govbus.librdkafka", "CONFWARN [rdkafka#consumer-2] a setting is ignored"))
    watch.failed(Service.BROKER, "down", held=False)
    assert not librdkafka.filter(_record("govbus.librdkafka", "anything while the broker is down"))


def test_readiness_outages_and_dependency_errors_are_exported_as_readyz_says():
    from govbus.core.health_server import HealthCollector

    metrics = new_metrics()
    watch = OutageWatch("audit sink")
    health = Health(watch, (Service.BROKER, Service.DATABASE), lag_known=lambda: None)
    metrics.registry.register(HealthCollector(health, "audit sink"))
    sample = metrics.registry.get_sample_value
    role = {"role": "audit-sink"}
    assert sample("govbus_role_ready", role) == 0.0  # not started
    health.mark_started()
    watch.recovered(Service.BROKER, held=False)
    watch.recovered(Service.DATABASE, held=False)
    assert sample("govbus_role_ready", role) == 1.0
    assert sample("govbus_outage", role | {"dependency": "database"}) == 0.0
    watch.failed(Service.DATABASE, "connection refused")
    watch.failed(Service.DATABASE, "connection refused")
    assert sample("govbus_role_ready", role) == 0.0
    assert sample("govbus_outage", role | {"dependency": "database"}) == 1.0
    assert sample("govbus_outage", role | {"dependency": "broker"}) == 0.0
    assert sample("govbus_dependency_errors_total", role | {"dependency": "database"}) == 2.0
    assert sample("govbus_dependency_errors_total", role | {"dependency": "broker"}) == 0.0
    assert sample("govbus_outage", role | {"dependency": "registry"}) is None  # not one it needs
    watch.recovered(Service.DATABASE)
    assert (sample("govbus_role_ready", role), sample("govbus_outage", role | {"dependency": "database"})) == (1.0, 0.0)
