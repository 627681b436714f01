"""`govbus acl plan | apply`: the broker's ACLs made to match the catalogue and the agreements.

``plan`` prints what differs (``+`` to add, ``-`` to remove, one ACL a line) and exits 2 on
drift, 0 without, so that a scheduler can watch it (an agreement expiring is drift). ``apply``
makes the broker match and records every change on ``audit.acl_changes``. Only ACLs of bus
identities (govbus.core.identities, the super user excepted) are added or removed; any other
ACL is left alone and listed. Both run as the administrator (``bus-admin``).
"""
from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import typer
from confluent_kafka.admin import AdminClient
from rich.console import Console
from rich.markup import escape

from commands.endpoints import with_endpoints
from govbus.core import identities
from govbus.core.access import AclPlan, AclRule, RoleGroups, compile_acls, plan_acls, removal_reason
from govbus.core.agreements import Agreement
from govbus.core.settings import GovbusSettings, kafka_config, topic_names

acl_app = typer.Typer(help="Broker ACLs compiled from the catalogue and the agreements: plan, apply.",
                      no_args_is_help=True)
console = Console(highlight=False)
ACL_CHANGE_SCHEMA = "govbus.bus.AclChange"
EXIT_DRIFT = 2
# The ACLs are the administrator's to change (docs/security.md): the one super user.
ACL_IDENTITY = identities.ADMIN


@dataclass(frozen=True)
class Comparison:
    """The plan, why each required ACL is required, and what the broker holds that govbus
    cannot express (listed, never touched)."""

    plan: AclPlan
    reasons: dict[AclRule, str]
    unrepresentable: tuple[str, ...]
    agreements: list[Agreement]
    now: datetime


def role_groups(settings: GovbusSettings) -> RoleGroups:
    """The groups and app ids the roles run with, from the same functions the roles use."""
    from consumers.audit.store import audit_group
    from stream_processors.detect.main import detector_id

    return RoleGroups(processor=settings.processor_group, detector=detector_id(settings),
                      sink=settings.sink_group, audit=audit_group(settings))


def operator_identities(admin: AdminClient) -> list[str]:
    """The ``op.*`` identities with a credential on the broker: their ACLs follow the credential
    (`govbus identities create op.<name>` grants them, `disable` and the next apply take them)."""
    from govbus.core import scram

    return sorted(u for u in scram.users(admin) if u.startswith("op.") and _is_operator(u))


def _is_operator(name: str) -> bool:
    try:
        return identities.kind_of(name) == "operator"
    except ValueError:
        return False


def compiled(settings: GovbusSettings, now: datetime,
             operators: tuple[str, ...] = ()) -> tuple[dict[AclRule, str], list[Agreement]]:
    from govbus.core.agreements import load_agreements
    from govbus.core.catalogue import load_catalogue
    from govbus.core.rules import load_rules
    from govbus.core.schemas import load_schemas

    catalogue = load_catalogue(settings.catalogue_dir)
    agreements = list(load_agreements(settings.catalogue_dir).agreements.values())
    rules = load_rules(settings.catalogue_dir, load_schemas(settings.schemas_dir)).rules.values()
    reasons = compile_acls(catalogue, agreements, topic_names(settings), role_groups(settings), now,
                           {rule.dataset for rule in rules}, operators, settings.feed_records_recipients)
    return reasons, agreements


def compare(settings: GovbusSettings, admin: AdminClient, now: datetime) -> Comparison:
    from govbus.core.kafka_acl import describe

    reasons, agreements = compiled(settings, now, tuple(operator_identities(admin)))
    on_broker = describe(admin)
    plan = plan_acls(frozenset(reasons), on_broker.rules, settings.topic_prefix)
    return Comparison(plan, reasons, on_broker.unrepresentable, agreements, now)


def _admin(settings: GovbusSettings) -> AdminClient:
    return AdminClient(kafka_config(settings, "admin"))


def _print(comparison: Comparison) -> None:
    for line in comparison.plan.lines():
        console.print(escape(line))
    for rule in sorted(comparison.plan.foreign):
        console.print(escape(f"= {rule}  (not this bus's to manage: left alone)"))
    for text in comparison.unrepresentable:
        console.print(escape(f"= {text}  (not expressible as a govbus ACL: left alone)"))


def _fail(exc: Exception) -> typer.Exit:
    console.print(f"[red]{escape(str(exc))}[/red]")
    return typer.Exit(1)


@acl_app.command("plan")
def plan_cmd() -> None:
    """Print the ACLs to add (+) and remove (-); exit 2 when the broker drifted, 0 when not."""
    from govbus.core.kafka_acl import AclError

    settings = with_endpoints(GovbusSettings(), identity=ACL_IDENTITY)
    try:
        comparison = compare(settings, _admin(settings), datetime.now(timezone.utc))
    except AclError as exc:
        raise _fail(exc) from exc
    _print(comparison)
    plan = comparison.plan
    console.print(f"{len(plan.add)} to add, {len(plan.remove)} to remove, {len(plan.foreign)} left alone")
    raise typer.Exit(EXIT_DRIFT if plan.drift else 0)


@acl_app.command("apply")
def apply_cmd(reason: str = typer.Option("", help="A note recorded with every change (a ticket, a decision).")) -> None:
    """Make the broker's ACLs match the catalogue and agreements; record each change on
    audit.acl_changes and, as an action of the identity applying, on the audit chain."""
    from govbus.core.kafka_acl import AclError

    settings = with_endpoints(GovbusSettings(), identity=ACL_IDENTITY)
    admin = _admin(settings)
    try:
        comparison = compare(settings, admin, datetime.now(timezone.utc))
        audit = AclAudit.open(settings, admin)  # before any change: a registry outage stops us here
        enact(admin, comparison.plan)
    except AclError as exc:
        raise _fail(exc) from exc
    _print(comparison)
    records = change_records(comparison, settings, settings.kafka_user, reason)
    if missing := audit.publish(records) or record_actions(settings, records):
        console.print(f"[red]{escape(missing)}[/red]")
        raise typer.Exit(3)
    console.print(f"applied {len(comparison.plan.add)} additions and {len(comparison.plan.remove)} removals; "
                  f"{len(records)} changes recorded on {audit.topic}")


def enact(admin: AdminClient, plan: AclPlan) -> None:
    """Grants first, then revocations: a rule replaced by a wider one is never missing between.
    Shared by ``apply``, ``govbus stack up`` and the demo (one way to change ACLs)."""
    from govbus.core.kafka_acl import create, delete

    create(admin, plan.add)
    delete(admin, plan.remove)


def record_changes(settings: GovbusSettings, admin: AdminClient, comparison: Comparison, operator: str,
                   note: str) -> str:
    """Record an enacted plan on audit.acl_changes (for `govbus stack up` and the demo, which
    enact before the registry is up or as a step of their own); '' or what went wrong."""
    if not comparison.plan.drift:
        return ""
    try:
        audit = AclAudit.open(settings, admin)
    except Exception as exc:  # noqa: BLE001 - registry or broker trouble: reported, not raised
        return f"ACLs changed, but audit.acl_changes could not be opened: {exc}"
    records = change_records(comparison, settings, settings.kafka_user or operator, note)
    return audit.publish(records) or record_actions(settings, records)


def record_actions(settings: GovbusSettings, records: list[dict[str, Any]]) -> str:
    """Each ACL change as an action of the identity that made it (``acl.add``, ``acl.remove``)
    on its action topic, i.e. on the audit chain; '' or what went wrong."""
    from govbus.core.actions import Act, ActionLog, action_record

    actions = [action_record(Act.ACL_ADD if r["change"] == "add" else Act.ACL_REMOVE, r["reason"],
                             f"User:{r['principal']} {r['operation']} {r['resource_type']} {r['resource_name']} "
                             f"{r['pattern']}", r["applied_at"]) for r in records]
    if not actions:
        return ""
    try:
        ActionLog.open(settings).publish(actions)
    except Exception as exc:  # noqa: BLE001 - the ACLs are changed: say what the trail lacks, do not raise
        return f"ACLs changed, but the actions were not recorded on the audit chain: {exc}"
    return ""


def sync_prefix(settings: GovbusSettings, note: str, withdraw: bool = False) -> str:
    """Grant what a bus with its own topic prefix needs (the demo's run), or with ``withdraw``
    remove every ACL named with that prefix when it is done; recorded like ``apply``. Returns ''
    or what could not be recorded. Runs as the settings' identity (bus-admin)."""
    from govbus.core.access import plan_acls
    from govbus.core.kafka_acl import describe

    if not settings.topic_prefix:  # without one, "named with the prefix" is every ACL of the bus
        raise ValueError("sync_prefix needs a topic prefix")
    admin, now = _admin(settings), datetime.now(timezone.utc)
    comparison = compare(settings, admin, now)
    if withdraw:
        plan = plan_acls(frozenset(), describe(admin).rules, settings.topic_prefix)
        comparison = Comparison(plan, {}, (), comparison.agreements, now)
    enact(admin, comparison.plan)
    return record_changes(settings, admin, comparison, getpass.getuser(), note)


def sync_identity(settings: GovbusSettings, name: str, note: str) -> tuple[int, str]:
    """Grant or withdraw the ACLs of ONE identity (an operator just created or disabled), recorded
    like ``apply``: (changes made, '' or what could not be recorded). Runs as bus-admin."""
    admin, now = _admin(settings), datetime.now(timezone.utc)
    whole = compare(settings, admin, now)
    plan = AclPlan(add=frozenset(r for r in whole.plan.add if r.principal == name),
                   remove=frozenset(r for r in whole.plan.remove if r.principal == name), foreign=frozenset())
    enact(admin, plan)
    comparison = Comparison(plan, whole.reasons, (), whole.agreements, now)
    return len(plan.add) + len(plan.remove), record_changes(settings, admin, comparison, settings.kafka_user, note)


def change_records(comparison: Comparison, settings: GovbusSettings, operator: str,
                   note: str) -> list[dict[str, Any]]:
    """One ``govbus.bus.AclChange`` per added or removed ACL, with why."""
    topics = topic_names(settings)
    suffix = f" ({note})" if note else ""
    added = [_record(r, "add", comparison.reasons[r] + suffix, operator, comparison.now)
             for r in sorted(comparison.plan.add)]
    removed = [_record(r, "remove", removal_reason(r, comparison.agreements, topics, comparison.now) + suffix,
                       operator, comparison.now) for r in sorted(comparison.plan.remove)]
    return added + removed


def _record(rule: AclRule, change: str, reason: str, operator: str, at: datetime) -> dict[str, Any]:
    return {"principal": rule.principal, "operation": rule.operation.value, "resource_type": rule.resource.value,
            "resource_name": rule.name, "pattern": rule.pattern.value, "permission": rule.permission,
            "change": change, "reason": reason, "applied_by": operator, "applied_at": at}


@dataclass
class AclAudit:
    """The ``audit.acl_changes`` topic (one partition: one order) and its registered schema."""

    topic: str
    subject: str
    serde: Any
    producer: Any

    @classmethod
    def open(cls, settings: GovbusSettings, admin: AdminClient) -> "AclAudit":
        from confluent_kafka import Producer

        from govbus.core.deadletter import load_bus_schema
        from govbus.core.kafka_admin import create_planned_topics
        from govbus.core.serde import Serde
        from govbus.core.topic_plan import bus_topics, spec_of
        from govbus.core.topics import value_subject

        topic = topic_names(settings).audit_acl_changes
        create_planned_topics(admin, [spec_of(settings, bus_topics(settings), topic)])
        serde = Serde.from_settings(settings)
        serde.prepare(value_subject(topic), load_bus_schema(settings.schemas_dir, ACL_CHANGE_SCHEMA))
        return cls(topic, value_subject(topic), serde, Producer(kafka_config(settings, "producer")))

    def publish(self, records: list[dict[str, Any]]) -> str:
        """Send every record and wait for each acknowledgement; '' when all were acknowledged,
        else one line saying what is missing (the ACLs are changed by then: the operator must
        know the trail lacks them)."""
        failures: list[str] = []
        for record in records:
            self.producer.produce(self.topic, self.serde.encode(self.subject, record), record["principal"].encode(),
                                  on_delivery=lambda err, _msg: failures.append(str(err)) if err else None)
        if self.producer.flush(30) or failures:
            return (f"ACLs changed, but {len(failures) or 'some'} audit records were not acknowledged on "
                    f"{self.topic}: {failures[:1]}")
        return ""
