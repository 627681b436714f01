"""Row filters: structured conditions compiled into predicates (never ``eval``), and the
admission test of an agreement's plan that ends with one."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from govbus.core.agreements import Agreement, Condition, Status

Predicate = Callable[[dict[str, Any]], bool]
Admission = Callable[[dict[str, Any], datetime], bool]


def _always(_record: dict[str, Any]) -> bool:
    return True


def _comparable(a: Any, b: Any) -> bool:
    try:
        a < b  # noqa: B015 - probing comparability
    except TypeError:
        return False
    return True


def _field_test(condition: Condition) -> Predicate:
    name = condition.field
    assert name is not None  # compile_condition handled all/any/not: this is a field's test
    if condition.eq is not None:
        return lambda r: r.get(name) == condition.eq
    if condition.ne is not None:
        return lambda r: r.get(name) != condition.ne
    if condition.in_ is not None:
        allowed = set(condition.in_)
        return lambda r: r.get(name) in allowed
    if condition.not_in is not None:
        refused = set(condition.not_in)
        return lambda r: r.get(name) not in refused
    if condition.prefix is not None:
        return lambda r: isinstance(r.get(name), str) and r[name].startswith(condition.prefix)
    bound, above = (condition.gte, True) if condition.gte is not None else (condition.lte, False)
    # A value that cannot be compared with the bound (None, another type) does not match.
    if above:
        return lambda r: _comparable(r.get(name), bound) and r[name] >= bound
    return lambda r: _comparable(r.get(name), bound) and r[name] <= bound


def compile_condition(condition: Condition | None) -> Predicate:
    if condition is None:
        return _always
    if condition.all is not None:
        parts = [compile_condition(c) for c in condition.all]
        return lambda r: all(p(r) for p in parts)
    if condition.any is not None:
        parts = [compile_condition(c) for c in condition.any]
        return lambda r: any(p(r) for p in parts)
    if condition.not_ is not None:
        inner = compile_condition(condition.not_)
        return lambda r: not inner(r)
    return _field_test(condition)


def compile_admission(agreement: Agreement, jurisdiction_prefix: str, row_filter: Predicate) -> Admission:
    """In force at ``now`` (``Agreement.in_force``), the record inside the recipient's jurisdiction,
    and ``row_filter`` holds. Compiled here, once per plan: as a method of the plan it was two
    Python calls per agreement and record (~1 µs; the agreement is frozen, its window with it)."""
    active = agreement.status is Status.active
    valid_from, valid_to = agreement.valid_from, agreement.valid_to

    def admits(record: dict[str, Any], now: datetime) -> bool:
        region = str(record["envelope"]["region_code"])
        return (active and valid_from <= now < valid_to and region.startswith(jurisdiction_prefix)
                and row_filter(record))
    return admits
