"""The audit sink's chain gauges: length, last verification, last checkpoint (SQLite, no broker)."""
from __future__ import annotations

import threading

from sqlalchemy import update

from consumers.audit.gauges import POOL, AuditGauges, verify_periodically
from consumers.audit.logic import normalise
from consumers.audit.store import AuditStore
from govbus.core.metrics import new_metrics
from tests.support.audit_samples import audit_event


def _event(n: int) -> dict:
    return normalise(audit_event(n + 1)).value


def test_a_verification_sets_the_gauges_and_a_tampered_row_turns_them_to_zero(tmp_path):
    metrics = new_metrics()
    store = AuditStore(f"sqlite:///{tmp_path / 'audit.db'}")
    gauges = AuditGauges.register(metrics.registry)
    gauges.follow(store)
    sample = lambda name: metrics.registry.get_sample_value(name, {"pool": POOL})  # noqa: E731
    assert sample("govbus_audit_chain_length") == 0.0
    store.append([_event(n) for n in range(3)])
    assert sample("govbus_audit_chain_length") == 3.0
    assert gauges.verify_once(store)
    assert sample("govbus_audit_verify_ok") == 1.0 and sample("govbus_audit_verify_timestamp_seconds") > 0
    with store.engine.begin() as conn:
        conn.execute(update(store.deliveries).where(store.deliveries.c.seq == 2).values(recipient="someone_else"))
    assert not gauges.verify_once(store)
    assert sample("govbus_audit_verify_ok") == 0.0
    gauges.checkpointed(1234.5)
    assert sample("govbus_audit_checkpoint_timestamp_seconds") == 1234.5


def test_a_restarted_sink_reports_the_stored_length_before_it_appends(tmp_path):
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    AuditStore(url).append([_event(n) for n in range(4)])
    metrics, store = new_metrics(), AuditStore(url)
    gauges = AuditGauges.register(metrics.registry)
    gauges.follow(store)
    stop = threading.Event()
    verify_periodically(gauges, store, 0, stop)  # 0: no verification, the head only
    assert metrics.registry.get_sample_value("govbus_audit_chain_length", {"pool": POOL}) == 4.0
    assert metrics.registry.get_sample_value("govbus_audit_verify_ok", {"pool": POOL}) is None
