"""who-received's report (consumers/audit/actions_report.py): deliveries and record actions in
chain order, purpose and legal basis from the catalogue."""
from __future__ import annotations

from datetime import datetime, timezone

from consumers.audit.actions_report import AgreementTerms, who_received
from tests.support.audit_samples import audit_event

TERMS = {"agr-hotline-police": AgreementTerms(3, "handle complaints", "《信访工作条例》")}
AT = datetime(2026, 12, 3, tzinfo=timezone.utc)


def _action(seq: int, action: str, **more) -> dict:
    return {"seq": seq, "action": action, "operator": "op.alice", "target": "dlq.x@1", "outcome": "done",
            "reason": "ticket 4711", "acted_at": AT, "event_ids": ["e1"], "dataset": "hotline.work_order",
            "agreement_id": None, "agreement_version": None} | more


def test_deliveries_and_record_actions_in_chain_order_with_basis() -> None:
    deliveries = [audit_event(1) | {"seq": 1}, audit_event(2, agreement_version=2) | {"seq": 4}]
    actions = [_action(3, "dlq.redrive"), _action(2, "dlq.view"), _action(5, "acl.add")]
    entries = who_received(deliveries, actions, TERMS)
    assert [(e["seq"], e["kind"]) for e in entries] == [(1, "delivery"), (2, "dlq.view"), (3, "dlq.redrive"),
                                                        (4, "delivery")]
    assert entries[0]["legal_basis"] == "《信访工作条例》" and entries[0]["who"] == "police"
    assert entries[3]["legal_basis"] == "《信访工作条例》 (catalogue now at v3)"
    assert (entries[2]["who"], entries[2]["purpose"]) == ("op.alice", "ticket 4711")
    assert "operator action" in entries[2]["legal_basis"]


def test_an_agreement_gone_from_the_catalogue_is_said() -> None:
    [entry] = who_received([audit_event(1) | {"seq": 1}], [], {})
    assert entry["legal_basis"] == "(agreement no longer in the catalogue)"
    assert entry["purpose"] == audit_event(1)["purpose"]
