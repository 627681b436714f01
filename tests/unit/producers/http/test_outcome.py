"""What delivery reports mean for a record and for the request's answer; safe retries."""
from __future__ import annotations

import json

import pytest
from confluent_kafka import KafkaError

from producers.http.idempotency import Answer, KeyReused, RecentAnswers, check_key, with_idempotent_id
from producers.http.logic import validate_items
from producers.http.outcome import (RecordOutcome, Report, Status, answer_body, answer_status,
                                    record_outcome, too_large_indices, transmitted_messages)
from producers.sdk import Source
from tests.support.helpers import hotline_schema
from tests.unit.producers.http.test_logic import submitted

P, N, U = Status.PUBLISHED, Status.NOT_PUBLISHED, Status.UNKNOWN


@pytest.mark.parametrize(("code", "transmitted", "status", "reason"), [
    (None, True, P, ""),
    (KafkaError.MSG_SIZE_TOO_LARGE, True, N, "record_too_large"),
    (KafkaError.RECORD_LIST_TOO_LARGE, True, N, "record_too_large"),
    (KafkaError.TOPIC_AUTHORIZATION_FAILED, True, N, "broker_unavailable"),
    (KafkaError._PURGE_QUEUE, True, N, "broker_unavailable"),
    (KafkaError._MSG_TIMED_OUT, False, N, "broker_unavailable"),  # queued, never sent
    (KafkaError._MSG_TIMED_OUT, True, U, "unacknowledged"),  # maybe in flight
    (KafkaError._TIMED_OUT, False, U, "unacknowledged"),
    (KafkaError._PURGE_INFLIGHT, False, U, "unacknowledged"),
    (KafkaError.NOT_ENOUGH_REPLICAS_AFTER_APPEND, True, U, "unacknowledged"),
])
def test_record_outcome(code, transmitted, status, reason):
    outcome = record_outcome(Report(code, "text"), transmitted)
    assert (outcome.status, outcome.reason) == (status, reason)


def _o(status: Status, reason: str = "") -> RecordOutcome:
    return RecordOutcome(status, reason, "m" if reason else "")


@pytest.mark.parametrize(("outcomes", "status"), [
    ([_o(P)], 202), ([_o(P), _o(P)], 202),
    ([_o(N, "broker_unavailable")] * 3, 503),
    ([_o(N, "record_too_large")], 413),
    ([_o(N, "broker_unavailable"), _o(N, "record_too_large")], 413),
    ([_o(P), _o(N, "broker_unavailable")], 207),
    ([_o(U, "unacknowledged")], 207),  # never 503 when the broker may have it
    ([_o(N, "broker_unavailable"), _o(U, "unacknowledged")], 207),
])
def test_answer_status(outcomes, status):
    assert answer_status(outcomes) == status


def test_207_body_says_what_happened_to_each_record():
    body = answer_body([_o(P), _o(N, "broker_unavailable")], ["e1", "e2"])
    assert (body["published"], body["not_published"], body["unknown"]) == (1, 1, 0)
    assert body["records"] == [{"index": 0, "event_id": "e1", "status": "published"},
                               {"index": 1, "event_id": "e2", "status": "not_published",
                                "reason": "broker_unavailable", "message": "m"}]


def test_statistics_and_sizes():
    assert transmitted_messages(json.dumps({"txmsgs": 12, "brokers": {}})) == 12
    assert transmitted_messages("{") is None and transmitted_messages("[]") is None
    assert too_large_indices([10, 990, 1000], 1000, 10) == [2]


@pytest.mark.parametrize(("key", "ok"), [(None, True), ("a", True), ("x" * 200, True),
                                         ("", False), ("x" * 201, False), ("a b", False),
                                         ("键", False)])
def test_idempotency_key_header(key, ok):
    assert (check_key(key) is None) == ok


def test_keyless_records_get_ids_from_the_idempotency_key():
    schema = hotline_schema()
    source = Source("hotline", "city", "350100", "producers.http")
    keyless = submitted(order_no="")

    def event_id(key, index=0, record=keyless):
        return with_idempotent_id(schema, validate_items(schema, [record], source)[0], key,
                                  index)["envelope"]["event_id"]
    assert event_id("k1") == event_id("k1") != event_id("k2")
    assert event_id("k1", 0) != event_id("k1", 1)
    assert event_id("k1") != event_id("k1", record=submitted(order_no="", urgency="urgent"))
    keyed = validate_items(schema, [submitted()], source)[0]
    assert with_idempotent_id(schema, keyed, "k1", 0) == keyed  # its natural key decides


def test_recent_answers_replay_202_only_and_refuse_another_body():
    answers = RecentAnswers(capacity=2)
    scope = ("hotline", "hotline.work_order", "k")
    answers.remember(scope, "d1", Answer(503, {}))
    assert answers.lookup(scope, "d1") is None
    answers.remember(scope, "d1", Answer(202, {"accepted": 1}))
    assert answers.lookup(scope, "d1") == Answer(202, {"accepted": 1})
    with pytest.raises(KeyReused):
        answers.lookup(scope, "d2")
    for key in ("k2", "k3"):
        answers.remember(scope[:2] + (key,), "d", Answer(202, {}))
    assert answers.lookup(scope, "d1") is None  # the oldest key went first
