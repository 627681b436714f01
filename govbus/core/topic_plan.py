"""Every topic the bus uses, with its partitions and configuration, and what a broker lacks.

``planned_topics`` lists them from the settings, the catalogue and the agreements (pure);
``diff_topics`` compares that plan with what a broker holds (pure) and says what to do: create,
grow partitions, alter configuration; a plan with fewer partitions than the broker has is
refused (Kafka cannot shrink a topic), and a different replication factor is reported, not
changed (that is a partition reassignment). ``govbus topics plan|apply`` and every role that
creates a missing topic use them, so a topic gets the catalogue's partition count wherever it is
first created (docs/architecture.md#topics-and-partitions).

Defaults (documented in catalogue/README.md):
- raw and shared topics of a dataset: the entry's ``partitions`` (6) and ``retention`` (7d);
- dlq topics: one partition (`govbus dlq show|redrive` name a letter by its offset alone),
  the entry's ``dlq_retention`` (30d);
- audit topics: one partition (one writer of the hash chain, one order), kept forever;
  audit.checkpoints is compacted (the latest signed checkpoint per chain);
- emergency.incidents: 3 partitions (keyed by incident id; every reader reads all), forever;
- bus.keys: one partition, compacted (the latest record of each key id: a public key and whether
  it is retired; never deleted, so that old deliveries still verify).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from govbus.core.topics import TopicNames

if TYPE_CHECKING:
    from govbus.core.agreements import Agreement
    from govbus.core.catalogue import Catalogue, CatalogueEntry
    from govbus.core.settings import GovbusSettings

DEFAULT_PARTITIONS = 6          # raw and shared topics of a dataset
DEFAULT_RETENTION = "7d"        # raw and shared topics of a dataset
DLQ_PARTITIONS = 1              # dead letters are named by offset alone (`govbus dlq show`)
DEFAULT_DLQ_RETENTION = "30d"   # time for a steward to look and re-drive
AUDIT_PARTITIONS = 1            # the hash chain needs one total order, one writer
INCIDENT_PARTITIONS = 3
FOREVER = "forever"
BROKER_DEFAULT_REPLICATION = -1

RETENTION_PATTERN = r"^(forever|infinite|[1-9][0-9]*(ms|s|m|h|d|w))$"
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_DURATION = re.compile(r"^([1-9][0-9]*)(ms|s|m|h|d|w)$")

RETENTION_MS = "retention.ms"
CLEANUP_POLICY = "cleanup.policy"
MIN_INSYNC_REPLICAS = "min.insync.replicas"
GROW_WARNING = ("growing a topic re-maps keys to partitions: records of one key written before and "
                "after may sit in different partitions, so per-key order holds only from then on; "
                "grow a drained topic (publishers paused, consumer lag 0)")


def retention_ms(retention: str) -> int:
    """``7d``, ``12h``, ``30m``, ``90s``, ``500ms``, ``2w`` in milliseconds; ``forever`` (or
    ``infinite``) is -1, Kafka's "never delete"."""
    if retention in (FOREVER, "infinite"):
        return -1
    match = _DURATION.match(retention)
    if match is None:
        raise ValueError(f"{retention!r} is not a retention: <number><ms|s|m|h|d|w> or forever")
    return int(match.group(1)) * _UNIT_MS[match.group(2)]


class TopicKind(StrEnum):
    raw = "raw"
    shared = "shared"
    dlq = "dlq"
    audit = "audit"
    incidents = "incidents"
    keys = "keys"
    quality = "quality"


@dataclass(frozen=True)
class TopicSpec:
    """One topic as the bus wants it. ``replication_factor`` -1: the broker's default.
    ``config`` holds retention.ms, cleanup.policy and min.insync.replicas when set."""

    name: str
    partitions: int
    replication_factor: int
    config: dict[str, str]
    kind: str = ""  # a TopicKind: what the topic is for (the plan's table, the roles' filters)


@dataclass(frozen=True)
class _Sizing:
    partitions: int
    retention: str


def _spec(settings: GovbusSettings, name: str, kind: TopicKind, sizing: _Sizing) -> TopicSpec:
    config = {CLEANUP_POLICY: "delete", RETENTION_MS: str(retention_ms(sizing.retention))}
    if settings.min_insync_replicas is not None:
        config[MIN_INSYNC_REPLICAS] = str(settings.min_insync_replicas)
    return TopicSpec(name, sizing.partitions, settings.replication_factor, config, kind.value)


def _compacted(settings: GovbusSettings, name: str, kind: TopicKind) -> TopicSpec:
    """A one-partition compacted topic: the latest value of each key, kept forever."""
    spec = _spec(settings, name, kind, _Sizing(1, FOREVER))
    return TopicSpec(spec.name, spec.partitions, spec.replication_factor,
                     spec.config | {CLEANUP_POLICY: "compact"}, spec.kind)


def checkpoints_spec(settings: GovbusSettings, name: str) -> TopicSpec:
    """``audit.checkpoints``: compacted (the latest signed checkpoint per chain is kept forever)."""
    spec = _spec(settings, name, TopicKind.audit, _Sizing(AUDIT_PARTITIONS, FOREVER))
    return TopicSpec(spec.name, spec.partitions, spec.replication_factor,
                     spec.config | {CLEANUP_POLICY: "compact"}, spec.kind)


def _dataset_sizing(entry: CatalogueEntry | None) -> _Sizing:
    if entry is None:
        return _Sizing(DEFAULT_PARTITIONS, DEFAULT_RETENTION)
    return _Sizing(entry.partitions, entry.retention)


def _dlq_sizing(entry: CatalogueEntry | None) -> _Sizing:
    return _Sizing(DLQ_PARTITIONS, entry.dlq_retention if entry is not None else DEFAULT_DLQ_RETENTION)


def bus_topics(settings: GovbusSettings) -> list[TopicSpec]:
    """The topics that belong to no dataset: the audit trails, the incidents and the keys."""
    names = TopicNames(settings.topic_prefix)
    audit = _Sizing(AUDIT_PARTITIONS, FOREVER)
    return [_spec(settings, names.audit_deliveries, TopicKind.audit, audit),
            _spec(settings, names.audit_redrives, TopicKind.audit, audit),
            _spec(settings, names.audit_acl_changes, TopicKind.audit, audit),
            checkpoints_spec(settings, names.audit_checkpoints),
            _spec(settings, names.emergency_incidents, TopicKind.incidents, _Sizing(INCIDENT_PARTITIONS, FOREVER)),
            _compacted(settings, names.bus_keys, TopicKind.keys)]


def action_topic(settings: GovbusSettings, identity: str) -> TopicSpec:
    """An identity's action topic (``audit.actions.<identity>``): an audit topic, one partition,
    kept forever; created by its identity at its first action (govbus.core.actions)."""
    name = TopicNames(settings.topic_prefix).audit_actions(identity)
    return _spec(settings, name, TopicKind.audit, _Sizing(AUDIT_PARTITIONS, FOREVER))


def quality_topics(settings: GovbusSettings, departments: Iterable[str]) -> list[TopicSpec]:
    """``quality.scorecards`` and each providing department's ``feedback.<department>``:
    compacted by scorecard id (a recomputed scorecard replaces its earlier copy), kept forever
    (a few hundred small records a day: stream_processors/quality)."""
    names = TopicNames(settings.topic_prefix)
    return [_compacted(settings, name, TopicKind.quality)
            for name in [names.quality_scorecards, *(names.feedback(d) for d in sorted(set(departments)))]]


def dataset_topics(settings: GovbusSettings, dataset: str, entry: CatalogueEntry | None) -> list[TopicSpec]:
    """raw and dlq of ``dataset``; its catalogue ``entry`` sizes them (None: the defaults)."""
    names = TopicNames(settings.topic_prefix)
    return [_spec(settings, names.raw(dataset), TopicKind.raw, _dataset_sizing(entry)),
            _spec(settings, names.dlq(dataset), TopicKind.dlq, _dlq_sizing(entry))]


def shared_topic(settings: GovbusSettings, recipient: str, dataset: str, entry: CatalogueEntry | None) -> TopicSpec:
    """A recipient's topic of ``dataset``: sized like the dataset's raw topic (same keys, same flow)."""
    name = TopicNames(settings.topic_prefix).shared(recipient, dataset)
    return _spec(settings, name, TopicKind.shared, _dataset_sizing(entry))


def planned_topics(settings: GovbusSettings, catalogue: Catalogue,
                   agreements: Iterable[Agreement]) -> list[TopicSpec]:
    """Every topic the bus uses, sorted by name: raw and dlq per catalogue dataset, shared per
    agreement (recipient and dataset; whatever its status, as the processor keeps writing
    topics it created), the audit topics and the incidents. The detector's own internal topics
    (observations, changelogs) are its business (stream_processors/detect/main.py)."""
    specs = {s.name: s for s in bus_topics(settings)}
    departments = (e.provider.department for e in catalogue.entries.values())
    specs |= {s.name: s for s in quality_topics(settings, departments)}
    for dataset, entry in catalogue.entries.items():
        specs |= {s.name: s for s in dataset_topics(settings, dataset, entry)}
    for agreement in agreements:
        known = catalogue.entries.get(agreement.dataset)
        if known is not None:  # an agreement on an unknown dataset is refused, never routed
            spec = shared_topic(settings, agreement.recipient_id, agreement.dataset, known)
            specs[spec.name] = spec
    return [specs[name] for name in sorted(specs)]


def spec_of(settings: GovbusSettings, plan: Iterable[TopicSpec], name: str) -> TopicSpec:
    """``name``'s spec in ``plan``; one the plan lacks (a schema without a catalogue entry, an
    agreement the catalogue does not know) gets the defaults of its kind."""
    for spec in plan:
        if spec.name == name:
            return spec
    names = TopicNames(settings.topic_prefix)
    parts = name[len(settings.topic_prefix) + 1:].split(".") if settings.topic_prefix else name.split(".")
    if parts[0] == "dlq":
        return _spec(settings, name, TopicKind.dlq, _dlq_sizing(None))
    if parts[0] in ("raw", "shared"):
        return _spec(settings, name, TopicKind(parts[0]), _dataset_sizing(None))
    if name == names.emergency_incidents:
        return _spec(settings, name, TopicKind.incidents, _Sizing(INCIDENT_PARTITIONS, FOREVER))
    if name == names.audit_checkpoints:
        return checkpoints_spec(settings, name)
    if parts[0] == "audit":
        return _spec(settings, name, TopicKind.audit, _Sizing(AUDIT_PARTITIONS, FOREVER))
    if name == names.bus_keys:
        return _compacted(settings, name, TopicKind.keys)
    if parts[0] in ("quality", "feedback"):
        return _compacted(settings, name, TopicKind.quality)
    raise ValueError(f"{name} is not a topic of the bus's plan")


def specs_of(settings: GovbusSettings, plan: Iterable[TopicSpec], names: Iterable[str]) -> list[TopicSpec]:
    plan = list(plan)
    return [spec_of(settings, plan, name) for name in names]


# --- plan against broker ---------------------------------------------------------------------

@dataclass(frozen=True)
class ExistingTopic:
    """What the broker holds: partitions, replicas of partition 0, and the topic's config
    values (only the keys a plan sets are compared)."""

    partitions: int
    replication_factor: int
    config: dict[str, str] = field(default_factory=dict)


class ActionKind(StrEnum):
    create = "create"
    grow = "grow"
    alter = "alter config"
    refuse_shrink = "would shrink: refused, left as is"
    replication = "replication differs: left as is"


@dataclass(frozen=True)
class TopicAction:
    kind: ActionKind
    spec: TopicSpec
    detail: str
    changes: dict[str, str] = field(default_factory=dict)  # alter: key → wanted value

    @property
    def enacted(self) -> bool:
        """Whether ``apply`` changes the broker for it (refusals and notes are only printed)."""
        return self.kind in (ActionKind.create, ActionKind.grow, ActionKind.alter)


def diff_topics(plan: Iterable[TopicSpec], existing: Mapping[str, ExistingTopic]) -> list[TopicAction]:
    """What makes the broker match ``plan``, topic by topic in plan order; empty when it does.
    Topics the broker holds beyond the plan are not this function's business (never deleted)."""
    actions: list[TopicAction] = []
    for spec in plan:
        found = existing.get(spec.name)
        if found is None:
            actions.append(TopicAction(ActionKind.create, spec, _created(spec)))
            continue
        actions += _partition_actions(spec, found) + _config_actions(spec, found)
    return actions


def _created(spec: TopicSpec) -> str:
    rf = "broker default" if spec.replication_factor == BROKER_DEFAULT_REPLICATION else spec.replication_factor
    config = ", ".join(f"{k}={v}" for k, v in sorted(spec.config.items()))
    return f"{spec.partitions} partitions, replication {rf}, {config}"


def _partition_actions(spec: TopicSpec, found: ExistingTopic) -> list[TopicAction]:
    actions = []
    if spec.partitions > found.partitions:
        actions.append(TopicAction(ActionKind.grow, spec, f"{found.partitions} → {spec.partitions} partitions "
                                                          "(re-maps keys: see the warning)"))
    elif spec.partitions < found.partitions:
        actions.append(TopicAction(ActionKind.refuse_shrink, spec, f"has {found.partitions} partitions, plan says "
                                   f"{spec.partitions}: Kafka cannot remove partitions (recreate the topic "
                                   "or raise the plan)"))
    if spec.replication_factor not in (BROKER_DEFAULT_REPLICATION, found.replication_factor):
        actions.append(TopicAction(ActionKind.replication, spec, f"has {found.replication_factor} replicas, plan "
                                   f"says {spec.replication_factor}: reassign its partitions "
                                   "(kafka-reassign-partitions) to change it"))
    return actions


def _config_actions(spec: TopicSpec, found: ExistingTopic) -> list[TopicAction]:
    changes = {k: v for k, v in sorted(spec.config.items()) if found.config.get(k) != v}
    if not changes:
        return []
    detail = ", ".join(f"{k}: {found.config.get(k, '(unset)')} → {v}" for k, v in changes.items())
    return [TopicAction(ActionKind.alter, spec, detail, changes)]


def pending(actions: Iterable[TopicAction]) -> list[TopicAction]:
    """The actions ``apply`` would enact."""
    return [a for a in actions if a.enacted]
