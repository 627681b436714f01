"""Ok / Fault values: every step that can fail returns one of these instead of raising.

The edge (an agent, an adapter loop) decides what a Fault becomes: a dead-letter record for a
data fault, a crash for an infrastructure fault.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Ok(Generic[T]):
    value: T


@dataclass(frozen=True, slots=True)
class Fault:
    """A data fault: why a value or record was refused.

    reason: machine-readable reason code (e.g. ``bad_check_char``);
    rule: the rule that refused it (e.g. ``GB11643.check``);
    field: the field path inside the record (empty until the record-level step fills it);
    message: a sentence a department's data steward can act on.
    """

    reason: str
    rule: str
    message: str
    field: str = ""

    def at(self, field: str) -> "Fault":
        """The same fault, located at ``field`` (prefixing any path it already has)."""
        if not self.field:
            path = field
        elif self.field.startswith("["):  # a list index: caller_ids[2], not caller_ids.[2]
            path = f"{field}{self.field}"
        else:
            path = f"{field}.{self.field}"
        return replace(self, field=path)


Result = Ok[T] | Fault
