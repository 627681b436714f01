"""A role's health at run time, its probes, and the small HTTP server that serves it with the
Prometheus metrics on one port (``GOVBUS_METRICS_PORT``): ``/metrics``, ``/healthz``, ``/readyz``.

``Health`` holds the role's heartbeat, its ``OutageWatch``, and what readiness needs; the answers
themselves are computed by the pure ``govbus.core.health``. A ``Prober`` thread asks each service
the role needs whether it answers (a metadata request, a registry read, ``SELECT 1``) every few
seconds and sooner after a failure is reported, so that the start and end of an outage are seen
even by a role with nothing to do, and ``/readyz`` tells the truth without traffic.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from govbus.core.health import Answer, liveness, readiness
from govbus.core.metrics import role_label
from govbus.core.outage import Service
from govbus.core.outage_watch import OutageWatch, describe

Probe = Callable[[], None]  # raises when its service does not answer


class Health:
    """Liveness and readiness of one role."""

    def __init__(self, watch: OutageWatch, required: tuple[Service, ...], stale_after: float = 120.0,
                 lag_known: Callable[[], bool | None] = lambda: None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.watch, self.required, self.stale_after = watch, required, stale_after
        self.lag_known, self._clock = lag_known, clock
        self.started = False
        self._last_beat: float | None = None

    def beat(self) -> None:
        """The role's loop ran (call it from the loop, also while waiting out an outage)."""
        self._last_beat = self._clock()

    def mark_started(self) -> None:
        self.started = True
        self.beat()

    def live(self) -> Answer:
        return liveness(self._last_beat, self._clock(), self.stale_after)

    def ready(self) -> Answer:
        try:
            lag = self.lag_known()
        except Exception:  # noqa: BLE001 - a role's lag probe failing means lag is not known
            lag = False
        # A service not probed yet is not known to answer: not ready until it has answered once.
        unchecked = [s for s in self.required if s not in self.watch.answered]
        return readiness(self.required, self.watch.down(), self.started, lag, unchecked)


class Prober(threading.Thread):
    """Probes each service every ``interval`` seconds (sooner after a reported failure) and tells
    the watch; daemon, so it never holds a process that is exiting."""

    def __init__(self, watch: OutageWatch, probes: dict[Service, Probe], interval: float = 5.0) -> None:
        super().__init__(name="govbus-prober", daemon=True)
        self.watch, self.probes, self.interval = watch, probes, interval
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.probe_once()
            self.watch.changed.wait(self.interval)
            self.watch.changed.clear()

    def probe_once(self) -> None:
        for service, probe in self.probes.items():
            try:
                probe()
            except Exception as exc:  # noqa: BLE001 - any failure to answer is "unreachable"
                self.watch.failed(service, describe(exc), held=False)
            else:
                self.watch.recovered(service, held=False)
        self.watch.tick()


class HealthCollector(Collector):
    """``govbus_role_ready``, ``govbus_outage`` and ``govbus_dependency_errors_total`` of one role,
    read from its ``Health`` at scrape time, so they always say what /readyz says."""

    def __init__(self, health: Health, role: str) -> None:
        self.health, self.role = health, role_label(role)

    def collect(self) -> list[Metric]:
        ready = GaugeMetricFamily("govbus_role_ready", "1 while the role's /readyz answers 200.", labels=["role"])
        ready.add_metric([self.role], 1.0 if self.health.ready()[0] == 200 else 0.0)
        outage = GaugeMetricFamily("govbus_outage", "1 while the role waits out an outage of the dependency.",
                                   labels=["role", "dependency"])
        errors = CounterMetricFamily("govbus_dependency_errors", "Failures to reach the dependency (probes "
                                     "and operations).", labels=["role", "dependency"])
        down, counts = self.health.watch.down(), dict(self.health.watch.errors)
        for service in self.health.required:
            outage.add_metric([self.role, service.value], 1.0 if service in down else 0.0)
            errors.add_metric([self.role, service.value], float(counts.get(service, 0)))
        return [ready, outage, errors]


def _handler(registry: CollectorRegistry, health: Health | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._send(200, generate_latest(registry), CONTENT_TYPE_LATEST)
            elif path in ("/healthz", "/readyz") and health is not None:
                code, body = health.live() if path == "/healthz" else health.ready()
                self._send(code, json.dumps(body, ensure_ascii=False).encode(), "application/json")
            else:
                self._send(404, b'{"error": "not found"}', "application/json")

        def _send(self, code: int, body: bytes, content_type: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # scrapes and probes every few seconds are not worth a log line

    return Handler


def serve_http(registry: CollectorRegistry, health: Health | None, host: str, port: int) -> int | None:
    """Serve /metrics (and /healthz, /readyz with ``health``) on a daemon thread; port 0 picks a
    free one, -1 serves nothing. Returns the bound port."""
    if port < 0:
        return None
    server = ThreadingHTTPServer((host, port), _handler(registry, health))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="govbus-http", daemon=True).start()
    logging.getLogger(__name__).info("metrics and health on http://%s:%d/", host, server.server_port)
    return server.server_port
