"""``govbus pool query <recipient> <dataset> [--where col=value …] [--limit N]``: look into a pool.

Reads the recipient's pool table (``GOVBUS_POOL_URL``) as the pool sink laid it out
(consumers.pool.pools.pool_table_ref) and prints rows as a table, ordered by the primary key.
Read-only; the table is reflected from the database, so it shows whatever columns the sink added.
Rows are personal data: each query, with its required ``--note``, is a view action of the
identity the command connects as, on the audit chain, naming the event ids of the rows shown
(`govbus audit who-received --id-no` finds it through them).
"""
from __future__ import annotations

import base64
from datetime import date, datetime, time, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

import typer
from rich.console import Console
from rich.table import Table as RichTable
from sqlalchemy import Column, MetaData, Table, and_, create_engine, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import NoSuchTableError

from commands.endpoints import with_endpoints
from commands.operator_actions import NOTE, checked_note, open_log, publish
from govbus.core import identities
from govbus.core.actions import Act, action_record
from govbus.core.settings import GovbusSettings

pool_app = typer.Typer(help="The shared pools the sink fills: query a recipient's dataset table.",
                       no_args_is_help=True)
ENVELOPE_PREFIX = "env_"  # the sink's flattened envelope columns (consumers.pool.logic)
EVENT_ID_COLUMN = "env_event_id"  # consumers.pool.logic FALLBACK_KEY: the record's envelope event id
# bus-admin on the local stack unless GOVBUS_KAFKA_USER names an operator: the view is recorded
# as an action of that identity.
POOL_IDENTITY = identities.ADMIN


@pool_app.callback()
def _group() -> None:
    # A group even with one command, so `pool query` keeps its name when more commands come.
    pass


def _say(text: str, stderr: bool = False) -> None:
    Console(stderr=stderr, highlight=False).print(text, markup=False, soft_wrap=True)


def _fail(text: str) -> typer.Exit:
    _say(text, stderr=True)
    return typer.Exit(1)


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "t", "1", "yes"):
        return True
    if lowered in ("false", "f", "0", "no"):
        return False
    raise ValueError(f"{text!r} is not a boolean")


def _parse_datetime(text: str, dialect: str) -> datetime:
    value = datetime.fromisoformat(text)
    value = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    # The pool keeps UTC; SQLite stores it without an offset, so compare without one there.
    return value.replace(tzinfo=None) if dialect == "sqlite" else value


def coerce(column: Column, text: str, dialect: str) -> Any:
    """The command-line text as a value of the column's type, so comparisons use the type's
    equality (a bigint column compared with 42, not with '42'). Raises ValueError."""
    try:
        kind = column.type.python_type
    except NotImplementedError:  # a type SQLAlchemy cannot map: compare as text
        return text
    parsers: dict[type, Callable[[str], Any]] = {
        bool: _parse_bool, int: int, float: float, Decimal: Decimal, date: date.fromisoformat,
        time: time.fromisoformat, bytes: base64.b64decode}
    if kind is datetime:
        return _parse_datetime(text, dialect)
    try:
        return parsers.get(kind, str)(text)
    except InvalidOperation as exc:
        raise ValueError(f"{text!r} is not a decimal") from exc


def conditions(table: Table, where: list[str], dialect: str) -> list[Any]:
    """``col=value`` pairs as SQL conditions; raises typer.BadParameter naming the bad one."""
    found = []
    for item in where:
        name, sep, text = item.partition("=")
        if not sep or name.strip() not in table.c:
            raise typer.BadParameter(f"{item!r}: expected col=value with col one of "
                                     f"{', '.join(table.c.keys())}", param_hint="--where")
        column = table.c[name.strip()]
        try:
            found.append(column == coerce(column, text, dialect))
        except ValueError as exc:
            raise typer.BadParameter(f"{item!r}: {exc}", param_hint="--where") from exc
    return found


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)


def _reflect(engine: Engine, settings: GovbusSettings, recipient: str, dataset: str) -> Table:
    from consumers.pool.pools import pool_table_ref

    ref = pool_table_ref(settings, recipient, dataset)
    try:
        return Table(ref.name, MetaData(), schema=ref.schema, autoload_with=engine)
    except NoSuchTableError:
        raise _fail(f"no pool table {ref} for {recipient} / {dataset} (has the sink stored any?); "
                    f"pool tables here: {', '.join(_pool_tables(engine)) or 'none'}") from None


def _pool_tables(engine: Engine) -> list[str]:
    """Pool tables: in the base/theme/dept schemas (PostgreSQL) or prefixed *_pool_* (SQLite)."""
    found = inspect(engine)
    if engine.dialect.name == "postgresql":
        schemas = [s for s in ("base", "theme", "dept") if s in found.get_schema_names()]
        return sorted(f"{s}.{t}" for s in schemas for t in found.get_table_names(schema=s))
    return sorted(t for t in found.get_table_names() if "_pool_" in t)


@pool_app.command("query")
def query_cmd(recipient: str = typer.Argument(..., help="Recipient department code, e.g. police."),
              dataset: str = typer.Argument(..., help="Dataset, e.g. hotline.work_order."),
              where: list[str] = typer.Option([], "--where", help="col=value; repeat to AND several."),
              limit: int = typer.Option(50, min=1, help="At most this many rows."),
              envelope: bool = typer.Option(False, help="Also show the env_* (envelope) columns."),
              note: str = NOTE) -> None:
    """Print rows of a recipient's pool table, ordered by its primary key (recorded as a view)."""
    note, settings = checked_note(note), GovbusSettings()
    engine = create_engine(settings.pool_url)
    try:
        table = _reflect(engine, settings, recipient, dataset)
        log = open_log(with_endpoints(settings, identity=POOL_IDENTITY))
        shown = [c for c in table.columns if envelope or not c.name.startswith(ENVELOPE_PREFIX)
                 or c.primary_key]
        ids = [table.c[EVENT_ID_COLUMN]] if EVENT_ID_COLUMN in table.c else []
        query = (select(*shown, *ids).where(and_(True, *conditions(table, where, engine.dialect.name)))
                 .order_by(*table.primary_key.columns).limit(limit))
        with engine.connect() as conn:
            found = conn.execute(query).all()
    finally:
        engine.dispose()
    rows = [row[:len(shown)] for row in found]
    publish(log, [action_record(Act.POOL_VIEW, note, table.name, datetime.now(timezone.utc), dataset=dataset,
                                event_ids=[str(row[-1]) for row in found if ids and row[-1] is not None],
                                details={"recipient": recipient, "where": " AND ".join(where),
                                         "rows": str(len(rows))})])
    out = RichTable(title=f"{table.name}: {len(rows)} row(s)" + (f" (limit {limit})" if len(rows) == limit else ""),
                    title_justify="left")
    for column in shown:
        out.add_column(column.name, overflow="fold")
    for row in rows:
        out.add_row(*(_cell(v) for v in row))
    Console(highlight=False).print(out)
