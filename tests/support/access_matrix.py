"""Who may READ and WRITE which topic, worked out from the catalogue and agreement data by rules
written here, independently of ``govbus.core.access`` (which the matrix checks).

For every identity and every topic family — raw of its own dataset, raw of another's, shared of
itself, shared of another recipient, dlq of its own and of another's, audit, emergency — one
concrete topic and, for READ and WRITE, whether the broker must allow it. The unit test
evaluates the compiled ACLs against it; the integration test connects as each identity and
tries (tests/integration/commands/test_acl_cmd.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from govbus.core.agreements import Agreement
from govbus.core.catalogue import Catalogue
from govbus.core.topics import TopicNames

READ, WRITE = "READ", "WRITE"
SERVICES = ("svc.processor", "svc.detector", "svc.sink", "svc.audit", "svc.feed", "svc.ingest", "svc.registry")


@dataclass(frozen=True)
class Case:
    identity: str
    family: str      # raw_own, raw_other, shared_self, shared_other, dlq_own, dlq_other, audit, emergency, keys
    topic: str
    operation: str   # READ or WRITE
    allowed: bool


@dataclass(frozen=True)
class Bus:
    """The facts the rules read, straight from the data."""

    provides: dict[str, list[str]]           # department -> datasets it provides
    shared: dict[str, list[str]]             # recipient id -> datasets of agreements in force
    recipients: list[str]                    # every recipient id of any agreement
    rule_datasets: frozenset[str]
    topics: TopicNames


def bus_facts(catalogue: Catalogue, agreements: Iterable[Agreement], rule_datasets: Iterable[str],
              topics: TopicNames, now: datetime) -> Bus:
    provides: dict[str, list[str]] = {}
    for dataset, entry in sorted(catalogue.entries.items()):
        provides.setdefault(entry.provider.department, []).append(dataset)
    shared: dict[str, list[str]] = {}
    recipients = set()
    for a in agreements:
        rid = f"{a.recipient.department}_{a.recipient.region_code}"
        recipients.add(rid)
        live = a.status.value == "active" and a.valid_from <= now < a.valid_to
        if live:
            shared.setdefault(rid, []).append(a.dataset)
    return Bus(provides, {k: sorted(v) for k, v in shared.items()}, sorted(recipients),
               frozenset(rule_datasets), topics)


def _any_dataset(bus: Bus, not_of: str | None = None) -> str:
    return next(d for dept, ds in sorted(bus.provides.items()) if dept != not_of for d in ds)


def _families(bus: Bus, identity: str) -> dict[str, str]:
    """One concrete topic per family for ``identity``."""
    t = bus.topics
    kind, _, name = identity.partition(".")
    own = bus.provides.get(name, [None])[0] if kind == "dept" else None
    other = _any_dataset(bus, not_of=name if kind == "dept" else None)
    families = {"raw_other": t.raw(other), "dlq_other": t.dlq(other),
                "audit": t.audit_deliveries, "emergency": t.emergency_incidents, "keys": t.bus_keys}
    if own:
        families |= {"raw_own": t.raw(own), "dlq_own": t.dlq(own)}
    someone_else = next(r for r in bus.recipients if not (kind == "recv" and r == name))
    families["shared_other"] = t.shared(someone_else, (bus.shared.get(someone_else) or [other])[0])
    if kind == "recv":
        families["shared_self"] = t.shared(name, (bus.shared.get(name) or [other])[0])
    return families


def _allowed(bus: Bus, identity: str, family: str, topic: str, op: str) -> bool:
    """The access rules of docs/security.md, stated plainly."""
    kind, _, name = identity.partition(".")
    dataset_of = bus.topics.dataset_of(topic) if family.startswith(("raw", "dlq", "shared")) else None
    if family == "keys":  # public signing keys: everyone reads (a recipient while it receives),
        if kind == "recv":  # the processor alone publishes
            return op == READ and bool(bus.shared.get(name))
        return op == READ or identity == "svc.processor"
    if kind == "dept":
        return (family == "raw_own" and op == WRITE) or family == "dlq_own"
    if kind == "recv":
        return family == "shared_self" and op == READ and dataset_of in bus.shared.get(name, [])
    if identity == "svc.processor":
        return (family.startswith("raw") and op == READ) or \
            (family.startswith(("shared", "dlq", "audit")) and op == WRITE)
    if identity == "svc.detector":
        return (family.startswith("raw") and op == READ and dataset_of in bus.rule_datasets) or family == "emergency"
    if identity == "svc.sink":  # reads shared topics; dead-letters what its pool refuses
        return (family.startswith("shared") and op == READ) or (family.startswith("dlq") and op == WRITE)
    if identity == "svc.audit":
        return family == "audit" and op == READ
    if identity == "svc.feed":
        return family == "emergency" and op == READ
    if identity == "svc.ingest":
        return family.startswith(("raw", "dlq")) and op == WRITE
    return False  # svc.registry: no bus topic at all


def identities_of(bus: Bus) -> list[str]:
    return ([f"dept.{d}" for d in sorted(bus.provides)] + [f"recv.{r}" for r in bus.recipients]
            + list(SERVICES))


def expected_matrix(bus: Bus) -> list[Case]:
    return [Case(identity, family, topic, op, _allowed(bus, identity, family, topic, op))
            for identity in identities_of(bus)
            for family, topic in sorted(_families(bus, identity).items())
            for op in (READ, WRITE)]
