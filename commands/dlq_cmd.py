"""`govbus dlq list | show | redrive | export | resend`: a department's rejects, why, and sending
them back.

Re-drive sends a letter's original bytes back to the raw topic, where the processor re-applies
the rules and agreements in force now; export writes letters as editable JSON and resend sends
the corrected records back (commands/dlq_export.py, dlq_resend.py). Each re-drive or resend is
recorded on ``audit.redrives`` and, with the operator's note, as an action of the identity the
command connects as on the audit chain (commands/dlq_io.py, operator_actions.py). ``show`` prints
a person's record: it is recorded as a view, and printed masked by the dataset's field tags
(commands/dlq_view.py).
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from commands.dlq_export import Decoded, export_entry, sees_clear, write_export
from commands.dlq_io import DLQ_IDENTITY, Redriver, letter_ids, read_letters, setup
from commands.dlq_resend import Correction, corrected_record, parse_line
from commands.dlq_view import letter_lines, masked_message, original_value_text
from commands.exits import DAMAGED_INPUT, REFUSED, STOPPED_PART_WAY, Failure
from commands.names import known_dataset
from commands.operator_actions import NOTE, checked_note, open_log, publish, record_persons
from govbus.core.actions import Act, action_record
from govbus.core.deadletter import DistinctLetters, redrivable, stage_of
from govbus.core.result import Ok
from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, topic_names
from govbus.core.topics import value_subject

__all__ = ["DLQ_IDENTITY", "dlq_app", "read_letters"]

dlq_app = typer.Typer(help="Dead letters: list, explain, re-drive, export and resend a dataset's rejects.",
                      no_args_is_help=True)
console = Console()


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
    settings, serde, topic = setup(dataset)
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
    settings, serde, topic = setup(dataset)
    log = open_log(settings)
    letter = next((found for o, found in read_letters(settings, serde, topic) if o == offset), None)
    if letter is None:
        console.print(f"no letter at offset {offset} of {topic}")
        raise typer.Exit(1)
    event_ids, subjects = record_persons(settings, serde, dataset, letter.get("original_value"))
    publish(log, [action_record(Act.DLQ_VIEW, note, f"{topic}@{offset}", datetime.now(timezone.utc),
                                dataset=dataset, event_ids=event_ids or letter_ids(letter), subjects=subjects)])
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
    settings, serde, topic = setup(dataset)
    log = open_log(settings)
    redriver = Redriver(settings, serde, topic, note).open(dataset)
    sent = skipped = 0
    for dlq_offset, letter in DistinctLetters().of(read_letters(settings, serde, topic)):  # each letter once
        if (reason and letter.get("reason") != reason) or (offset and dlq_offset not in offset):
            continue
        refusal = redrivable(letter, redriver.raw)
        if refusal is not None:
            skipped += 1
            console.print(f"offset {dlq_offset}: not re-driven: {refusal.message}")
            continue
        redriver.send(letter, dlq_offset, letter["original_value"])
        sent += 1
    if not redriver.flushed():
        raise typer.Exit(2)
    publish(log, redriver.actions)
    console.print(f"re-drove {sent} letters to {redriver.raw} as {settings.kafka_user}; "
                  f"{skipped} could not be re-driven")


def _decoded(serde: Serde, letter: dict[str, Any], tags: dict) -> Decoded:
    original = letter.get("original_value")
    decoded = serde.decode(original) if isinstance(original, bytes) and original else None
    if isinstance(decoded, Ok) and isinstance(decoded.value, dict):
        return Decoded(decoded.value)
    return Decoded(None, original_value_text(original, None, tags) if isinstance(original, bytes) else None)


@dlq_app.command("export")
def export_cmd(dataset: str, out: Path = typer.Option(..., "--out", help="The JSON-lines file to write."),
               reason: str | None = typer.Option(None, help="Only letters with this reason."),
               note: str = NOTE) -> None:
    """Write the dataset's dead letters as editable JSON, one a line, for `dlq resend`: in clear
    for the owning department's identity, masked by the field tags (and recorded as views) for
    any other."""
    note = checked_note(note)
    settings, serde, topic = setup(dataset)
    schema = load_schemas(settings.schemas_dir)[dataset]
    raw, entries, views = topic_names(settings).raw(dataset), [], []
    for offset, letter in DistinctLetters().of(read_letters(settings, serde, topic)):
        if reason and letter.get("reason") != reason:
            continue
        clear = sees_clear(settings.kafka_user, letter.get("owner_department"))
        entries.append(export_entry(topic, offset, letter, _decoded(serde, letter, schema.tags),
                                    schema.tags, clear, raw))
        if not clear:  # the owner reads its own records; anyone else's reading is on the record
            views.append(_view(settings, serde, letter, f"{topic}@{offset}", note))
    if views:
        publish(open_log(settings), views)
    try:
        write_export(out, entries)
    except OSError as exc:
        raise Failure(REFUSED, f"cannot write {out}: {exc.strerror or exc}") from exc
    masked = "masked by the field tags" if views else "in clear (the owning department's identity)"
    console.print(f"exported {len(entries)} letters of {topic} to {out}, {masked}", highlight=False)


def _view(settings: GovbusSettings, serde: Serde, letter: dict[str, Any], target: str, note: str) -> dict:
    event_ids, subjects = record_persons(settings, serde, letter["dataset"], letter.get("original_value"))
    return action_record(Act.DLQ_VIEW, note, target, datetime.now(timezone.utc), dataset=letter["dataset"],
                         event_ids=event_ids or letter_ids(letter), subjects=subjects,
                         details={"export": "true"})


def _read_corrections(path: Path) -> tuple[list[Correction], list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise Failure(REFUSED, f"{path}: no such file; write one with `govbus dlq export`") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise Failure(DAMAGED_INPUT, f"{path}: cannot be read: {exc}") from exc
    fixes, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        parsed = parse_line(number, line)
        if isinstance(parsed, str):
            problems.append(parsed)
        elif parsed is not None:
            fixes.append(parsed)
    return fixes, problems


@dlq_app.command("resend")
def resend_cmd(letters: Path = typer.Argument(..., help="A file written by `govbus dlq export`, corrected."),
               note: str = NOTE) -> None:
    """Send the corrected records of an export back to their raw topics as re-drives of their
    letters (lineage names the letter); nothing is sent unless every line is sound."""
    note = checked_note(note)
    fixes, problems = _read_corrections(letters)
    datasets = sorted({fix.dataset for fix in fixes})
    for dataset in datasets:
        known_dataset(GovbusSettings(), dataset)
    if len(datasets) > 1:
        problems.append(f"{letters}: letters of {', '.join(datasets)}: resend one dataset's export at a time")
    if problems or not fixes:
        for problem in problems or [f"{letters}: no letters in the file"]:
            console.print(problem, markup=False, highlight=False, soft_wrap=True)
        raise Failure(REFUSED, f"nothing was sent: {len(problems)} line(s) to fix in {letters}")
    _resend(datasets[0], fixes, note)


def _resend(dataset: str, fixes: list[Correction], note: str) -> None:
    settings, serde, topic = setup(dataset)
    schema = load_schemas(settings.schemas_dir)[dataset]
    wanted = {fix.offset for fix in fixes if fix.dlq_topic == topic}
    letters = {o: letter for o, letter in read_letters(settings, serde, topic) if o in wanted}
    raw, now, ready, problems = topic_names(settings).raw(dataset), datetime.now(timezone.utc), [], []
    for fix in fixes:
        letter = letters.get(fix.offset) if fix.dlq_topic == topic else None
        if letter is None:
            problems.append(f"{fix.where}: no such letter on {topic}")
            continue
        result = corrected_record(fix, letter, _decoded(serde, letter, schema.tags).record, schema, raw, now)
        if isinstance(result, str):
            problems.append(result)
        else:
            ready.append((fix, letter, result.value))
    if problems:
        for problem in problems:
            console.print(problem, markup=False, highlight=False, soft_wrap=True)
        raise Failure(REFUSED, f"nothing was sent: {len(problems)} line(s) to fix")
    _send(settings, serde, topic, dataset, note, ready)


def _send(settings: GovbusSettings, serde: Serde, topic: str, dataset: str, note: str,
          ready: list[tuple[Correction, dict[str, Any], dict[str, Any]]]) -> None:
    log = open_log(settings)
    redriver = Redriver(settings, serde, topic, note).open(dataset)
    schema = load_schemas(settings.schemas_dir)[dataset]
    subject = value_subject(redriver.raw)
    serde.prepare(subject, schema.schema)
    for fix, letter, record in ready:
        redriver.send(letter, fix.offset, serde.encode(subject, record), {"corrected": "true"})
    if not redriver.flushed():
        raise Failure(STOPPED_PART_WAY, f"the broker did not acknowledge every record within a minute; "
                      f"consume {redriver.raw} before resending (the processor drops repeated event ids)")
    publish(log, redriver.actions)
    console.print(f"resent {len(ready)} corrected records to {redriver.raw} as {settings.kafka_user}",
                  highlight=False)
