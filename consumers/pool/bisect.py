"""Defence in depth: which records of a batch the pool database refuses, and why.

The cleaner refuses what the pools cannot store (govbus.core.text_rules), but a pool may still
refuse a value: an older record, a writer that skipped the processor, a database with tighter
limits (an operator's SQLite length cap, a PostgreSQL index). Without this, one such record
fails its batch at every restart and nothing after it reaches the pool.

``refusal_of`` tells a refusal of the data (SQLSTATE classes 22 data exception, 23 integrity
constraint, 54 program limit such as "index row size exceeds btree maximum"; SQLite's DataError
and IntegrityError; a value the driver cannot bind) from a fault of the infrastructure
(connection lost, disk full, locks), which it leaves to raise. ``isolate`` finds the refused
records by bisection: trial writes of halves, each rolled back, so k bad records among n cost
about 2·k·log2(n) trials and the good rows are then written once, with the offsets.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence, TypeVar

from sqlalchemy import exc as sa_exc

T = TypeVar("T")

REASON = "pool_refused"
# SQLSTATE classes that say "this value", not "this connection" (PostgreSQL Appendix A).
DATA_STATE_CLASSES = frozenset({"22", "23", "54"})
# What a driver raises for a value it cannot bind (a lone surrogate, an int beyond 64 bits).
BINDING_ERRORS: tuple[type[Exception], ...] = (UnicodeEncodeError, OverflowError)
_COPY_COLUMN = re.compile(r"\bcolumn (\w+)")
MAX_MESSAGE = 300


@dataclass(frozen=True)
class Refusal:
    """Why the database refused a write: rule ``pool.<dialect>.<SQLSTATE or error name>``, the
    database's own first line, and the column or constraint when the database said so."""

    rule: str
    message: str
    column: str = ""
    constraint: str = ""
    reason: str = REASON


def refusal_of(error: BaseException, dialect: str) -> Refusal | None:
    """The refusal ``error`` stands for, or None when it is not about the data (re-raise it)."""
    if isinstance(error, BINDING_ERRORS):
        return Refusal(f"pool.{dialect}.{type(error).__name__}", _first_line(str(error)))
    if not isinstance(error, sa_exc.DBAPIError) or error.connection_invalidated:
        return None
    orig = error.orig
    state = getattr(orig, "sqlstate", None) or ""
    by_class = isinstance(error, (sa_exc.DataError, sa_exc.IntegrityError))
    if not by_class and state[:2] not in DATA_STATE_CLASSES:
        return None
    code = state or getattr(orig, "sqlite_errorname", None) or type(orig).__name__
    diag = getattr(orig, "diag", None)
    column = getattr(diag, "column_name", None) or ""
    found = _COPY_COLUMN.search(getattr(diag, "context", None) or "")
    return Refusal(f"pool.{dialect}.{code}", _first_line(str(orig)), column or (found.group(1) if found else ""),
                   getattr(diag, "constraint_name", None) or "")


def _first_line(text: str) -> str:
    """The first line only: DETAIL and CONTEXT lines may quote the refused value."""
    line = text.strip().splitlines()[0] if text.strip() else "refused"
    return line[:MAX_MESSAGE]


def isolate(entries: Sequence[T], attempt: Callable[[Sequence[T]], Refusal | None]) -> list[tuple[T, Refusal]]:
    """Each entry ``attempt`` refuses on its own, with the refusal, in order. ``attempt`` writes
    what it is given and rolls back, returning the refusal or None (it raises for anything not
    about the data). Halves are tried independently; a half that passes is not split further."""
    if not entries:
        return []
    refusal = attempt(entries)
    if refusal is None:
        return []
    if len(entries) == 1:
        return [(entries[0], refusal)]
    middle = len(entries) // 2
    return isolate(entries[:middle], attempt) + isolate(entries[middle:], attempt)


def refused_column(refusal: Refusal, row: Mapping[str, Any], key: Sequence[str]) -> str:
    """The pool column a refusal is about: the database's word when it gave one (a column, or
    an index on the primary key), else the row's suspect value (a NUL, an undecodable character
    or an integer beyond 64 bits; failing that, the longest value)."""
    if refusal.column:
        return refusal.column
    if refusal.constraint.endswith("_pkey"):
        return ",".join(key)
    for name, value in row.items():
        if isinstance(value, str) and ("\x00" in value or any(0xD800 <= ord(c) <= 0xDFFF for c in value)):
            return name
        if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
            return name
    sized = [(len(value), name) for name, value in row.items() if isinstance(value, (str, bytes))]
    return max(sized)[1] if sized else ""
