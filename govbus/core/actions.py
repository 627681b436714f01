"""Human and governance actions on the audit chain: what one looks like, and where it is sent.

Every action (a re-drive, an incident acknowledgement, an ACL change, an agreement the processor
sees revoked, ...) is one ``govbus.bus.OperatorAction`` record on the acting identity's own topic,
``audit.actions.<identity>`` (govbus.core.topics). The record does not name its actor: only that
identity (and the super user) may WRITE that topic, a literal ACL (govbus.core.access), so the
audit sink takes the actor from the name of the topic it read the record from. A person cannot
write an action as somebody else without that person's credential; the broker refuses it.

``action_record`` is pure; ``ActionLog`` is the thin producer around it.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Iterable

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from govbus.core.deadletter import load_bus_schema
from govbus.core.kafka_admin import create_planned_topics
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, kafka_config, topic_names
from govbus.core.topic_plan import action_topic
from govbus.core.topics import value_subject

ACTION_SCHEMA = "govbus.bus.OperatorAction"
# uuid5 namespace of deterministic action ids (an action sent twice is kept once).
_ACTION_NAMESPACE = uuid.UUID("6b1d3f0e-5a7c-4e2b-9d41-0c8f2a6e7b35")


class Act(StrEnum):
    """The kinds of action. ``*.view`` are reads of personal records (who saw my data)."""

    DLQ_REDRIVE = "dlq.redrive"
    DLQ_VIEW = "dlq.view"
    INCIDENT_ACK = "incident.ack"
    INCIDENT_RESOLVE = "incident.resolve"
    INCIDENT_ESCALATE = "incident.escalate"
    INCIDENT_NOTE = "incident.note"
    AGREEMENT_ACTIVATED = "agreement.activated"
    AGREEMENT_REVOKED = "agreement.revoked"
    ACL_ADD = "acl.add"
    ACL_REMOVE = "acl.remove"
    IDENTITY_CREATE = "identity.create"
    IDENTITY_ROTATE = "identity.rotate"
    IDENTITY_DISABLE = "identity.disable"
    POOL_VIEW = "pool.view"


class ActionError(RuntimeError):
    """An action could not be recorded (refused, or not acknowledged by the broker)."""


def reason_problem(reason: str | None) -> str | None:
    """Why ``reason`` is not one an action may carry (None when it is): every action says why."""
    if reason is None or not reason.strip():
        return "a reason is required: say why (a ticket, a decision, what was checked)"
    return None


def stable_action_id(*parts: object) -> str:
    """A deterministic action id from what identifies the action (uuid5)."""
    return str(uuid.uuid5(_ACTION_NAMESPACE, "|".join(str(p) for p in parts)))


def action_record(act: Act, reason: str, target: str, at: datetime, *, outcome: str = "done",
                  dataset: str | None = None, event_ids: Iterable[str] = (),
                  subjects: Iterable[str] = (), agreement: tuple[str, int] | None = None,
                  details: dict[str, str] | None = None, action_id: str | None = None) -> dict[str, Any]:
    """One ``govbus.bus.OperatorAction`` (a fresh random id unless ``action_id`` is given)."""
    return {"action_id": action_id or str(uuid.uuid4()), "action": act.value, "reason": reason.strip(),
            "target": target, "outcome": outcome, "dataset": dataset,
            "event_ids": sorted(set(event_ids)), "subject_pseudonyms": sorted(set(subjects)),
            "agreement_id": agreement[0] if agreement else None,
            "agreement_version": agreement[1] if agreement else None,
            "details": {k: str(v) for k, v in (details or {}).items()}, "acted_at": at}


@dataclass
class ActionLog:
    """The connected identity's action topic, its registered schema and a producer."""

    identity: str
    topic: str
    serde: Serde
    producer: Producer

    @classmethod
    def open(cls, settings: GovbusSettings) -> "ActionLog":
        """For the identity the settings connect as; creates its topic if missing (its ACL
        allows CREATE on that one topic) and registers the schema."""
        if not settings.kafka_user:
            raise ActionError("actions are recorded under the identity the command connects as: "
                              "set GOVBUS_KAFKA_USER (an op.<name> identity) or use the local stack")
        topic = topic_names(settings).audit_actions(settings.kafka_user)
        admin = AdminClient(kafka_config(settings, "admin"))
        create_planned_topics(admin, [action_topic(settings, settings.kafka_user)])
        serde = Serde.from_settings(settings)
        serde.prepare(value_subject(topic), load_bus_schema(settings.schemas_dir, ACTION_SCHEMA))
        return cls(settings.kafka_user, topic, serde, Producer(kafka_config(settings, "producer")))

    def send(self, record: dict[str, Any], on_failure: list[str]) -> None:
        """Queue one record; a refusal or loss is appended to ``on_failure`` by ``flush``."""
        self.producer.produce(self.topic, self.serde.encode(value_subject(self.topic), record),
                              record["target"].encode(),
                              on_delivery=lambda err, _msg: on_failure.append(str(err)) if err else None)

    def publish(self, records: Iterable[dict[str, Any]], timeout: float = 30.0) -> None:
        """Send and wait for every acknowledgement; ActionError names what is missing."""
        failures: list[str] = []
        for record in records:
            self.send(record, failures)
        left = self.producer.flush(timeout)
        if left or failures:
            raise ActionError(f"{len(failures) or left} action records were not acknowledged on "
                              f"{self.topic}: {(failures or ['timed out'])[0]}")
