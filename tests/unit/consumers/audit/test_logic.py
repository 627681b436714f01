"""Table-driven tests for consumers.audit.logic: the canonical form, the chain hash, and the
verifier naming the first broken link (changed, deleted, reordered rows; a cut-off tail)."""
from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta, timezone

import pytest

from consumers.audit.logic import (EVENT_FIELDS, GENESIS, Head, canonical, chain_hash, chain_rows,
                                   fresh_events, from_columns, normalise, to_columns, verify_chain)
from govbus.core.result import Fault, Ok
from govbus.core.settings import PROJECT_ROOT
from tests.support.audit_samples import T0, audit_event

AVSC = PROJECT_ROOT / "schemas" / "avro" / "bus" / "govbus.bus.AuditDelivery.avsc"


def chain(n: int) -> tuple[list[dict], Head]:
    """A stored chain of ``n`` rows, as the store writes them."""
    return chain_rows(Head(), [audit_event(i) for i in range(1, n + 1)])


# --- canonical -----------------------------------------------------------------------------

def test_event_fields_are_the_schemas_fields():
    assert EVENT_FIELDS == tuple(f["name"] for f in json.loads(AVSC.read_text())["fields"])


def test_canonical_is_sorted_compact_utf8_json():
    text = canonical(audit_event(1)).decode("utf-8")
    assert " " not in text.replace("(handle complaints)", "").replace("处置群众诉求 ", "")
    body = json.loads(text)
    assert list(body) == sorted(EVENT_FIELDS)
    assert list(body["operators"]) == sorted(body["operators"])
    assert "处置群众诉求" in text  # not \u-escaped
    assert body["delivered_at"] == "2025-03-01T08:30:01.000000+00:00"


@pytest.mark.parametrize("when", [
    T0, T0.astimezone(timezone(timedelta(hours=8))), T0.replace(tzinfo=None)],
    ids=["utc", "beijing offset", "naive means utc"])
def test_canonical_times_are_utc(when):
    assert canonical(audit_event(0, delivered_at=when)) == canonical(audit_event(0))


@pytest.mark.parametrize("variant", [
    {"audit_id": uuid.UUID(audit_event(1)["audit_id"])},       # the Avro decoder gives UUIDs
    {"operators": dict(reversed(audit_event(1)["operators"].items()))},
], ids=["uuid object", "map order"])
def test_canonical_ignores_representation(variant):
    assert canonical(audit_event(1) | variant) == canonical(audit_event(1))


@pytest.mark.parametrize("change", [
    {"recipient": "health"}, {"agreement_version": 4}, {"purpose": None},
    {"fields_delivered": ["content", "order_no", "caller_phone"]},  # list order is meaningful
    {"subject_pseudonyms": ["v1:00"]}, {"delivered_at": T0 + timedelta(microseconds=1001)},
])
def test_canonical_changes_with_content(change):
    assert canonical(audit_event(1) | change) != canonical(audit_event(1))


def test_canonical_survives_the_database_round_trip():
    event = normalise(audit_event(1)).value
    stored = to_columns(event) | {"delivered_at": event["delivered_at"].replace(tzinfo=None)}  # as SQLite
    assert canonical(from_columns(stored)) == canonical(audit_event(1))


def test_absent_optional_fields_hash_as_their_defaults():
    full = audit_event(1, purpose=None, subject_pseudonyms=[])
    short = {k: v for k, v in full.items() if k not in ("purpose", "subject_pseudonyms")}
    assert canonical(short) == canonical(full)


# --- chain_hash ----------------------------------------------------------------------------

def test_chain_hash_is_sha256_of_prev_bytes_and_canonical():
    event = audit_event(1)
    assert chain_hash(GENESIS, event) == hashlib.sha256(bytes(32) + canonical(event)).hexdigest()
    first = chain_hash(GENESIS, event)
    assert chain_hash(first, event) == hashlib.sha256(bytes.fromhex(first) + canonical(event)).hexdigest()


@pytest.mark.parametrize("prev", ["", "00", "zz" * 32, "0" * 66])
def test_chain_hash_refuses_a_malformed_prev(prev):
    with pytest.raises(ValueError):
        chain_hash(prev, audit_event(1))


def test_chain_rows_link_each_row_to_the_one_before():
    rows, head = chain(3)
    assert [r["seq"] for r in rows] == [1, 2, 3]
    assert rows[0]["prev_hash"] == GENESIS
    assert [r["prev_hash"] for r in rows[1:]] == [r["hash"] for r in rows[:-1]]
    assert head == Head(3, rows[-1]["hash"])
    more, later = chain_rows(head, [audit_event(4)])
    assert more[0]["seq"] == 4 and more[0]["prev_hash"] == head.hash and later.seq == 4


# --- verify_chain --------------------------------------------------------------------------

def test_an_intact_chain_verifies():
    rows, head = chain(5)
    result = verify_chain(rows, head)
    assert result.ok and result.rows == 5 and result.head == head


def test_an_empty_chain_verifies():
    assert verify_chain([], Head()).ok


@pytest.mark.parametrize("field,value", [
    ("recipient", "health"), ("purpose", "something else"), ("agreement_version", 2),
    ("fields_delivered", '["order_no"]'), ("subject_pseudonyms", '["v1:ff"]'),
    ("delivered_at", T0 + timedelta(days=1)), ("hash", "f" * 64),
])
def test_a_changed_row_is_named(field, value):
    rows, head = chain(5)
    rows[2] = rows[2] | {field: value}
    result = verify_chain(rows, head)
    assert (result.broken.seq, result.broken.kind) == (3, "hash_mismatch")
    assert result.rows == 2 and "changed" in result.broken.message


def test_a_row_rewritten_with_its_own_hash_is_caught_at_the_next_link():
    rows, head = chain(5)
    forged = rows[2] | {"recipient": "health"}
    rows[2] = forged | {"hash": chain_hash(forged["prev_hash"], from_columns(forged))}
    broken = verify_chain(rows, head).broken
    assert (broken.seq, broken.kind) == (4, "prev_hash_mismatch")


@pytest.mark.parametrize("deleted,named", [(0, 1), (2, 3), ([1, 2], 2)], ids=["first", "middle", "two"])
def test_a_deleted_row_is_named(deleted, named):
    rows, head = chain(5)
    gone = deleted if isinstance(deleted, list) else [deleted]
    kept = [r for i, r in enumerate(rows) if i not in gone]
    broken = verify_chain(kept, head).broken
    assert (broken.seq, broken.kind) == (named, "missing")
    assert "deleted" in broken.message


def test_a_deleted_last_row_is_named_through_the_head():
    rows, head = chain(5)
    broken = verify_chain(rows[:-1], head).broken
    assert (broken.seq, broken.kind) == (5, "missing")
    assert verify_chain(rows[:-1]).ok  # without the head, a cut-off tail is undetectable


def test_reordered_rows_are_named():
    """Swapping the contents of seq 2 and 4 (each keeping its stored hashes)."""
    rows, head = chain(5)
    rows[1], rows[3] = rows[3] | {"seq": 2}, rows[1] | {"seq": 4}
    broken = verify_chain(rows, head).broken
    assert (broken.seq, broken.kind) == (2, "prev_hash_mismatch")


def test_rows_out_of_seq_order_are_named():
    rows, head = chain(3)
    broken = verify_chain([rows[0], rows[2], rows[1]], head).broken
    assert broken.kind == "missing" and broken.seq == 2
    broken = verify_chain([rows[0], rows[1], rows[0]], head).broken
    assert (broken.seq, broken.kind) == (1, "out_of_order")


def test_a_changed_head_is_named():
    rows, head = chain(3)
    broken = verify_chain(rows, Head(3, "0" * 64)).broken
    assert (broken.seq, broken.kind) == (3, "head_mismatch")


# --- dedup and normalise -------------------------------------------------------------------

def test_fresh_events_drop_stored_and_repeated_audit_ids():
    one, two, three = audit_event(1), audit_event(2), audit_event(3)
    again = audit_event(2, delivered_at=T0 + timedelta(hours=1))  # redelivered later
    assert fresh_events([one, two, again, three], {one["audit_id"]}) == [two, three]


def test_normalise_keeps_an_audit_event():
    decoded = audit_event(1) | {"audit_id": uuid.UUID(audit_event(1)["audit_id"])}
    event = normalise(decoded)
    assert isinstance(event, Ok) and event.value["audit_id"] == audit_event(1)["audit_id"]
    assert canonical(event.value) == canonical(audit_event(1))


@pytest.mark.parametrize("record", [
    {"order_no": "WO-1"}, "a string", audit_event(1, delivered_at="yesterday"),
    audit_event(1, operators=["keep"]),
], ids=["another dataset", "not a record", "bad time", "bad map"])
def test_normalise_refuses_what_is_not_an_audit_event(record):
    assert isinstance(normalise(record), Fault)
