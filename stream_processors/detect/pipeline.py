"""Bytes in, bytes out, for both stages of the detector, without Faust (like pipeline.py).

Stage 1 (``observe``): a raw record → decoded → cleaned with the processor's own clean plan →
observations, keyed ``rule|key`` for the internal topic. Records the cleaner refuses are skipped
and counted: the processor dead-letters them, and an incident must rest on records some
department vouches for.
Stage 2 (``handle``): an internal message → the detector → Avro ``emergency.incident`` versions,
keyed by incident id.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Iterable

from govbus.core.cleaning import CleanPlan, clean_record, compile_clean_plan
from govbus.core.metrics import Metrics
from govbus.core.result import Fault
from govbus.core.rule_lists import NO_LISTS, RuleLists
from govbus.core.schemas import DatasetSchema
from govbus.core.serde import Serde
from govbus.core.topics import TopicNames, value_subject
from stream_processors.detect.extract import Extractor
from stream_processors.detect.lifecycle import to_avro
from stream_processors.detect.logic import Detector
from stream_processors.detect.messages import decode, encode, partition_key
from stream_processors.detect.metrics import DetectMetrics

STAGE = "detect"
log = logging.getLogger(__name__)


@dataclass
class DetectPipeline:
    serde: Serde
    topics: TopicNames
    schemas: dict[str, DatasetSchema]
    extractor: Extractor
    detector: Detector
    metrics: Metrics
    detect_metrics: DetectMetrics
    incident_schema: dict[str, Any]
    # Incident id → newest version on the incidents topic when the worker started.
    published: dict[str, int] = field(default_factory=dict)
    clean_plans: dict[str, CleanPlan] = field(default_factory=dict)
    # The catalogue's rule lists (allow-lists): the detector cleans as the processor does.
    rule_lists: RuleLists = NO_LISTS
    _reconciled: set[str] = field(default_factory=set)

    def prepare(self) -> None:
        """Register every subject read or written; call once at start-up (registry calls block)."""
        for dataset in self.extractor.datasets():
            schema = self.schemas[dataset]
            self.clean_plans[dataset] = compile_clean_plan(schema, self.rule_lists)
            self.serde.prepare(value_subject(self.topics.raw(dataset)), schema.schema)
        self.serde.prepare(value_subject(self.topics.emergency_incidents), self.incident_schema)

    def raw_topics(self) -> list[str]:
        return [self.topics.raw(d) for d in self.extractor.datasets()]

    def observe(self, topic: str, value: bytes | None) -> list[tuple[bytes, bytes]]:
        """(key, message) pairs for the observations topic."""
        dataset = self.topics.dataset_of(topic)
        decoded = self.serde.decode(value, value_subject(topic))
        if isinstance(decoded, Fault):
            self._count(dataset, "", "undecodable")
            return []
        owner = str((decoded.value.get("envelope") or {}).get("source_department") or "")
        record = self._clean(dataset, owner, decoded.value)
        if record is None:
            return []
        out = []
        for rule, observations, outcome in self.extractor.extract(dataset, record):
            self.detect_metrics.observations.labels(rule.id, outcome).inc()
            out += [(partition_key(o.rule_id, o.key), encode(o)) for o in observations]
        self._count(dataset, owner, "observed" if out else "no_rule_matched")
        return out

    def handle(self, value: bytes | None, partition: int, now_ms: int) -> list[tuple[bytes, bytes]]:
        """(incident id, Avro value) pairs for the incidents topic."""
        message = decode(value)
        if message is None:
            self.detect_metrics.bad_messages.inc()
            return []
        scope = str(partition)
        out = []
        if scope not in self._reconciled:  # first message of this partition since start-up
            self._reconciled.add(scope)
            out += self.detector.unpublished(scope, self.published)
        out += self.detector.handle(message, scope, now_ms)
        for incident in out:  # what this worker sends, it need not re-send when a partition returns
            self.published[incident["incident_id"]] = incident["version"]
        subject = value_subject(self.topics.emergency_incidents)
        return [(i["incident_id"].encode(), self.serde.encode(subject, to_avro(i))) for i in out]

    def assigned(self, partitions: Iterable[int]) -> None:
        """A new assignment of observations partitions. A partition that comes back after another
        worker held it is reconciled again at its first message: that worker may have died
        between its changelog write and its send. Partitions held throughout are not (a re-send
        after every rebalance would duplicate versions for nothing)."""
        self._reconciled &= {str(p) for p in partitions}

    def _clean(self, dataset: str, owner: str, record: dict[str, Any]) -> dict[str, Any] | None:
        try:
            cleaned = clean_record(self.clean_plans[dataset], record)
        except (TypeError, ValueError, AttributeError):
            # A fault of the cleaner itself, not of the record (it raised instead of returning a
            # Fault): detect on the decoded record rather than miss an emergency; counted.
            log.exception("cleaning a %s record raised; detecting on it uncleaned", dataset)
            self._count(dataset, owner, "clean_error")
            return record
        if isinstance(cleaned, Fault):
            self._count(dataset, owner, "invalid")
            return None
        return cleaned.value

    def _count(self, dataset: str, department: str, outcome: str) -> None:
        self.metrics.records.labels(STAGE, dataset, department, outcome).inc()
