"""Row filters: structured conditions compiled into predicates (never ``eval``)."""
from __future__ import annotations

from typing import Any, Callable

from govbus.core.agreements import Condition

Predicate = Callable[[dict[str, Any]], bool]


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
