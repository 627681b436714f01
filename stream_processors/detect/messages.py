"""Messages on the detector's internal observations topic (JSON, like Faust's own changelogs).

The topic repartitions observations by ``rule|key``: raw topics are keyed by business key
(order number, alarm id), so alarms of one county arrive on many partitions, and a table
updated from them would split one county's window across workers. Keyed by ``rule|key``, all
of a key's observations reach the one partition whose table shard holds its state.

Three kinds share the topic, so that everything that changes state arrives in the one stream
that may change tables (Faust refuses table writes outside stream iteration):
- ``o`` an observation; ``c`` an operator's command (ack, resolve, escalate, note; keyed like
  the incident's observations, so it reaches the same shard); ``k`` a tick, sent to every partition by a timer.
Nothing here carries personal data: observations hold keys, times, numbers and event ids.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from govbus.core.incident_commands import Command, command_body, command_from_body
from govbus.core.incident_commands import partition_key as partition_key
from stream_processors.detect.extract import Observation


@dataclass(frozen=True)
class Tick:
    wall: int


Message = Observation | Command | Tick


def encode(message: Message) -> bytes:
    if isinstance(message, Observation):
        body: dict[str, Any] = {"k": "o", "r": message.rule_id, "key": message.key, "reg": message.region,
                                "t": message.time, "id": message.event_id, "v": message.value}
        body |= {"m": message.measures} if message.measures else {}
        body |= {"terms": list(message.terms), "g": message.group} if message.terms else {}
    elif isinstance(message, Command):
        body = command_body(message)  # shared with the senders (govbus.core.incident_commands)
    else:
        body = {"k": "k", "wall": message.wall}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def decode(data: bytes | None) -> Message | None:
    """The message, or None for bytes that are not one (counted and skipped by the agent: the
    topic is internal, so a bad message is a bug, not a department's data fault)."""
    try:
        body = json.loads(data or b"")
        kind = body["k"]
        if kind == "o":
            return Observation(body["r"], body["key"], body["reg"], int(body["t"]), body["id"],
                               float(body["v"]), {k: float(v) for k, v in body.get("m", {}).items()},
                               tuple(body.get("terms", ())), body.get("g", ""))
        if kind == "c":
            return command_from_body(body)
        if kind == "k":
            return Tick(int(body["wall"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return None
