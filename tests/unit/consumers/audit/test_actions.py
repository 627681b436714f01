"""Actions on the audit chain (consumers/audit/actions.py): the actor is the topic's, actions and
deliveries form one chain that verifies, and a changed action row is named."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from consumers.audit.actions import (
    action_rows,
    fresh_actions,
    from_action_columns,
    normalise_action,
    row_hash,
)
from consumers.audit.logic import Head, chain_rows, normalise, verify_chain
from govbus.core.actions import Act, action_record
from govbus.core.result import Fault, Ok
from govbus.core.topics import TopicNames
from tests.support.audit_samples import audit_event

AT = datetime(2026, 12, 3, 5, 0, tzinfo=timezone.utc)
PLAIN, PREFIXED = TopicNames(), TopicNames("t1")


def _action(**overrides) -> dict:
    return action_record(Act.DLQ_REDRIVE, "ticket 4711", "dlq.hotline.work_order@3", AT,
                         dataset="hotline.work_order", event_ids=["e1"], subjects=["v1:aa"]) | overrides


@pytest.mark.parametrize(("topics", "topic", "record", "expected"), [
    (PLAIN, "audit.actions.op.alice", _action(), ("ok", "op.alice")),
    # A payload naming somebody else changes nothing: the actor is the topic's.
    (PLAIN, "audit.actions.op.alice", _action(operator="op.bob"), ("ok", "op.alice")),
    (PLAIN, "audit.actions.bus_admin", _action(), ("ok", "bus-admin")),
    (PLAIN, "audit.actions.svc.processor", _action(), ("ok", "svc.processor")),
    (PREFIXED, "t1.audit.actions.op.alice", _action(), ("ok", "op.alice")),
    (PREFIXED, "audit.actions.op.alice", _action(), ("not_an_action_topic", None)),   # another bus's
    (PLAIN, "audit.deliveries", _action(), ("not_an_action_topic", None)),
    (PLAIN, "audit.actions.op.alice", _action(reason="  "), ("no_reason", None)),
    (PLAIN, "audit.actions.op.alice", _action(acted_at=12), ("bad_time", None)),
    (PLAIN, "audit.actions.op.alice", {"action": "dlq.redrive"}, ("not_an_action", None)),
    (PLAIN, "audit.actions.op.alice", "bytes", ("not_an_action", None)),
])
def test_normalise_takes_the_actor_from_the_topic(topics, topic, record, expected) -> None:
    result = normalise_action(record, topic, topics)
    if expected[0] == "ok":
        assert isinstance(result, Ok)
        assert (result.value["operator"], result.value["source_topic"]) == (expected[1], topic)
    else:
        assert isinstance(result, Fault) and result.reason == expected[0]


def _event(**overrides) -> dict:
    result = normalise_action(_action(**overrides), "audit.actions.op.alice", PLAIN)
    assert isinstance(result, Ok)
    return result.value


def _interleaved() -> list[dict]:
    """delivery, action, delivery, action on one chain, as the two writers append them."""
    head, rows = Head(), []
    for n in range(2):
        delivery = normalise(audit_event(n + 1))
        assert isinstance(delivery, Ok)
        more, head = chain_rows(head, [delivery.value])
        rows += more
        more, head = action_rows(head, [_event(target=f"dlq.x@{n}")])
        rows += more
    return rows


def test_actions_and_deliveries_form_one_chain_that_verifies() -> None:
    rows = _interleaved()
    assert [r["seq"] for r in rows] == [1, 2, 3, 4]
    assert all(rows[i]["prev_hash"] == rows[i - 1]["hash"] for i in range(1, 4))
    result = verify_chain(rows, Head(4, rows[-1]["hash"]), row_hash)
    assert result.ok and result.rows == 4


@pytest.mark.parametrize(("column", "value"), [
    ("operator", "op.mallory"), ("reason", "nothing"), ("subject_pseudonyms", '["v1:bb"]'),
    ("acted_at", datetime(2026, 12, 4, tzinfo=timezone.utc)),
])
def test_a_changed_action_row_is_named(column, value) -> None:
    rows = _interleaved()
    rows[1] = rows[1] | {column: value}
    broken = verify_chain(rows, None, row_hash).broken
    assert broken is not None and (broken.seq, broken.kind) == (2, "hash_mismatch")


def test_an_action_row_read_back_hashes_the_same() -> None:
    rows = _interleaved()
    assert from_action_columns(rows[1])["details"] == {}
    assert row_hash(rows[0]["hash"], rows[1]) == rows[1]["hash"]


def test_an_action_sent_twice_is_chained_once() -> None:
    a, b = _event(action_id="11111111-1111-5111-8111-111111111111"), _event()
    assert fresh_actions([a, b, a], set()) == [a, b]
    assert fresh_actions([a, b], {a["action_id"]}) == [b]
