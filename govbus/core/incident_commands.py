"""Operators' commands to the emergency detector: their form, their key, and where they go.

Operators never write incident versions: a command (acknowledge, escalate, note, resolve) goes
to the detector's observations topic, keyed like the incident's observations so that it reaches
the one shard that holds the incident, and the detector publishes the next version
(stream_processors/detect/README.md). The command line (`govbus incident`) and the feed's page
both send them; the detector decodes them (stream_processors/detect/messages.py). Pure, except
``send_command``.

Who acted travels with the command (``operator``: a person's account name; ``identity``: the
bus identity that sent it) so that the version can say who did what. The audit chain is the
authority on that: its actor is the broker-authenticated identity (govbus.core.actions).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

from confluent_kafka import Producer

from govbus.core.settings import GovbusSettings, kafka_config

ACTIONS = ("ack", "resolve", "escalate", "note")
GRADES = ("I", "II", "III", "IV")
MAX_NOTE_CHARS = 2000   # a note is a line or a paragraph, not a report


@dataclass(frozen=True)
class Command:
    action: str          # one of ACTIONS
    incident_id: str
    at: int              # wall time of the command, ms
    rule_id: str
    key: str
    operator: str = ""   # the person (an account name of the feed, or the CLI's --operator)
    identity: str = ""   # the bus identity the command was sent as
    note: str = ""       # why: kept on the incident's version
    grade: str = ""      # escalate: the grade asked for ("" = one step up)


def detector_app_id(settings: GovbusSettings) -> str:
    """The detector's Faust app id; carries the topic prefix (isolated buses on one broker)."""
    return f"{settings.topic_prefix}-govbus-detector" if settings.topic_prefix else "govbus-detector"


def observations_topic(app_id: str) -> str:
    """The detector's internal repartition topic, named like Faust's own internal topics."""
    return f"{app_id}-observations"


def partition_key(rule_id: str, key: str) -> bytes:
    return f"{rule_id}|{key}".encode()


def parse_incident_id(value: str) -> tuple[str, str] | None:
    """(rule id, key) of an incident id ``<rule>/<key>/<time>``, or None if it is not one."""
    parts = value.split("/")
    return (parts[0], parts[1]) if len(parts) == 3 and all(parts) else None


def command_body(command: Command) -> dict[str, Any]:
    """The JSON body on the observations topic (kind ``c``); who and why only when given, so that
    a command of an older sender and of a newer one decode alike."""
    body: dict[str, Any] = {"k": "c", "a": command.action, "inc": command.incident_id, "at": command.at,
                            "r": command.rule_id, "key": command.key}
    extra = {"op": command.operator, "id": command.identity, "note": command.note, "grade": command.grade}
    return body | {k: v for k, v in extra.items() if v}


def command_from_body(body: dict[str, Any]) -> Command | None:
    """The command of a decoded ``c`` body, or None when it is not one."""
    if body.get("a") not in ACTIONS:
        return None
    grade = str(body.get("grade", ""))
    if grade and grade not in GRADES:
        return None
    return Command(body["a"], body["inc"], int(body["at"]), body["r"], body["key"], str(body.get("op", "")),
                   str(body.get("id", "")), str(body.get("note", ""))[:MAX_NOTE_CHARS], grade)


def encode_command(command: Command) -> bytes:
    return json.dumps(command_body(command), ensure_ascii=False, separators=(",", ":")).encode()


def raised_grade(current: str, asked: str = "") -> str | None:
    """The grade an escalation leads to: ``asked`` when more serious than ``current``, one step
    up when nothing is asked; None when it would not raise the grade (already I, or asked ≤ current)."""
    rank = GRADES.index(current)
    if not asked:
        return GRADES[rank - 1] if rank > 0 else None
    return asked if asked in GRADES and GRADES.index(asked) < rank else None


def action_problem(current: Mapping[str, Any] | None, action: str, grade: str = "") -> tuple[str, str] | None:
    """Why ``action`` on the incident whose newest version is ``current`` would change nothing:
    (``refused`` or ``noop``, reason); None when it is worth sending to the detector."""
    if current is None or current["state"] == "resolved":
        return "refused", "already resolved" if current else "no such incident"
    if action == "ack" and current["state"] == "acknowledged":
        return "noop", "already acknowledged"
    if action == "escalate" and raised_grade(current["grade"], grade) is None:
        return "noop", "already at grade I" if not grade else f"grade {grade} is not above {current['grade']}"
    return None


def send_command(settings: GovbusSettings, topic: str, command: Command, timeout: float = 30.0) -> None:
    """Put ``command`` on the detector's observations ``topic``. ``murmur2_random`` is Kafka's Java
    partitioner, which aiokafka (Faust) also uses: librdkafka's default would send the command to
    another partition than the state. Raises RuntimeError when the broker does not take it."""
    failures: list[str] = []
    producer = Producer(kafka_config(settings, "producer", partitioner="murmur2_random"))
    producer.produce(topic, encode_command(command), partition_key(command.rule_id, command.key),
                     on_delivery=lambda err, _msg: failures.append(str(err)) if err else None)
    if producer.flush(timeout) or failures:
        raise RuntimeError(f"command not delivered: {failures or 'timed out'}")
