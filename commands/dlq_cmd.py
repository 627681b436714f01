"""`govbus dlq list | show | redrive`: a department's rejects, why, and sending them back.

Re-drive sends a letter's original bytes back to the raw topic, where the processor re-applies
the rules and agreements in force now; each re-drive is recorded on ``audit.redrives`` and, with
the operator's note, as an action of the identity the command connects as on the audit chain
(commands/operator_actions.py). ``show`` prints a person's record: it is recorded as a view,
and printed masked by the dataset's field tags (commands/dlq_view.py).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterator

import typer
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from rich.console import Console
from rich.table import Table
from rich.text import Text

from commands.dlq_view import letter_lines, masked_message
from commands.endpoints import with_endpoints
from commands.names import known_dataset
from commands.operator_actions import NOTE, checked_note, open_log, publish, record_persons
from govbus.core import identities
from govbus.core.actions import Act, action_record
from govbus.core.deadletter import DistinctLetters, load_bus_schema, redrivable, redrive_headers, stage_of
from govbus.core.kafka_admin import create_planned_topics
from govbus.core.result import Fault, Ok
from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, kafka_config, topic_names
from govbus.core.topic_plan import bus_topics, spec_of
from govbus.core.topics import value_subject

# bus-admin on the local stack unless GOVBUS_KAFKA_USER names an operator (op.<name>, whose ACLs
# allow exactly this: read dead letters, re-drive to raw topics, record its actions).
DLQ_IDENTITY = identities.ADMIN

dlq_app = typer.Typer(help="Dead letters: list, explain and re-drive a dataset's rejects.", no_args_is_help=True)
console = Console()


def read_letters(settings: GovbusSettings, serde: Serde, topic: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Every letter on ``topic`` (partition 0..n) from the beginning to the current end."""
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": "govbus-dlq-reader"}))
    try:
        meta = consumer.list_topics(topic, timeout=10).topics.get(topic)
        if meta is None or meta.error is not None:
            return
        for partition in meta.partitions:
            yield from _read_partition(consumer, serde, topic, partition)
    finally:
        consumer.close()


def _read_partition(consumer: Consumer, serde: Serde, topic: str, partition: int) -> Iterator[tuple[int, dict]]:
    low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
    consumer.assign([TopicPartition(topic, partition, low)])
    offset = low
    while offset < high:
        message = consumer.poll(5)
        if message is None or message.error():
            continue
        position = message.offset()
        assert position is not None  # a message without an error has its offset
        offset = position + 1
        decoded = serde.decode(message.value())
        letter = (decoded.value if not isinstance(decoded, Fault)
                  else {"reason": "unreadable letter", "message": decoded.message})
        yield position, letter


def _setup(dataset: str) -> tuple[GovbusSettings, Serde, str]:
    settings = GovbusSettings()
    known_dataset(settings, dataset)
    settings = with_endpoints(settings, identity=DLQ_IDENTITY)
    return settings, Serde.from_settings(settings), topic_names(settings).dlq(dataset)


def letter_row(offset: int, letter: dict[str, Any]) -> tuple[str, ...]:
    """One line of `dlq list`. A sink letter's field also names the pool table and column."""
    field = letter.get("field_path") or ""
    if letter.get("pool_table"):
        field = f"{field} ({letter.get('recipient')}: {letter['pool_table']}.{letter.get('pool_column') or '?'})"
    return (str(offset), stage_of(letter), str(letter.get("first_seen", ""))[:19], letter.get("reason", ""),
            letter.get("rule", ""), field, masked_message(letter.get("message") or ""),
            f"{letter.get('source_topic', '')}@{letter.get('source_partition', '')}:{letter.get('source_offset', '')}")


def wanted(letter: dict[str, Any], reason: str | None, stage: str | None) -> bool:
    return (not reason or letter.get("reason") == reason) and (not stage or stage_of(letter) == stage)


@dlq_app.command("list")
def list_cmd(dataset: str, reason: str | None = typer.Option(None),
             stage: str | None = typer.Option(None, help="Only letters of this stage: adapter, process or sink."),
             limit: int = typer.Option(50)) -> None:
    """The dataset's dead letters: offset, stage, when, reason, rule, field, message, source."""
    settings, serde, topic = _setup(dataset)
    table = Table(title=f"{topic}")
    for column in ("offset", "stage", "first seen", "reason", "rule", "field", "message", "source"):
        table.add_column(column, overflow="fold")
    shown, distinct = 0, DistinctLetters()
    for offset, letter in distinct.of(read_letters(settings, serde, topic)):
        if not wanted(letter, reason, stage) or shown >= limit:
            continue
        shown += 1
        table.add_row(*letter_row(offset, letter))
    console.print(table)
    if distinct.repeats:  # a role wrote them again after a crash (govbus.core.deadletter.letter_identity)
        console.print(f"{distinct.repeats} repeated copies of letters above not shown (written again after a restart)")


@dlq_app.command("show")
def show_cmd(dataset: str, offset: int, note: str = NOTE) -> None:
    """One letter in full, its original record masked by the dataset's field tags (recorded as a
    view of the person's record)."""
    note = checked_note(note)
    settings, serde, topic = _setup(dataset)
    log = open_log(settings)
    letter = next((found for o, found in read_letters(settings, serde, topic) if o == offset), None)
    if letter is None:
        console.print(f"no letter at offset {offset} of {topic}")
        raise typer.Exit(1)
    event_ids, subjects = record_persons(settings, serde, dataset, letter.get("original_value"))
    publish(log, [action_record(Act.DLQ_VIEW, note, f"{topic}@{offset}", datetime.now(timezone.utc),
                                dataset=dataset, event_ids=event_ids or _ids(letter), subjects=subjects)])
    original = letter.get("original_value")
    decoded = serde.decode(original) if isinstance(original, bytes) and original else None
    record = decoded.value if isinstance(decoded, Ok) and isinstance(decoded.value, dict) else None
    schema = load_schemas(settings.schemas_dir).get(dataset)
    for key, text in letter_lines(letter, record, schema.tags if schema else {}):
        # Text, not markup: a record's own brackets must print as they are.
        console.print(Text.assemble((key, "bold"), ": ", text), highlight=False, soft_wrap=True)


@dlq_app.command("redrive")
def redrive_cmd(dataset: str, reason: str | None = typer.Option(None, help="Only letters with this reason."),
                offset: list[int] = typer.Option([], help="Only these offsets (repeatable)."),
                note: str = NOTE) -> None:
    """Send letters back to the raw topic to be processed again under today's rules; each
    re-drive is an action of the identity connected (GOVBUS_KAFKA_USER) on the audit chain."""
    note = checked_note(note)
    settings, serde, topic = _setup(dataset)
    operator, log, actions = settings.kafka_user, open_log(settings), []
    names = topic_names(settings)
    raw, audit_topic = names.raw(dataset), names.audit_redrives
    # Created as planned (one partition, kept forever) rather than left to auto-creation.
    create_planned_topics(AdminClient(kafka_config(settings, "admin")),
                          [spec_of(settings, bus_topics(settings), audit_topic)])
    serde.prepare(value_subject(audit_topic), load_bus_schema(settings.schemas_dir, "govbus.bus.Redrive"))
    producer = Producer(kafka_config(settings, "producer"))
    sent = skipped = 0
    for dlq_offset, letter in DistinctLetters().of(read_letters(settings, serde, topic)):  # each letter once
        if (reason and letter.get("reason") != reason) or (offset and dlq_offset not in offset):
            continue
        refusal = redrivable(letter, raw)
        if refusal is not None:
            skipped += 1
            console.print(f"offset {dlq_offset}: not re-driven: {refusal.message}")
            continue
        # (str, bytes) pairs are a header form produce() takes; the stub's list is invariant.
        producer.produce(raw, letter["original_value"], letter.get("original_key"),
                         headers=redrive_headers(letter, dlq_offset))  # type: ignore[arg-type]
        producer.produce(audit_topic,
                         serde.encode(value_subject(audit_topic), _audit(letter, topic, dlq_offset, raw, operator)))
        actions.append(_redrive_action(settings, serde, letter, f"{topic}@{dlq_offset}", raw, note))
        sent += 1
    if producer.flush(60):
        raise typer.Exit(2)
    publish(log, actions)
    console.print(f"re-drove {sent} letters to {raw} as {operator}; {skipped} could not be re-driven")


def _ids(letter: dict[str, Any]) -> list[str]:
    return [str(letter["event_id"])] if letter.get("event_id") else []


def _redrive_action(settings: GovbusSettings, serde: Serde, letter: dict[str, Any], target: str, raw: str,
                    note: str) -> dict[str, Any]:
    event_ids, subjects = record_persons(settings, serde, letter["dataset"], letter.get("original_value"))
    return action_record(Act.DLQ_REDRIVE, note, target, datetime.now(timezone.utc), dataset=letter["dataset"],
                         event_ids=event_ids or _ids(letter), subjects=subjects,
                         details={"target_topic": raw, "letter_reason": letter.get("reason", "")})


def _audit(letter: dict[str, Any], topic: str, dlq_offset: int, raw: str, operator: str) -> dict[str, Any]:
    return {"dataset": letter["dataset"], "dlq_topic": topic, "dlq_offset": dlq_offset,
            "event_id": letter.get("event_id"), "reason": letter.get("reason", ""), "target_topic": raw,
            "operator": operator, "redriven_at": datetime.now(timezone.utc)}
