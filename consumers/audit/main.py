"""Wiring for ``govbus audit sink``: settings in, the single audit-chain writer running."""
from __future__ import annotations

import signal
import threading

from consumers.audit.sink import AuditSink, AuditSummary
from consumers.audit.store import AuditStore, audit_url
from govbus.core.metrics import new_metrics, serve_metrics
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings


def open_audit_store(settings: GovbusSettings) -> AuditStore:
    return AuditStore(audit_url(settings))


def run_audit_sink(settings: GovbusSettings, idle_exit_seconds: float | None = None) -> AuditSummary:
    """Append audit.deliveries to the hash-chained store until SIGTERM (or idle); the summary."""
    metrics = new_metrics()
    serve_metrics(metrics, settings.metrics_host, settings.metrics_port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    sink = AuditSink(settings, Serde.from_settings(settings), metrics, open_audit_store(settings))
    return sink.run(stop, idle_exit_seconds=idle_exit_seconds)
