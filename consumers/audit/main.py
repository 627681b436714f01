"""Wiring for ``govbus audit sink``: settings in, the single audit-chain writer running."""
from __future__ import annotations

import logging
import signal
import threading

from consumers.audit.anchor import CheckpointWriter
from consumers.audit.checkpoint import load_private
from consumers.audit.sink import AuditSink, AuditSummary
from consumers.audit.store import CHAIN, AuditStore, audit_url
from govbus.core.metrics import new_metrics
from govbus.core.outage import Service
from govbus.core.outage_watch import Stopped, ride_out
from govbus.core.probes import start_role_health, wait_for_broker
from govbus.core.result import Fault
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings

log = logging.getLogger(__name__)


def open_audit_store(settings: GovbusSettings) -> AuditStore:
    return AuditStore(audit_url(settings))


class SigningKeyError(RuntimeError):
    """The audit signing key file is set but cannot be used (the command prints the line)."""


def checkpoint_writer(settings: GovbusSettings) -> CheckpointWriter | None:
    """The checkpoint writer of the sink's signing key; None (and a warning) without a key."""
    if settings.audit_signing_key_file is None:
        log.warning("audit sink: no GOVBUS_AUDIT_SIGNING_KEY_FILE: no signed checkpoints are written, "
                    "and `govbus audit verify` will report the anchor missing")
        return None
    key = load_private(settings.audit_signing_key_file)
    if isinstance(key, Fault):
        raise SigningKeyError(key.message)
    return CheckpointWriter(settings, key.value, CHAIN)


def run_audit_sink(settings: GovbusSettings, idle_exit_seconds: float | None = None) -> AuditSummary:
    """Append audit.deliveries to the hash-chained store until SIGTERM (or idle); the summary."""
    metrics = new_metrics()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # Lag is not tracked by the audit sink (its store's offsets are the truth): not a readiness check.
    health = start_role_health(settings, "audit sink", metrics.registry,
                               (Service.BROKER, Service.REGISTRY, Service.DATABASE), audit_url(settings))
    try:  # the broker or the audit database may be down at start: wait for them like for any outage
        wait_for_broker(settings, health, stop.is_set)  # a refused login stops here, with its line
        store = ride_out(health.watch, lambda: open_audit_store(settings), stop.is_set, on_wait=health.beat)
    except Stopped:
        return AuditSummary()
    sink = AuditSink(settings, Serde.from_settings(settings), metrics, store, health=health,
                     anchor=checkpoint_writer(settings))
    health.mark_started()
    return sink.run(stop, idle_exit_seconds=idle_exit_seconds)
