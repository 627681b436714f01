"""consumers.audit.actions_store against SQLite and PostgreSQL, without a broker: actions and
deliveries on one chain that verifies, an action chained once, the who-received queries, and
a changed or deleted action row named by verify."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from consumers.audit.actions import normalise_action
from consumers.audit.actions_store import ACTIONS_TABLE, ActionsStore
from consumers.audit.logic import normalise
from consumers.audit.store import AuditStore
from consumers.pool.logic import OffsetMark
from govbus.core.actions import Act, action_record
from govbus.core.topics import TopicNames
from tests.support.audit_samples import audit_event

AT = datetime(2026, 12, 3, 5, 0, tzinfo=timezone.utc)
PERSON = "v1:" + "ab" * 32


@pytest.fixture
def stores(db_url):
    store = AuditStore(db_url)
    yield store, ActionsStore(store)
    store.close()


def action(actor: str, act: Act, **more):
    record = action_record(act, "ticket 4711", "dlq.hotline.work_order@3", AT, **more)
    return normalise_action(record, TopicNames().audit_actions(actor), TopicNames()).value


def _filled(store, actions):
    delivery = normalise(audit_event(1, subjects=[PERSON])).value
    store.append([delivery], [], [OffsetMark("g", "audit.deliveries", 0, 1)])
    redrive = action("op.alice", Act.DLQ_REDRIVE, subjects=[PERSON], event_ids=["e-other"])
    view = action("op.bob", Act.POOL_VIEW, event_ids=[delivery["event_id"]])
    assert len(actions.append([redrive, view, redrive], [], [OffsetMark("g-actions", "audit.actions.op.alice", 0, 3)])) == 2
    store.append(events := [normalise(audit_event(2)).value], [], [])
    assert len(actions.append([redrive, action("bus-admin", Act.ACL_ADD)], [], [])) == 1  # sent again: kept once
    return delivery, redrive, view, events


def test_actions_and_deliveries_share_one_chain(stores):
    store, actions = stores
    delivery, redrive, view, _ = _filled(store, actions)
    result = store.verify()
    assert result.ok and result.rows == 5 and result.head.seq == 5, result
    assert [a["seq"] for a in actions.by_operator("op.alice")] == [2]
    assert [a["action"] for a in actions.by_subject(PERSON)] == ["dlq.redrive"]
    assert [a["operator"] for a in actions.by_events([delivery["event_id"], "nothing"])] == ["op.bob"]
    assert store.stored_offsets("g-actions", "audit.actions.op.alice", [0]) == {0: 3}
    assert ActionsStore(store) and store.verify().rows == 5  # opening it again links nothing twice


@pytest.mark.parametrize(("statement", "kind"), [
    (f"UPDATE {ACTIONS_TABLE} SET operator = 'op.mallory' WHERE seq = 2", "hash_mismatch"),
    (f"UPDATE {ACTIONS_TABLE} SET reason = 'nothing' WHERE seq = 3", "hash_mismatch"),
    (f"DELETE FROM {ACTIONS_TABLE} WHERE seq = 3", "missing"),
])
def test_a_changed_or_deleted_action_row_is_named(stores, statement, kind):
    store, actions = stores
    _filled(store, actions)
    with store.engine.begin() as conn:
        conn.execute(text(statement))
    broken = store.verify().broken
    assert broken is not None and broken.kind == kind and broken.seq in (2, 3), broken
