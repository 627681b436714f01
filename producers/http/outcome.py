"""What one request's delivery reports mean, and the answer they make: pure, no I/O.

Each record of a request gets its own delivery report from librdkafka. A record is
- ``published`` when the broker acknowledged it (acks=all);
- ``not_published`` when its error proves the broker never wrote it (refused, too large,
  never sent), so a retry cannot duplicate it;
- ``unknown`` when it may have been written without an acknowledgement reaching us (a request
  in flight when the broker went away). Its event id is deterministic, so a retry is dropped
  by the processor's duplicate filter if the first copy did arrive.

The answer: 202 all published; 413 none published and some record is larger than the broker
takes (a retry cannot succeed); 503 + Retry-After none published and none unknown (nothing will
appear later: librdkafka has given up on every record before the answer, see delivery.py);
207 anything else, with the status of each record.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Any

from confluent_kafka import KafkaError


class Status(str, Enum):
    PUBLISHED = "published"
    NOT_PUBLISHED = "not_published"
    UNKNOWN = "unknown"


# Errors after which the broker has certainly not written the record.
TOO_LARGE = frozenset({KafkaError.MSG_SIZE_TOO_LARGE,  # also what produce() raises locally
                       KafkaError.RECORD_LIST_TOO_LARGE})
NEVER_WRITTEN = TOO_LARGE | frozenset({
    KafkaError._PURGE_QUEUE, KafkaError._QUEUE_FULL, KafkaError._UNKNOWN_TOPIC,
    KafkaError._UNKNOWN_PARTITION, KafkaError.UNKNOWN_TOPIC_OR_PART,
    KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.CLUSTER_AUTHORIZATION_FAILED,
    KafkaError.INVALID_RECORD, KafkaError.INVALID_MSG,
    KafkaError.NOT_ENOUGH_REPLICAS, KafkaError.POLICY_VIOLATION, KafkaError._AUTHENTICATION,
    KafkaError._INVALID_ARG, KafkaError._BAD_MSG})
# Timed out in librdkafka: never written if it was still queued, possibly if it was in flight.
TIMED_OUT = KafkaError._MSG_TIMED_OUT


@dataclass(frozen=True)
class Report:
    """One record's delivery report: ``code`` None when acknowledged."""

    code: int | None = None
    text: str = ""


@dataclass(frozen=True)
class RecordOutcome:
    status: Status
    reason: str = ""
    message: str = ""

    def as_json(self, index: int, event_id: str) -> dict[str, Any]:
        out: dict[str, Any] = {"index": index, "event_id": event_id, "status": self.status.value}
        if self.reason:
            out |= {"reason": self.reason, "message": self.message}
        return out


def record_outcome(report: Report, transmitted: bool) -> RecordOutcome:
    """``transmitted``: whether the producer put any message into a produce request between
    this record's produce() and its report (when not, a timed-out record was never sent)."""
    if report.code is None:
        return RecordOutcome(Status.PUBLISHED)
    if report.code in TOO_LARGE:
        return RecordOutcome(Status.NOT_PUBLISHED, "record_too_large", report.text)
    if report.code in NEVER_WRITTEN or (report.code == TIMED_OUT and not transmitted):
        return RecordOutcome(Status.NOT_PUBLISHED, "broker_unavailable", report.text)
    return RecordOutcome(Status.UNKNOWN, "unacknowledged",
                         f"{report.text}: the broker may have written it; retrying is safe "
                         f"(the same event id is dropped downstream)")


def answer_status(outcomes: list[RecordOutcome]) -> int:
    statuses = {o.status for o in outcomes}
    if statuses == {Status.PUBLISHED}:
        return 202
    if statuses == {Status.NOT_PUBLISHED}:
        too_large = any(o.reason == "record_too_large" for o in outcomes)
        return 413 if too_large else 503
    return 207


def answer_body(outcomes: list[RecordOutcome], event_ids: list[str]) -> dict[str, Any]:
    status = answer_status(outcomes)
    if status == 202:
        return {"accepted": len(event_ids), "event_ids": event_ids}
    counts = {s.value: sum(o.status is s for o in outcomes) for s in Status}
    first = next(o for o in outcomes if o.status is not Status.PUBLISHED)
    summary = {202: "", 413: "a record is larger than the broker accepts; nothing was published",
               503: f"the broker did not take the records ({first.message}); nothing was "
                    f"published and nothing will be: retry later",
               207: "some records were published, the others were not or may not have been: "
                    "retry those not published (same Idempotency-Key)"}[status]
    return {"error": summary, **counts,
            "records": [o.as_json(i, e) for i, (o, e) in enumerate(zip(outcomes, event_ids, strict=True))]}


# --- transmission evidence from librdkafka's statistics --------------------------------------

def transmitted_messages(stats_json: str) -> int | None:
    """The producer's ``txmsgs``: messages put into produce requests since it started (counted
    when a request is built, before it is sent). None when the document does not say."""
    try:
        value = json.loads(stats_json).get("txmsgs")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) else None


def too_large_indices(sizes: list[int], limit: int, overhead: int) -> list[int]:
    """Indices of records whose key + value + framing exceed the producer's message.max.bytes."""
    return [i for i, size in enumerate(sizes) if size + overhead > limit]
