"""Pure parts of SQL table polling: row → record, watermarks, and their persisted form.

A table is read incrementally by keyset pagination over (watermark column, tie-breaker column):
the watermark is a timestamp or an increasing id, the tie-breaker a unique column (usually the
primary key) that orders rows sharing one watermark value, so a batch boundary that falls inside
a run of equal timestamps neither repeats nor skips a row.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Mapping

from sqlalchemy.engine import make_url

from govbus.core.records import coerce_record
from govbus.core.result import Fault, Ok
from govbus.core.schemas import DatasetSchema
from producers.sdk.envelope import Source, envelope_for, jsonable, versioned_record
from producers.sdk.mapping import MappingError
from producers.sdk.mapping import load_mapping as load_file_mapping


class PollError(RuntimeError):
    """An infrastructure or configuration fault: the poller stops rather than guess."""


@dataclass(frozen=True)
class PollSpec:
    """What to poll: ``watermark`` orders rows, ``tiebreak`` (unique) orders equal watermarks."""

    url: str
    table: str
    watermark: str
    dataset: str
    tiebreak: str | None = None
    batch: int = 1000


@dataclass(frozen=True)
class ColumnMapping:
    """Column → field renames, label → value translations, fixed fields, ignored columns."""

    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    ignore: frozenset[str] = frozenset()


def load_mapping(path: Path | None, dataset: str) -> ColumnMapping:
    """A mapping file in the file importer's format (producers/sdk/mapping.py), so that a
    department writes one kind of mapping for its spreadsheets and its tables alike."""
    if path is None:
        return ColumnMapping()
    try:
        parsed = load_file_mapping(path)
    except MappingError as exc:
        raise PollError(str(exc)) from exc
    if parsed.dataset and parsed.dataset != dataset:
        raise PollError(f"{path}: mapping is for {parsed.dataset}, not {dataset}")
    return ColumnMapping(dict(parsed.columns), dict(parsed.constants),
                         {f: dict(m) for f, m in parsed.values.items()}, frozenset(parsed.ignore))


def mapping_problems(table_columns: list[str], mapping: ColumnMapping, fields: frozenset[str],
                     position_columns: set[str]) -> list[str]:
    """Everything that would make rows lose data quietly, found before a row is read: a column
    that is neither a field, mapped, ignored nor the watermark/tie-breaker; a mapping that
    names a missing column or an unknown field."""
    problems = [f"column {c!r} is not a field of the schema: map it (columns) or list it "
                "under ignore" for c in table_columns
                if mapping.columns.get(c, c) not in fields and c not in mapping.ignore
                and c not in position_columns]
    problems += [f"columns: {c!r} → unknown field {f!r}" for c, f in mapping.columns.items()
                 if f not in fields]
    problems += [f"columns: the table has no column {c!r}" for c in mapping.columns
                 if c not in table_columns]
    problems += [f"constants: unknown field {f!r}" for f in mapping.constants if f not in fields]
    return problems


def _plain(value: Any) -> Any:
    # NUMERIC comes back as Decimal: its exact text lets the coercer make an int, a double or
    # keep a string, whichever the schema field wants, without a float rounding on the way.
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, memoryview):
        return value.tobytes()
    return value


def row_to_data(row: Mapping[str, Any], mapping: ColumnMapping, fields: frozenset[str]) -> dict[str, Any]:
    """The schema fields found in ``row`` (renamed and translated by ``mapping``). Other columns
    are the watermark, the tie-breaker or ignored ones (``mapping_problems`` saw to that)."""
    data = dict(mapping.constants)
    for column, value in row.items():
        name = mapping.columns.get(column, column)
        if name in fields:
            labels = mapping.values.get(name)
            if labels and value is not None:  # an unknown label stays, for validation to refuse
                value = labels.get(_label(value), value)
            data[name] = _plain(value)
    return data


def _label(value: Any) -> str:
    # Mapping files hold labels as text (to_text in producers/sdk/mapping.py): compare as text.
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat() if isinstance(value, (date, datetime)) else str(value)


def row_to_record(schema: DatasetSchema, row: Mapping[str, Any], mapping: ColumnMapping,
                  source: Source) -> Ok[dict[str, Any]] | Fault:
    """One table row → a record with its envelope (a versioned event id), or its fault."""
    data = row_to_data(row, mapping, frozenset(schema.tags))
    # The envelope goes in before coercion so that its event time is coerced with the rest.
    result = coerce_record(schema, data | {"envelope": envelope_for(schema, data, source)})
    return Ok(versioned_record(schema, result.value)) if isinstance(result, Ok) else result


def row_bytes(row: Mapping[str, Any]) -> bytes:
    """The row as JSON text: what a dead letter keeps as the record's original bytes."""
    return json.dumps({k: jsonable(v) for k, v in row.items()}, ensure_ascii=False,
                      sort_keys=True).encode("utf-8")


# --- watermarks -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Watermark:
    """The (watermark, tie-breaker) position of the last row whose delivery was confirmed."""

    value: Any
    tiebreak: Any = None

    def key(self) -> tuple[Any, ...]:
        return (self.value, self.tiebreak)


def watermark_of(row: Mapping[str, Any], column: str, tiebreak: str | None) -> Watermark:
    return Watermark(row[column], row[tiebreak] if tiebreak else None)


def _greater(a: Any, b: Any) -> bool:
    # Text is ordered by the database's collation, which Python cannot reproduce (PostgreSQL's
    # en_US differs from code-point order): for text, only "not the same row" is checked.
    if isinstance(a, str) or isinstance(b, str):
        return a != b
    return a > b


def is_after(candidate: Watermark, previous: Watermark | None, with_tiebreak: bool) -> bool:
    """Whether ``candidate`` lies strictly after ``previous`` in keyset order."""
    if previous is None:
        return True
    if candidate.value != previous.value or not with_tiebreak:
        return _greater(candidate.value, previous.value)
    return _greater(candidate.tiebreak, previous.tiebreak)


def advance(previous: Watermark | None, batch: list[Watermark], with_tiebreak: bool) -> Watermark:
    """The watermark after ``batch``. Raises PollError if the database returned rows out of
    keyset order: saving such a watermark would loop on, or skip, rows forever."""
    last = previous
    for candidate in batch:
        if not is_after(candidate, last, with_tiebreak):
            raise PollError(f"rows not in strictly increasing (watermark, tie-breaker) order: "
                            f"{candidate.key()!r} after {last.key() if last else None!r}; "
                            "is the tie-breaker unique and never NULL?")
        last = candidate
    if last is None:
        raise PollError("advance() needs at least one row")
    return last


# Persisted as tagged JSON so that a datetime comes back a datetime (and binds as one), not text.
def encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, (bytes, memoryview)):
        return {"bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise PollError(f"cannot persist a watermark of type {type(value).__name__}")


_DECODERS: dict[str, Callable[[str], Any]] = {"datetime": datetime.fromisoformat, "date": date.fromisoformat,
             "decimal": Decimal, "bytes": base64.b64decode}


def decode_value(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        (tag, text), = value.items()
        return _DECODERS[tag](text)
    return value


def dump_watermark(mark: Watermark) -> str:
    return json.dumps([encode_value(mark.value), encode_value(mark.tiebreak)])


def load_watermark(text: str) -> Watermark:
    value, tiebreak = json.loads(text)
    return Watermark(decode_value(value), decode_value(tiebreak))


def safe_url(url: str) -> str:
    """The SQLAlchemy URL without its password: for logs, DLQ origins and state keys."""
    return make_url(url).render_as_string(hide_password=True)


def state_key(url: str, table: str, dataset: str, topic_prefix: str = "") -> str:
    """Where a poll stands is a fact about (database, table, dataset) and the bus it feeds."""
    parts = [safe_url(url), table, dataset] + ([topic_prefix] if topic_prefix else [])
    return "|".join(parts)
