"""Wiring for ``govbus audit sink``: settings in, the single audit-chain writer running.

The chain has two feeds: ``audit.deliveries`` (consumers/audit/sink.py) and every identity's
action topic (consumers/audit/actions_sink.py, in a thread of its own); both append under the
store's head lock, so their rows interleave on one chain.
"""
from __future__ import annotations

import logging
import signal
import threading

from consumers.audit.actions_sink import ActionsSink
from consumers.audit.actions_store import ActionsStore
from consumers.audit.anchor import CheckpointWriter
from consumers.audit.checkpoint import load_private
from consumers.audit.gauges import AuditGauges, start_verifier
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
    """The audit store with the actions table linked to its chain (verify walks both)."""
    return open_audit_stores(settings)[0]


def open_audit_stores(settings: GovbusSettings) -> tuple[AuditStore, ActionsStore]:
    store = AuditStore(audit_url(settings))
    return store, ActionsStore(store)


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
    """Append audit.deliveries and the action topics to the hash-chained store until SIGTERM
    (or idle); the summary."""
    metrics = new_metrics()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # Lag is not tracked by the audit sink (its store's offsets are the truth): not a readiness check.
    health = start_role_health(settings, "audit sink", metrics.registry,
                               (Service.BROKER, Service.REGISTRY, Service.DATABASE), audit_url(settings))
    try:  # the broker or the audit database may be down at start: wait for them like for any outage
        wait_for_broker(settings, health, stop.is_set)  # a refused login stops here, with its line
        store, actions = ride_out(health.watch, lambda: open_audit_stores(settings), stop.is_set,
                                  on_wait=health.beat)
    except Stopped:
        return AuditSummary()
    anchor = checkpoint_writer(settings)
    gauges = AuditGauges.register(metrics.registry)
    gauges.follow(store)
    if anchor is not None:
        anchor.on_written = gauges.checkpointed
    sink = AuditSink(settings, Serde.from_settings(settings), metrics, store, health=health, anchor=anchor)
    start_verifier(gauges, store, settings.audit_verify_seconds, stop)
    failed: list[BaseException] = []
    thread = threading.Thread(target=_run_actions, name="audit-actions", daemon=True, args=(
        ActionsSink(settings, Serde.from_settings(settings), actions, health.watch), stop, idle_exit_seconds, failed))
    health.mark_started()
    thread.start()
    try:
        summary = sink.run(stop, idle_exit_seconds=idle_exit_seconds)
    finally:
        stop.set()
        thread.join(60)
    if failed:
        raise failed[0]
    return summary


def _run_actions(sink: ActionsSink, stop: threading.Event, idle_exit_seconds: float | None,
                 failed: list[BaseException]) -> None:
    """The actions feed; its failure stops the role (raised again in the main thread)."""
    try:
        sink.run(stop, idle_exit_seconds)
    except BaseException as exc:  # noqa: BLE001 - handed to the main thread, which reports it
        log.error("audit actions sink stopped: %s", exc)
        failed.append(exc)
        stop.set()
