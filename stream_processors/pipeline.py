"""decode → clean/validate → route/mask → encode, for one raw message, without Faust.

The Faust agent (stream_processors/app.py) only moves bytes: it hands each raw message to
``Pipeline.process`` and sends what comes back. Data faults become dead-letter messages here;
infrastructure faults (the registry unreachable) raise and stop the worker.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from govbus import __version__
from govbus.core.deadletter import Origin, dead_letter_headers, dead_letter_record
from govbus.core.metrics import Metrics
from govbus.core.result import Fault, Ok
from govbus.core.schemas import DatasetSchema
from govbus.core.serde import Serde
from govbus.core.topics import TopicNames, value_subject
from stream_processors.clean.logic import CleanPlan, clean_record, compile_clean_plan
from stream_processors.route.logic import MaskPlan, apply_plan, lineage_hop

COMPONENT = "stream_processors.pipeline"


@dataclass(frozen=True)
class OutMessage:
    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass
class Pipeline:
    serde: Serde
    topics: TopicNames
    schemas: dict[str, DatasetSchema]
    plans: dict[str, list[MaskPlan]]
    metrics: Metrics
    dead_letter_schema: dict[str, Any]
    clean_plans: dict[str, CleanPlan] = field(default_factory=dict)

    def prepare(self) -> None:
        """Register every subject this pipeline reads or writes; call once at start-up."""
        for dataset, schema in self.schemas.items():
            self.clean_plans[dataset] = compile_clean_plan(schema)
            self.serde.prepare(value_subject(self.topics.raw(dataset)), schema.schema)
            self.serde.prepare(value_subject(self.topics.dlq(dataset)), self.dead_letter_schema)
            for plan in self.plans.get(dataset, []):
                self.serde.prepare(value_subject(self.topics.shared(plan.recipient, dataset)), schema.schema)

    def output_topics(self) -> list[str]:
        names = [self.topics.dlq(d) for d in self.schemas]
        names += [self.topics.shared(p.recipient, d) for d, plans in self.plans.items() for p in plans]
        return names

    def process(self, origin: Origin) -> list[OutMessage]:
        dataset = self.topics.dataset_of(origin.topic)
        decoded = self.serde.decode(origin.value, value_subject(origin.topic))
        if isinstance(decoded, Fault):
            return [self._dead_letter(decoded, dataset, origin, None)]
        record = decoded.value
        event_id = str(record.get("envelope", {}).get("event_id", "")) or None
        cleaned = clean_record(self.clean_plans[dataset], record)
        if isinstance(cleaned, Fault):
            return [self._dead_letter(cleaned, dataset, origin, event_id, record)]
        routed = self._route(dataset, cleaned.value, origin)
        if isinstance(routed, Fault):
            return [self._dead_letter(routed, dataset, origin, event_id, record)]
        self.metrics.records.labels("process", dataset, _owner(dataset, record), "delivered").inc()
        return routed.value

    def _route(self, dataset: str, record: dict[str, Any], origin: Origin) -> Ok[list[OutMessage]] | Fault:
        now = datetime.now(timezone.utc)
        outs = []
        for plan in self.plans.get(dataset, []):
            topic = self.topics.shared(plan.recipient, dataset)
            try:
                masked = apply_plan(plan, record, lineage_hop("route", COMPONENT, __version__, plan, now))
                value = self.serde.encode(value_subject(topic), masked)
            except (ValueError, TypeError, KeyError) as exc:  # a masking operator refused the value
                return Fault("mask_failed", f"mask.{plan.recipient}", f"masking for {plan.recipient} failed: {exc}")
            outs.append(OutMessage(topic, origin.key, value))
            self.metrics.deliveries.labels(plan.recipient, dataset, plan.agreement_id or "default").inc()
        return Ok(outs)

    def _dead_letter(self, fault: Fault, dataset: str, origin: Origin, event_id: str | None,
                     record: dict[str, Any] | None = None) -> OutMessage:
        owner = _owner(dataset, record)
        letter = dead_letter_record(fault, dataset=dataset, owner=owner, origin=origin,
                                    processor=COMPONENT, version=__version__, event_id=event_id)
        topic = self.topics.dlq(dataset)
        self.metrics.records.labels("process", dataset, owner, "dead_lettered").inc()
        self.metrics.dlq_records.labels(dataset, fault.reason).inc()
        return OutMessage(topic, origin.key, self.serde.encode(value_subject(topic), letter),
                          dead_letter_headers(fault, dataset, owner))


def _owner(dataset: str, record: dict[str, Any] | None) -> str:
    """The owning department: the record's own claim when it could be read, else the dataset's
    prefix (hotline.work_order is the hotline centre's)."""
    envelope = (record or {}).get("envelope") or {}
    return envelope.get("source_department") or dataset.split(".")[0]
