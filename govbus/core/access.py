"""The broker ACLs the catalogue and the agreements in force require: one pure compiler.

Least privilege, deny by default (docs/security.md#acls-compiled-from-the-agreements): each bus
identity (govbus.core.identities) gets exactly what its role does on the bus, nothing else, and
a recipient reads a shared topic only while an agreement for it is in force. The same compiled
set drives ``govbus acl plan | apply`` and the tests' expectations.

Every rule comes with the reason it exists (``compile_acls``), so that the audit trail of an ACL
change says why. Families are PREFIXED (a new dataset needs no new ACL for the processor);
what one agreement or one catalogue entry grants is LITERAL, so that it goes when they go.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Iterable

from govbus.core import identities
from govbus.core.agreements import Agreement
from govbus.core.catalogue import Catalogue
from govbus.core.identities import Service
from govbus.core.topics import TopicNames

# Apicurio Registry 3.3 (kafkasql storage) defaults: its journal, its snapshots, its events
# topic, and a consumer group "apicurio-<random uuid>" per start (KafkaSqlConfiguration).
# They are Apicurio's names, not govbus topics: the bus's topic prefix does not apply.
REGISTRY_TOPICS = ("kafkasql-journal", "kafkasql-snapshots", "registry-events")
REGISTRY_GROUP_PREFIX = "apicurio-"
# Readers that assign partitions by hand with a group id of their own per process
# (consumers/feed/consumer.py, stream_processors/detect/feed.py): librdkafka still looks up
# that group's coordinator, which needs DESCRIBE (READ implies it) on the group.
FEED_GROUP_PREFIX = "govbus-feed-"
INCIDENT_READER_GROUP_PREFIX = "govbus-incident-reader-"


class Resource(StrEnum):
    TOPIC = "TOPIC"
    GROUP = "GROUP"
    CLUSTER = "CLUSTER"
    TRANSACTIONAL_ID = "TRANSACTIONAL_ID"


class Pattern(StrEnum):
    LITERAL = "LITERAL"
    PREFIXED = "PREFIXED"


class Operation(StrEnum):
    READ = "READ"
    WRITE = "WRITE"
    CREATE = "CREATE"
    DELETE = "DELETE"
    ALTER = "ALTER"
    DESCRIBE = "DESCRIBE"
    DESCRIBE_CONFIGS = "DESCRIBE_CONFIGS"
    ALTER_CONFIGS = "ALTER_CONFIGS"
    CLUSTER_ACTION = "CLUSTER_ACTION"
    IDEMPOTENT_WRITE = "IDEMPOTENT_WRITE"
    ALL = "ALL"


@dataclass(frozen=True, order=True)
class AclRule:
    """One ALLOW ACL for a bus identity, from any host. ``principal`` is the identity's name
    (``dept.hotline``); on the broker it is ``User:dept.hotline``."""

    principal: str
    resource: Resource
    name: str
    pattern: Pattern
    operation: Operation
    permission: str = "ALLOW"

    def __str__(self) -> str:
        return f"User:{self.principal} {self.operation} {self.resource} {self.name} {self.pattern}"


@dataclass(frozen=True)
class RoleGroups:
    """The consumer groups (Faust app ids) the roles run with, as the settings make them:
    ``acl_cmd.role_groups`` builds it from ``processor_group``, ``sink_group``, the audit sink's
    group and the detector's app id (which carries the topic prefix)."""

    processor: str
    detector: str
    sink: str
    audit: str
    quality: str = "govbus-quality"  # stream_processors/quality (settings.quality_group)


def _rules(principal: str, resource: Resource, name: str, pattern: Pattern,
           operations: Iterable[Operation], reason: str) -> dict[AclRule, str]:
    return {AclRule(principal, resource, name, pattern, op): reason for op in operations}


R, W, C, D = Operation.READ, Operation.WRITE, Operation.CREATE, Operation.DESCRIBE
TOPIC, GROUP = Resource.TOPIC, Resource.GROUP
LIT, PRE = Pattern.LITERAL, Pattern.PREFIXED


def family(topics: TopicNames, name: str) -> str:
    """The PREFIXED name of a topic family (``raw.``, ``shared.``), topic prefix included."""
    return f"{topics.prefix}.{name}." if topics.prefix else f"{name}."


def adapter_acls(catalogue: Catalogue, topics: TopicNames) -> dict[AclRule, str]:
    """A department's adapter writes the raw topics of the datasets it provides, dead-letters
    the rows it cannot turn into records to their dlq topics (producers/sdk/publisher.py), and
    reads those dlq topics back (`govbus dlq`) with groups under ``dept.<department>.``."""
    found: dict[AclRule, str] = {}
    for dataset, entry in sorted(catalogue.entries.items()):
        who = identities.adapter(entry.provider.department)
        why = f"catalogue: {entry.provider.department} provides {dataset}"
        found |= _rules(who, TOPIC, topics.raw(dataset), LIT, (W, D), why)
        found |= _rules(who, TOPIC, topics.dlq(dataset), LIT, (R, W, D), why)
        found |= _rules(who, GROUP, f"{who}.", PRE, (R,), f"{why}: its own consumer groups")
    return found


def recipient_acls(agreements: Iterable[Agreement], topics: TopicNames, now: datetime) -> dict[AclRule, str]:
    """A recipient reads ``shared.<recipient>.<dataset>`` while an agreement for it is in force,
    with consumer groups under ``recv.<recipient>.``; nothing once none is."""
    found: dict[AclRule, str] = {}
    for agreement in sorted(agreements, key=lambda a: a.id):
        if not agreement.in_force(now):
            continue
        who = identities.recipient(agreement.recipient_id)
        why = (f"agreement {agreement.id} v{agreement.version} in force until "
               f"{agreement.valid_to.isoformat()}")
        topic = topics.shared(agreement.recipient_id, agreement.dataset)
        found |= _rules(who, TOPIC, topic, LIT, (R, D), why)
        found |= _rules(who, GROUP, f"{who}.", PRE, (R,), f"{why}: its own consumer groups")
    return found


def feed_record_acls(agreements: Iterable[Agreement], topics: TopicNames, now: datetime,
                     recipients: Iterable[str]) -> dict[AclRule, str]:
    """The feed reads what was shared with the emergency-management ``recipients`` (the incident
    view's triggering records, consumers/feed/records.py), literally per agreement in force, so
    that it sees them masked as the recipient does and loses them when the agreement ends."""
    wanted = set(recipients)
    found: dict[AclRule, str] = {}
    for agreement in sorted(agreements, key=lambda a: a.id):
        if agreement.in_force(now) and agreement.recipient_id in wanted:
            found |= _rules(Service.FEED.value, TOPIC, topics.shared(agreement.recipient_id, agreement.dataset), LIT,
                            (R, D), f"feed: triggering records under agreement {agreement.id} v{agreement.version}")
    return found


def processor_acls(topics: TopicNames, groups: RoleGroups) -> dict[AclRule, str]:
    """The processor reads every raw topic and writes every shared and dlq topic (families, so a
    new dataset or agreement needs no new ACL) and the delivery audit (literal: it must not be
    able to forge other audit records). It creates the topics it uses (stream_processors/main.py
    ensure_topics), and its Faust app id is its group and the prefix of Faust's internal topics."""
    who = Service.PROCESSOR.value
    found = _rules(who, TOPIC, family(topics, "raw"), PRE, (R, D, C), "processor: reads every raw topic")
    for name in ("shared", "dlq"):
        found |= _rules(who, TOPIC, family(topics, name), PRE, (W, D, C), f"processor: writes {name} topics")
    found |= _rules(who, TOPIC, topics.audit_deliveries, LIT, (W, D, C), "processor: one audit event per delivery")
    found |= _rules(who, TOPIC, f"{groups.processor}-", PRE, (R, W, D, C), "processor: Faust internal topics")
    found |= _rules(who, TOPIC, topics.bus_keys, LIT, (W, D, C), "processor: publishes its signing keys")
    return found | _rules(who, GROUP, groups.processor, LIT, (R,), "processor: its consumer group")


def key_reader_acls(catalogue: Catalogue, agreements: Iterable[Agreement], topics: TopicNames,
                    now: datetime) -> dict[AclRule, str]:
    """Every bus identity reads ``bus.keys`` (public keys: anyone may verify a delivery); a
    recipient while it has an agreement in force, like the rest of its access (after that,
    `govbus keys export` hands it the keys). Literal rules per identity rather than ``User:*``:
    every ACL stays one a bus identity owns, and the deny-by-default tests see each."""
    who = {s.value for s in Service} | {identities.adapter(e.provider.department) for e in catalogue.entries.values()}
    who |= {identities.recipient(a.recipient_id) for a in agreements if a.in_force(now)}
    found: dict[AclRule, str] = {}
    for principal in sorted(who):
        found |= _rules(principal, TOPIC, topics.bus_keys, LIT, (R, D), "everyone: verifies signed deliveries")
    return found


def detector_acls(topics: TopicNames, groups: RoleGroups, rule_datasets: Iterable[str]) -> dict[AclRule, str]:
    """The detector reads the raw topics of the datasets its rules watch (literal: only those),
    alone writes incidents, and owns its Faust internal topics (observations, changelogs),
    creating what is missing (stream_processors/detect/main.py ensure_detector_topics)."""
    who = Service.DETECTOR.value
    found: dict[AclRule, str] = {}
    for dataset in sorted(set(rule_datasets)):
        found |= _rules(who, TOPIC, topics.raw(dataset), LIT, (R, D, C), f"detector: a rule watches {dataset}")
    found |= _rules(who, TOPIC, topics.emergency_incidents, LIT, (R, W, D, C), "detector: publishes incidents")
    found |= _rules(who, TOPIC, f"{groups.detector}-", PRE, (R, W, D, C), "detector: Faust internal topics")
    found |= _rules(who, GROUP, groups.detector, LIT, (R,), "detector: its consumer group")
    return found | _rules(who, GROUP, INCIDENT_READER_GROUP_PREFIX, PRE, (R,),
                          "detector: reads published incidents at start")


def service_acls(topics: TopicNames, groups: RoleGroups) -> dict[AclRule, str]:
    """The sinks, the feed, ingest and the registry (the processor and detector have their own).
    The pool sink writes (never reads) dlq topics: the dead letters of records its pool refused."""
    sink, audit, feed = Service.SINK.value, Service.AUDIT.value, Service.FEED.value
    ingest, registry = Service.INGEST.value, Service.REGISTRY.value
    observations = f"{groups.detector}-observations"  # stream_processors/detect/main.py
    found = _rules(sink, TOPIC, family(topics, "shared"), PRE, (R, D), "pool sink: every shared topic")
    found |= _rules(sink, GROUP, groups.sink, LIT, (R,), "pool sink: its consumer group")
    found |= _rules(sink, TOPIC, family(topics, "dlq"), PRE, (W, D),
                    "pool sink: a record its pool refuses becomes a sink dead letter (consumers/pool/letters.py)")
    found |= _rules(audit, TOPIC, family(topics, "audit"), PRE, (R, D), "audit sink: the audit trail")
    found |= _rules(audit, TOPIC, topics.audit_deliveries, LIT, (C,), "audit sink: creates its one-partition topic")
    found |= _rules(audit, GROUP, groups.audit, LIT, (R,), "audit sink: its consumer group")
    found |= _rules(audit, TOPIC, topics.audit_checkpoints, LIT, (W, C),
                    "audit sink: signs checkpoints of the chain (READ, for `audit verify`, is the audit family's)")
    found |= _rules(feed, TOPIC, topics.emergency_incidents, LIT, (R, D), "feed: shows incidents")
    found |= _rules(feed, TOPIC, observations, LIT, (W, D), "feed: incident actions go to the detector")
    for prefix in (FEED_GROUP_PREFIX, INCIDENT_READER_GROUP_PREFIX):
        found |= _rules(feed, GROUP, prefix, PRE, (R,), "feed: per-process reader groups")
    for name in ("raw", "dlq"):
        found |= _rules(ingest, TOPIC, family(topics, name), PRE, (W, D),
                        f"ingest: writes {name} topics for the departments its tokens name")
    for topic in REGISTRY_TOPICS:
        found |= _rules(registry, TOPIC, topic, LIT, (R, W, D, C, Operation.DESCRIBE_CONFIGS),
                        "registry: kafkasql storage (it checks the topics' retention)")
    return found | _rules(registry, GROUP, REGISTRY_GROUP_PREFIX, PRE, (R,), "registry: a new group per start")


def quality_acls(catalogue: Catalogue, topics: TopicNames, quality_group: str) -> dict[AclRule, str]:
    """The quality role (stream_processors/quality) reads every raw and dlq topic and writes the
    scorecards and every department's feedback topic; a department's adapter identity reads its
    OWN feedback topic (literal), no other department's."""
    who = Service.QUALITY.value
    found: dict[AclRule, str] = {}
    for name in ("raw", "dlq"):
        found |= _rules(who, TOPIC, family(topics, name), PRE, (R, D), f"quality: measures every {name} topic")
    found |= _rules(who, TOPIC, topics.quality_scorecards, LIT, (W, D, C), "quality: publishes scorecards")
    found |= _rules(who, TOPIC, topics.feedback_prefix, PRE, (W, D, C), "quality: each department's feedback")
    found |= _rules(who, GROUP, quality_group, LIT, (R,), "quality: its consumer group")
    found |= _rules(who, TOPIC, topics.quality_scorecards, LIT, (R,), "quality: `govbus quality report` reads them")
    found |= _rules(who, GROUP, "govbus-quality-report", LIT, (R,), "quality: `govbus quality report`")
    for department in sorted({e.provider.department for e in catalogue.entries.values()}):
        found |= _rules(identities.adapter(department), TOPIC, topics.feedback(department), LIT, (R, D),
                        f"catalogue: {department} reads its own scorecards")
    return found


def action_acls(topics: TopicNames, actor: str) -> dict[AclRule, str]:
    """An identity writes its OWN action topic and no other (literal: a prefixed ACL on
    ``audit.actions.op.al`` would also cover ``op.alice``'s), so an action's actor is the topic's
    (govbus.core.actions) and one identity cannot record an action as another."""
    return _rules(actor, TOPIC, topics.audit_actions(actor), LIT, (W, D, C),
                  f"{actor}: records its own actions on the audit chain")


def actions_group(audit_group: str) -> str:
    """The audit sink's consumer group for the action topics (consumers/audit/actions_sink.py)."""
    return f"{audit_group}-actions"


DLQ_READER_GROUP = "govbus-dlq-reader"  # commands/dlq_cmd.py reads letters by assignment with it


def operator_acls(topics: TopicNames, groups: RoleGroups, operators: Iterable[str]) -> dict[AclRule, str]:
    """A person's identity (``op.<name>``, one per credential on the broker) reads every dead
    letter and re-drives it to its raw topic (`govbus dlq`), reads incidents and sends the
    detector acknowledge / resolve / escalate (`govbus incident`), and records each action on
    its own action topic. Nothing else: ACLs, identities and topics stay the administrator's."""
    observations = f"{groups.detector}-observations"  # stream_processors/detect/main.py
    found: dict[AclRule, str] = {}
    for who in sorted(set(operators)):
        why = f"operator {who}"
        found |= action_acls(topics, who)
        found |= _rules(who, TOPIC, family(topics, "dlq"), PRE, (R, D), f"{why}: reads dead letters")
        found |= _rules(who, TOPIC, family(topics, "raw"), PRE, (W, D), f"{why}: re-drives dead letters")
        found |= _rules(who, TOPIC, topics.audit_redrives, LIT, (W, D, C), f"{why}: records re-drives")
        found |= _rules(who, GROUP, DLQ_READER_GROUP, LIT, (R,), f"{why}: reads dead letters")
        found |= _rules(who, TOPIC, topics.emergency_incidents, LIT, (R, D), f"{why}: reads incidents")
        found |= _rules(who, TOPIC, observations, LIT, (W, D), f"{why}: incident actions go to the detector")
        found |= _rules(who, GROUP, INCIDENT_READER_GROUP_PREFIX, PRE, (R,), f"{why}: reads incidents")
    return found


def compile_acls(catalogue: Catalogue, agreements: Iterable[Agreement], topics: TopicNames,
                 groups: RoleGroups, now: datetime, rule_datasets: Iterable[str],
                 operators: Iterable[str] = (), feed_recipients: Iterable[str] = ()) -> dict[AclRule, str]:
    """Every ACL the bus needs now, each with why. No IDEMPOTENT_WRITE on the cluster: since
    KIP-679 (Kafka 2.8+) an idempotent producer's InitProducerId is allowed by WRITE on any
    topic, and Produce no longer checks it (docs/security.md). ``operators``: the ``op.*``
    identities that have a credential (their ACLs follow it). ``feed_recipients``: whose shared
    topics the feed reads (settings.feed_records_recipients)."""
    agreements = list(agreements)  # read twice: the recipients' topics and their key reading
    return (adapter_acls(catalogue, topics) | recipient_acls(agreements, topics, now)
            | processor_acls(topics, groups) | detector_acls(topics, groups, rule_datasets)
            | service_acls(topics, groups) | action_acls(topics, Service.PROCESSOR.value)
            | action_acls(topics, Service.FEED.value)  # `incident` without an operator identity
            | _rules(Service.AUDIT.value, GROUP, actions_group(groups.audit), LIT, (R,),
                     "audit sink: chains every identity's actions")
            | operator_acls(topics, groups, operators) | key_reader_acls(catalogue, agreements, topics, now)
            | feed_record_acls(agreements, topics, now, feed_recipients)
            | quality_acls(catalogue, topics, groups.quality))


def required_acls(catalogue: Catalogue, agreements: Iterable[Agreement], topics: TopicNames,
                  groups: RoleGroups, now: datetime, rule_datasets: Iterable[str] = (),
                  operators: Iterable[str] = ()) -> frozenset[AclRule]:
    return frozenset(compile_acls(catalogue, agreements, topics, groups, now, rule_datasets, operators))


# --- the difference with what the broker holds ------------------------------------------------

def managed(principal: str) -> bool:
    """ACLs of bus identities other than the super user are govbus's to add and remove."""
    try:
        return identities.kind_of(principal) != "admin"
    except ValueError:
        return False


@dataclass(frozen=True)
class AclPlan:
    """What ``apply`` adds and removes, and the ACLs it leaves alone (principals govbus does not
    manage: people, other systems, the super user)."""

    add: frozenset[AclRule]
    remove: frozenset[AclRule]
    foreign: frozenset[AclRule]

    @property
    def drift(self) -> bool:
        return bool(self.add or self.remove)

    def lines(self) -> list[str]:
        """``+ rule`` and ``- rule``, one a line, in a stable order."""
        return [f"+ {r}" for r in sorted(self.add)] + [f"- {r}" for r in sorted(self.remove)]


def in_scope(rule: AclRule, topic_prefix: str) -> bool:
    """Whether a bus with this topic prefix owns ``rule``. Several buses (tests) may share one
    broker and its identities: a prefixed bus adds what it needs but removes only ACLs on its own
    topics and groups (named with its prefix), never another bus's. Production has one bus per
    broker and the empty prefix: it owns every ACL of its identities."""
    if not topic_prefix:
        return True
    return rule.resource in (Resource.TOPIC, Resource.GROUP) and rule.name.startswith(
        (f"{topic_prefix}.", f"{topic_prefix}-"))


def plan_acls(required: frozenset[AclRule], existing: Iterable[AclRule], topic_prefix: str = "") -> AclPlan:
    present = frozenset(existing)
    foreign = frozenset(r for r in present if not managed(r.principal) or r.permission != "ALLOW"
                        or (r not in required and not in_scope(r, topic_prefix)))
    return AclPlan(add=required - present, remove=present - required - foreign, foreign=foreign)


def removal_reason(rule: AclRule, agreements: Iterable[Agreement], topics: TopicNames, now: datetime) -> str:
    """Why the bus no longer requires ``rule``: the agreement behind a recipient's topic is no
    longer in force (and how), or nothing requires it at all."""
    lapsed = [a for a in sorted(agreements, key=lambda a: a.id)
              if rule.principal == identities.recipient(a.recipient_id)
              and rule.name in (topics.shared(a.recipient_id, a.dataset), f"{rule.principal}.")]
    if not lapsed:
        return "no catalogue entry or agreement in force requires it"
    return "; ".join(f"agreement {a.id} v{a.version} {_lapse(a, now)}" for a in lapsed)


def _lapse(agreement: Agreement, now: datetime) -> str:
    if agreement.status.value != "active":
        return f"is {agreement.status.value}"
    if now < agreement.valid_from:
        return f"is not valid before {agreement.valid_from.isoformat()}"
    return f"expired at {agreement.valid_to.isoformat()}"
