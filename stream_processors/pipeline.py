"""decode → dedup → clean/validate → route/mask → encode, for one raw message, without Faust.

The Faust agent (stream_processors/app.py) only moves bytes: it hands each raw message to
``Pipeline.process`` and sends what comes back. Data faults become dead-letter messages here;
infrastructure faults (the registry unreachable) raise and stop the worker.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, TypeVar

from govbus import __version__
from govbus.core.avro_reader import CheckedReader
from govbus.core.avro_writer import CheckedWriter, TemplateWriter
from govbus.core.cleaning import CleanPlan, clean_record, compile_clean_plan
from govbus.core.deadletter import Origin, dead_letter_headers, dead_letter_record
from govbus.core.lag import event_age
from govbus.core.logs import dead_letter_line
from govbus.core.metrics import Metrics
from govbus.core.result import Fault
from govbus.core.rule_lists import NO_LISTS, RuleLists
from govbus.core.schemas import DatasetSchema
from govbus.core.serde import Serde
from govbus.core.signing import SigningKey, sign_deliveries
from govbus.core.topics import TopicNames, value_subject
from stream_processors.agreement_book import AgreementBook, agreement_gauges
from stream_processors.clean.dedup import SeenEvents
from stream_processors.metric_batch import BatchedMetrics
from stream_processors.route.logic import (
    Delivery,
    audit_event,
    plan_audit_fields,
    record_audit_fields,
    route,
    subject_pseudonyms,
    untagged_counts,
)

T = TypeVar("T")
log = logging.getLogger(__name__)

COMPONENT = "stream_processors.pipeline"
# The ``stage`` label of the processor's counts (docs/architecture.md#metrics): decoding, dedup,
# cleaning and validation are "clean"; agreements, masking and encoding are "route".
CLEAN, ROUTE = "clean", "route"
ROUTE_FAULTS = frozenset({"mask_failed"})


class OutMessage:
    """One message for the producer: a delivery, an audit event or a dead letter.

    A plain class, not a dataclass: compiled (govbus/core/compiled.py), its ``__init__`` is native,
    while a dataclass's stays Python (~0.7 µs; six of these per input record). Nothing mutates
    one but ``Pipeline.sign``."""

    def __init__(self, topic: str, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]] | None = None,
                 sign_as: tuple[str, int] | None = None) -> None:
        self.topic = topic
        self.key = key
        self.value = value
        self.headers: list[tuple[str, bytes]] = [] if headers is None else headers
        # (agreement id, version) of a delivery still to be signed (``Pipeline.sign``, once a batch)
        self.sign_as = sign_as

    def _fields(self) -> tuple:
        return self.topic, self.key, self.value, self.headers, self.sign_as

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OutMessage) and self._fields() == other._fields()

    def __repr__(self) -> str:
        return "OutMessage(topic={!r}, key={!r}, value={!r}, headers={!r}, sign_as={!r})".format(*self._fields())


@dataclass
class Pipeline:
    serde: Serde
    topics: TopicNames
    schemas: dict[str, DatasetSchema]
    book: AgreementBook
    metrics: Metrics
    dead_letter_schema: dict[str, Any]
    audit_schema: dict[str, Any]
    audit_key: bytes
    seen: SeenEvents
    clean_plans: dict[str, CleanPlan] = field(default_factory=dict)
    id_fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Per-plan constants looked up per delivery: topic, subject, header, metric child.
    # Per topic and plan: constants of the hot path; per (dataset, owner, outcome): the counter.
    _plan_consts: dict[object, Any] = field(default_factory=dict)
    _registering: bool = False  # shared schemas of the current plans not all registered yet
    # Signs every delivery (govbus.core.signing); None only where signing is switched off
    # (GOVBUS_SIGN_DELIVERIES=false, for the benchmark) and in tests of other steps.
    signing_key: SigningKey | None = None
    # The catalogue's rule lists (USCC allow-list), bound into the clean plans.
    rule_lists: RuleLists = NO_LISTS
    # Per-record counts and freshness, added to the Prometheus series by ``flush_metrics``.
    batched: BatchedMetrics = field(default_factory=BatchedMetrics)

    def prepare(self) -> None:
        """Register every subject this pipeline reads or writes; call once at start-up."""
        for dataset, schema in self.schemas.items():
            self.clean_plans[dataset] = compile_clean_plan(schema, self.rule_lists)
            self.id_fields[dataset] = tuple(n for n, t in schema.tags.items() if t.pii == "resident_id")
            self.serde.prepare(value_subject(self.topics.raw(dataset)), schema.schema)
            self.serde.prepare(value_subject(self.topics.dlq(dataset)), self.dead_letter_schema)
        self._audit_topic = self.topics.audit_deliveries
        self._audit_subject = value_subject(self._audit_topic)
        self.serde.prepare(self._audit_subject, self.audit_schema)
        self.reload_agreements()

    def reload_agreements(self) -> bool:
        """Pick up changed agreement files; register the shared schemas of new plans. A
        registration the registry's outage interrupted is finished on the next call (the book
        has the new plans already, so its files look unchanged then)."""
        if not self.book.reload_if_changed() and not self._registering:
            return False
        self._registering = True
        for plan in self.book.all_plans():
            self.serde.prepare(value_subject(self.shared_topic(plan)), plan.shared_schema)
        self._registering = False
        self.refresh_agreement_gauges(datetime.now(timezone.utc))
        return True

    def refresh_agreement_gauges(self, now: datetime) -> None:
        """Agreements in force and seconds to each one's expiry, as of ``now`` (validity ends
        without any file changing: the worker's heartbeat calls this too)."""
        active, expiry = agreement_gauges(self.book.all_plans(), now)
        self.metrics.agreements_active.set(active)
        self.metrics.agreement_expiry.clear()  # an agreement no longer in the folder has no series
        for (agreement, recipient), seconds in expiry.items():
            self.metrics.agreement_expiry.labels(agreement, recipient).set(seconds)

    def shared_topic(self, plan) -> str:  # noqa: ANN001 - AgreementPlan
        return self.topics.shared(plan.recipient_id, plan.dataset)

    def _topic_consts(self, topic: str) -> tuple[str, str]:
        consts = self._plan_consts.get(topic)
        if consts is None:
            consts = self._plan_consts[topic] = (self.topics.dataset_of(topic), value_subject(topic))
        return consts

    def _count(self, stage: str, dataset: str, owner: str, outcome: str) -> None:
        child = self._plan_consts.get((stage, dataset, owner, outcome))
        if child is None:
            child = self._plan_consts[(stage, dataset, owner, outcome)] = self.metrics.records.labels(
                stage, dataset, owner, outcome)
        self.batched.count(child)

    def _consts(self, plan) -> tuple:  # noqa: ANN001 - AgreementPlan
        consts = self._plan_consts.get(id(plan))
        if consts is None or consts[0] is not plan:
            topic, agreement = self.shared_topic(plan), plan.agreement
            consts = self._plan_consts[id(plan)] = (
                plan, topic, self._shared_writer(topic),
                TemplateWriter(self.serde, self._audit_subject, plan_audit_fields(plan, topic, COMPONENT, __version__)),
                [("govbus.agreement", f"{agreement.id}@{agreement.version}".encode())],
                self.metrics.deliveries.labels(plan.recipient_id, plan.dataset, agreement.id),
                self.metrics.freshness.labels("delivered", plan.dataset, plan.recipient_id),
                (agreement.id, agreement.version))
        return consts

    def _shared_writer(self, topic: str) -> CheckedWriter:
        """One compiled writer per shared topic, kept across agreement reloads (its cross-check
        is done once per run; a changed schema gets a new subject id, so a new writer)."""
        subject = value_subject(topic)
        key = ("writer", subject, self.serde.schema_id(subject))
        writer = self._plan_consts.get(key)
        if writer is None:
            writer = self._plan_consts[key] = CheckedWriter.of(self.serde, subject)
        return writer

    def _reader(self, subject: str) -> CheckedReader:
        """``Serde.decode`` of the raw subject through the compiled reader where it can (its
        cross-check is done once per run); undecodable UTF-8 is read as lone surrogates."""
        reader = self._plan_consts.get(("reader", subject))
        if reader is None:
            reader = self._plan_consts[("reader", subject)] = CheckedReader(self.serde, subject, "surrogateescape")
        return reader

    def output_topics(self) -> list[str]:
        names = [self.topics.dlq(d) for d in self.schemas] + [self.topics.audit_deliveries]
        return names + [self.shared_topic(p) for p in self.book.all_plans()]

    def process(self, origin: Origin, now: datetime | None = None) -> list[OutMessage]:
        now = now or datetime.now(timezone.utc)
        dataset, subject = self._topic_consts(origin.topic)
        # Undecodable UTF-8 is read as lone surrogates: the cleaner then names the field.
        decoded = self._reader(subject).decode(origin.value)
        if isinstance(decoded, Fault):
            return [self._dead_letter(decoded, dataset, origin, None)]
        record = decoded.value
        event_id = str(record.get("envelope", {}).get("event_id", "")) or None
        owner, seconds = _owner(dataset, record), now.timestamp()
        if event_id and self.seen.seen_recently(event_id, seconds):
            self._count(CLEAN, dataset, owner, "duplicate")
            return []
        cleaned = _guarded(clean_record, self.clean_plans[dataset], record)
        if isinstance(cleaned, Fault):
            return [self._dead_letter(cleaned, dataset, origin, event_id, record)]
        outs = self._deliver(dataset, cleaned.value, origin, now, event_id)
        if isinstance(outs, Fault):
            return [self._dead_letter(outs, dataset, origin, event_id, record)]
        if event_id:
            self.seen.remember(event_id, seconds)
        outcome = "delivered" if outs else "no_agreement"
        self._count(ROUTE, dataset, owner, outcome)
        return outs

    def _deliver(self, dataset: str, record: dict[str, Any], origin: Origin, now: datetime,
                 event_id: str | None) -> list[OutMessage] | Fault:
        try:
            deliveries = route(record, self.book.plans.get(dataset, []), now, COMPONENT, __version__)
            if not deliveries:
                return []
            for (name, kind), count in untagged_counts(deliveries).items():
                self.metrics.pii_untagged.labels(dataset, name, kind).inc(count)
            # The persons in the record are the same for every delivery: pseudonymise them once.
            subjects = subject_pseudonyms(record, self.id_fields[dataset], self.audit_key)
            age = event_age((record.get("envelope") or {}).get("event_time"), now)
            # ``process`` read the id already (cleaning leaves it as it is): a UUID's str() costs a µs.
            event_id = event_id or str(record["envelope"]["event_id"])
            return self._encode(deliveries, record, event_id, subjects, origin, now, age)
        except (ValueError, TypeError, KeyError) as exc:  # an operator or the encoder refused a value
            return Fault("mask_failed", "route.mask", f"masking/encoding a delivery failed: {exc}")

    def _encode(self, deliveries: list[Delivery], record: dict[str, Any], event_id: str, subjects: list[str],
                origin: Origin, now: datetime, age: float | None) -> list[OutMessage]:
        """Each delivery's message, then its audit event's (one loop: three deliveries a record)."""
        audit_key, signing = event_id.encode(), self.signing_key is not None
        outs: list[OutMessage] = []
        for delivery in deliveries:
            plan, topic, writer, audit_writer, headers, delivered, freshness, signed_as = self._consts(delivery.plan)
            # The audit template writes the plan's fields once; the whole event (the reference)
            # is built only for the cross-checked first events and any the template declines.
            whole = functools.partial(audit_event, delivery, record, topic, subjects, now, COMPONENT, __version__)
            audit = audit_writer.framed(record_audit_fields(plan, event_id, subjects, now), whole)
            self.batched.count(delivered)
            if age is not None:
                self.batched.observe(freshness, age)
            outs += (OutMessage(topic, origin.key, writer.framed(delivery.record), headers,
                                signed_as if signing else None),
                     OutMessage(self._audit_topic, audit_key, audit))
        return outs

    def sign(self, outs: list[OutMessage]) -> list[OutMessage]:
        """``outs`` with every delivery signed: one signature per topic for the whole list (a
        batch's outputs), so that a recipient can tell its records came from the bus."""
        pending = [out for out in outs if out.sign_as is not None]
        if self.signing_key is None or not pending:
            return outs
        items = [(out.topic, out.key, out.value, *out.sign_as) for out in pending]  # type: ignore[misc]
        for out, signature in zip(pending, sign_deliveries(self.signing_key, items), strict=True):
            # A new header list: the plan's own is shared by its deliveries. Signed: not again.
            out.headers, out.sign_as = out.headers + signature, None
        return outs

    def flush_metrics(self) -> None:
        """Add the counts and observations since the last call to their Prometheus series (the
        agent calls this after each batch; stream_processors/metric_batch.py says why)."""
        self.batched.flush()

    def _dead_letter(self, fault: Fault, dataset: str, origin: Origin, event_id: str | None,
                     record: dict[str, Any] | None = None) -> OutMessage:
        owner = _owner(dataset, record)
        letter = dead_letter_record(fault, dataset=dataset, owner=owner, origin=origin,
                                    processor=COMPONENT, version=__version__, event_id=event_id,
                                    stage="process")
        topic = self.topics.dlq(dataset)
        stage = ROUTE if fault.reason in ROUTE_FAULTS else CLEAN
        self._count(stage, dataset, owner, "dead_lettered")
        self.metrics.dlq_records.labels(stage, dataset, owner, fault.reason).inc()
        dead_letter_line(log, fault, dataset, owner, origin.topic, origin.partition, origin.offset, event_id)
        return OutMessage(topic, origin.key, self.serde.encode(value_subject(topic), letter),
                          dead_letter_headers(fault, dataset, owner))


def _guarded(step: Callable[..., T], *args: Any) -> T | Fault:
    """Run a pure step; a bug it trips on one record becomes that record's dead letter
    (reason ``processor_error``) instead of an exception leaving the agent's loop."""
    try:
        return step(*args)
    except Exception as exc:  # noqa: BLE001 - pure steps do no I/O: anything here is about this record
        return Fault("processor_error", f"bug.{step.__name__}", f"{type(exc).__name__}: {exc}")


def _owner(dataset: str, record: dict[str, Any] | None) -> str:
    """The owning department: the record's own claim when it could be read, else the dataset's
    prefix (hotline.work_order is the hotline centre's)."""
    envelope = (record or {}).get("envelope") or {}
    return envelope.get("source_department") or dataset.split(".")[0]
