"""consumers.audit.store against SQLite and PostgreSQL, without a broker: atomic appends,
redeliveries, the head row, and the who-received queries."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from consumers.audit.logic import normalise
from consumers.audit.store import AUDIT_TABLE, HEAD_TABLE, AuditStore, ChainError
from consumers.pool.logic import OffsetMark
from tests.support.audit_samples import audit_event


@pytest.fixture
def store(db_url):
    store = AuditStore(db_url)
    yield store
    store.close()


def events(*ns, **kwargs):
    return [normalise(audit_event(n, **kwargs)).value for n in ns]


def count(store):
    with store.engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {AUDIT_TABLE}")).scalar()


def test_appends_chain_once_per_audit_id_and_store_offsets(store):
    assert len(store.append(events(1, 2, 3), [], [OffsetMark("g", "audit", 0, 3)])) == 3
    assert len(store.append(events(2, 3, 4, 4), [], [OffsetMark("g", "audit", 0, 7)])) == 1
    assert count(store) == 4 and store.stored_offsets("g", "audit", [0]) == {0: 7}
    assert store.verify().ok and store.verify().head.seq == 4


def test_a_failing_append_stores_nothing(store):
    store.append(events(1), [], [OffsetMark("g", "audit", 0, 1)])
    bad = events(2)[0] | {"recipient": None}  # NOT NULL
    with pytest.raises(IntegrityError):
        store.append([bad], [], [OffsetMark("g", "audit", 0, 2)])
    assert count(store) == 1 and store.stored_offsets("g", "audit", [0]) == {0: 1}
    assert store.verify().ok and store.stored_head().seq == 1


def test_a_deleted_head_is_reported_and_stops_appends(store, db_url):
    store.append(events(1, 2), [], [])
    with store.engine.begin() as conn:
        conn.execute(text(f"DELETE FROM {HEAD_TABLE}"))
    reopened = AuditStore(db_url)  # must not recreate the head over existing rows
    try:
        assert reopened.verify().broken.kind == "head_mismatch"
        with pytest.raises(ChainError):
            reopened.append(events(3), [], [])
    finally:
        reopened.close()


def test_who_received_queries(store):
    store.append(events(1, event_id="e-1", subjects=["v1:a_%"])
                 + events(2, event_id="e-1", recipient="health", subjects=["v1:a_%"])
                 + events(3, subjects=["v1:ab"]), [], [])
    assert [(e["seq"], e["recipient"]) for e in store.by_event("E-1")] == [(1, "police"), (2, "health")]
    assert [e["seq"] for e in store.by_subject("v1:a_%")] == [1, 2]  # LIKE wildcards are escaped
    assert [e["seq"] for e in store.by_subject("v1:a")] == []        # no substring matches
    assert [e["seq"] for e in store.by_subject("v1:ab")] == [3]
