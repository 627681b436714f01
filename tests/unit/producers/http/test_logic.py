"""Pure parts of HTTP ingest: tokens, bodies, per-field validation."""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime

import pytest

from producers.http.bodies import parse_body
from producers.http.logic import (FieldError, TokenFileError, department_for, hashed_token, is_errors,
                                  refused_answer, to_record, tokens_from, validate_items)
from producers.sdk import Source
from tests.support.samples import SAMPLES
from tests.support.helpers import hotline_schema

SOURCE = Source("hotline", "city", "350100", "producers.http")


def submitted(**overrides):
    """A hotline work order as a department would POST it: JSON, no envelope."""
    record = {k: v for k, v in SAMPLES["hotline.work_order"].items() if k != "envelope"}
    as_json = {k: v.isoformat() if isinstance(v, (datetime, date)) else v for k, v in record.items()}
    return as_json | overrides


def test_tokens_are_stored_and_kept_as_digests():
    digest = hashlib.sha256(b"fire-secret").hexdigest()
    assert hashed_token("fire-secret") == f"sha256:{digest}"
    tokens = tokens_from({"tokens": {hashed_token("hotline-secret"): "hotline", f"SHA256:{digest}".lower(): "fire"}})
    assert "hotline-secret" not in tokens
    assert department_for("Bearer hotline-secret", tokens) == "hotline"
    assert department_for("bearer fire-secret", tokens) == "fire"


@pytest.mark.parametrize("key", ["hotline-secret", "sha256:abc", "sha256:" + "g" * 64, "md5:" + "a" * 32])
def test_tokens_in_clear_or_not_sha256_are_refused_without_echoing_them(key):
    with pytest.raises(TokenFileError, match="entry 1 \\(department hotline\\) is not sha256") as refused:
        tokens_from({key: "hotline"})
    assert key not in str(refused.value)


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic aG90bGluZQ==",
                                    "Bearer wrong", "hotline-secret"])
def test_no_department_for_missing_or_wrong_tokens(header):
    assert department_for(header, tokens_from({hashed_token("hotline-secret"): "hotline"})) is None


@pytest.mark.parametrize("data", [None, [], {}, {"t": 1}, {"": "hotline"}])
def test_malformed_token_files_are_refused(data):
    with pytest.raises(TokenFileError):
        tokens_from(data)


def test_body_is_one_object_or_an_array():
    assert parse_body(b'{"a": 1}', 10) == [{"a": 1}]
    assert parse_body(b'[{"a": 1}, {"a": 2}]', 10) == [{"a": 1}, {"a": 2}]
    for body, reason in [(b"{not json", "bad_json"), (b"\xff\xfe", "bad_utf8"),
                         (b"[]", "empty_batch"), (b"[1, 2, 3]", "batch_too_large")]:
        errors = parse_body(body, 2)
        assert is_errors(errors) and errors[0].reason == reason and errors[0].index is None


def test_a_clean_record_gets_its_envelope_and_deterministic_id():
    records = validate_items(hotline_schema(), [submitted()], SOURCE)
    assert not is_errors(records)
    envelope = records[0]["envelope"]
    retried = validate_items(hotline_schema(), [submitted()], SOURCE)[0]["envelope"]
    changed = validate_items(hotline_schema(), [submitted(urgency="urgent")], SOURCE)[0]
    assert envelope["event_id"] == retried["event_id"] != changed["envelope"]["event_id"]
    assert envelope["source_department"] == "hotline" and envelope["lineage"][0]["component"] == \
        "producers.http"


def test_every_bad_field_of_every_record_is_listed():
    items = [submitted(), submitted(channel="fax", accepted_at="yesterday", urgency=None,
                                    extra=1), "not an object"]
    errors = validate_items(hotline_schema(), items, SOURCE)
    assert is_errors(errors)
    found = {(e.index, e.field, e.reason) for e in errors}
    assert found == {(1, "channel", "bad_enum"), (1, "accepted_at", "wrong_type"),
                     (1, "urgency", "missing_field"), (1, "extra", "unknown_field"),
                     (2, "", "not_an_object")}
    assert all(e.message for e in errors)


def test_missing_required_fields_are_each_reported():
    item = submitted()
    del item["order_no"], item["content"]
    faults = to_record(hotline_schema(), item, SOURCE)
    assert {(f.field, f.reason) for f in faults} == {("order_no", "missing_field"),
                                                     ("content", "missing_field")}


def test_the_envelope_is_not_the_callers_to_set():
    faults = to_record(hotline_schema(), submitted(envelope={}), SOURCE)
    assert [(f.field, f.reason) for f in faults] == [("envelope", "reserved_field")]


def test_gov_service_named_types_shared_between_fields_still_check_per_field():
    # previous_status refers to the Status enum defined by status: the per-field schemas keep it.
    from govbus.core.schemas import load_schemas
    from tests.support.helpers import SCHEMAS_DIR
    schema = load_schemas(SCHEMAS_DIR)["gov_service.application"]
    sample = {k: v for k, v in SAMPLES["gov_service.application"].items() if k != "envelope"}
    item = json.loads(json.dumps(sample, default=str)) | {"status": "nope", "previous_status": "bad"}
    errors = validate_items(schema, [item], Source("gov_service", "city", "350100", "t"))
    assert {(e.field, e.reason) for e in errors} == {("status", "bad_enum"),
                                                    ("previous_status", "bad_enum")}


def test_field_error_json_shape():
    assert FieldError(0, "channel", "bad_enum", "m", "avro.enum").as_json() == {
        "index": 0, "field": "channel", "reason": "bad_enum", "rule": "avro.enum", "message": "m"}


@pytest.mark.parametrize(("indices", "count", "statuses"), [
    ([0], 1, ["refused"]),
    ([1], 3, ["not_published", "refused", "not_published"]),
    ([0, 0, 2], 3, ["refused", "not_published", "refused"]),  # two faults of one record: refused once
])
def test_refused_answer_has_a_result_per_record(indices, count, statuses):
    errors = [FieldError(i, "caller_phone", "bad_format", "no", "mobile.format") for i in indices]
    body = refused_answer(errors, count)
    assert [r["status"] for r in body["records"]] == statuses
    assert body["refused"] == statuses.count("refused") and body["not_published"] == statuses.count("not_published")
    assert len(body["errors"]) == len(indices) and f"{body['refused']} of {count} records" in body["error"]
