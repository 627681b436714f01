"""``explain_incompatibility``: old/new schema pairs and the sentences that explain a refusal.

The same table runs against the real registry in
tests/integration/govbus/core/test_schema_governance.py, which checks that the registry's verdict is
"compatible" exactly when the explanation here is empty.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest

from govbus.core.catalogue import Compatibility
from govbus.core.schema_diff import NEW_READS_OLD, OLD_READS_NEW, explain_incompatibility
from govbus.core.schemas import load_schemas
from tests.support.helpers import SCHEMAS_DIR


def rec(*fields: dict[str, Any], name: str = "R", namespace: str = "t") -> dict[str, Any]:
    return {"type": "record", "name": name, "namespace": namespace, "fields": list(fields)}


def f(name: str, ftype: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": ftype, **extra}


def enum(*symbols: str, default: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "enum", "name": "E", "symbols": list(symbols)}
    return out | ({"default": default} if default else {})


A = f("a", "string")
OPT_B = f("b", ["null", "string"], default=None)
B = f("b", "string")
B_DEF = f("b", "string", default="x")
INNER = {"type": "record", "name": "Inner", "fields": [f("x", "string")]}
INNER_PLUS = {"type": "record", "name": "Inner", "fields": [f("x", "string"), f("y", "int")]}


@dataclass(frozen=True)
class Case:
    id: str
    old: dict[str, Any]
    new: dict[str, Any]
    mode: str
    expected: list[str]  # each full sentence; [] = compatible


def why(mode: str, *directions: str) -> str:
    return f" — {mode} forbids it ({'; '.join(directions)})"


NEW, OLD = NEW_READS_OLD, OLD_READS_NEW

CASES = [
    # added fields
    Case("add required field, BACKWARD", rec(A), rec(A, f("caller_age", "int")), "BACKWARD",
         ["field caller_age added without a default" + why("BACKWARD", NEW)]),
    Case("add required field, FORWARD", rec(A), rec(A, B), "FORWARD", []),
    Case("add required field, FULL", rec(A), rec(A, B), "FULL",
         ["field b added without a default" + why("FULL", NEW)]),
    Case("add optional field, BACKWARD", rec(A), rec(A, OPT_B), "BACKWARD", []),
    Case("add optional field, FULL", rec(A), rec(A, OPT_B), "FULL", []),
    Case("add field with a default, FULL", rec(A), rec(A, B_DEF), "FULL", []),
    Case("add required field, NONE", rec(A), rec(A, B), "NONE", []),
    # removed fields
    Case("remove field without default, BACKWARD", rec(A, B), rec(A), "BACKWARD", []),
    Case("remove field without default, FORWARD", rec(A, B), rec(A), "FORWARD",
         ["field b removed without a default" + why("FORWARD", OLD)]),
    Case("remove field without default, FULL", rec(A, B), rec(A), "FULL",
         ["field b removed without a default" + why("FULL", OLD)]),
    Case("remove field with a default, FULL", rec(A, B_DEF), rec(A), "FULL", []),
    Case("remove optional field, FULL_TRANSITIVE", rec(A, OPT_B), rec(A), "FULL_TRANSITIVE", []),
    # type changes
    Case("string to int, BACKWARD", rec(A, B), rec(A, f("b", "int")), "BACKWARD",
         ["field b changed type from string to int" + why("BACKWARD", f"{NEW}: int cannot read string")]),
    Case("string to int, FULL", rec(A, B), rec(A, f("b", "int")), "FULL",
         ["field b changed type from string to int" + why(
             "FULL", f"{NEW}: int cannot read string", f"{OLD}: string cannot read int")]),
    Case("int to long, BACKWARD (promotion)", rec(f("n", "int")), rec(f("n", "long")), "BACKWARD", []),
    Case("int to long, FORWARD", rec(f("n", "int")), rec(f("n", "long")), "FORWARD",
         ["field n changed type from int to long" + why("FORWARD", f"{OLD}: int cannot read long")]),
    Case("int to double, BACKWARD", rec(f("n", "int")), rec(f("n", "double")), "BACKWARD", []),
    Case("long to float, BACKWARD", rec(f("n", "long")), rec(f("n", "float")), "BACKWARD", []),
    Case("float to double, BACKWARD", rec(f("n", "float")), rec(f("n", "double")), "BACKWARD", []),
    Case("double to float, BACKWARD", rec(f("n", "double")), rec(f("n", "float")), "BACKWARD",
         ["field n changed type from double to float" + why("BACKWARD", f"{NEW}: float cannot read double")]),
    Case("string to bytes, FULL", rec(A), rec(f("a", "bytes")), "FULL", []),
    Case("long to timestamp-millis, FULL (logical types ignored)", rec(f("t", "long")),
         rec(f("t", {"type": "long", "logicalType": "timestamp-millis"})), "FULL", []),
    Case("int to [null, long], BACKWARD", rec(f("n", "int")),
         rec(f("n", ["null", "long"], default=None)), "BACKWARD", []),
    # nullability
    Case("nullable to non-null, BACKWARD", rec(A, OPT_B), rec(A, B), "BACKWARD",
         ["field b made non-null (was nullable)" + why("BACKWARD", f"{NEW}: string cannot read null")]),
    Case("nullable to non-null, FORWARD", rec(A, OPT_B), rec(A, B), "FORWARD", []),
    Case("non-null to nullable, BACKWARD", rec(A, B), rec(A, OPT_B), "BACKWARD", []),
    Case("non-null to nullable, FORWARD", rec(A, B), rec(A, OPT_B), "FORWARD",
         ["field b made nullable (was non-null)" + why("FORWARD", f"{OLD}: string cannot read null")]),
    Case("union loses a branch, BACKWARD", rec(f("v", ["null", "string", "int"])),
         rec(f("v", ["null", "string"])), "BACKWARD",
         ["field v no longer accepts int" + why("BACKWARD", f"{NEW}: [null, string] cannot read int")]),
    # enums
    Case("enum symbol removed, BACKWARD", rec(f("e", enum("X", "Y"))), rec(f("e", enum("X"))),
         "BACKWARD", ["enum field e lost symbol(s) Y" + why("BACKWARD", f"{NEW}: the new enum has no default")]),
    Case("enum symbol removed, FORWARD", rec(f("e", enum("X", "Y"))), rec(f("e", enum("X"))),
         "FORWARD", []),
    Case("enum symbol removed with an enum default, BACKWARD", rec(f("e", enum("X", "Y", default="X"))),
         rec(f("e", enum("X", default="X"))), "BACKWARD", []),
    Case("enum symbol added, FORWARD", rec(f("e", enum("X"))), rec(f("e", enum("X", "Y"))),
         "FORWARD", ["enum field e gained symbol(s) Y" + why("FORWARD", f"{OLD}: the old enum has no default")]),
    Case("enum symbol added, BACKWARD", rec(f("e", enum("X"))), rec(f("e", enum("X", "Y"))),
         "BACKWARD", []),
    # nesting, names, aliases
    Case("nested field added inside a nullable record, BACKWARD",
         rec(f("n", ["null", INNER], default=None)), rec(f("n", ["null", INNER_PLUS], default=None)),
         "BACKWARD", ["field n.y added without a default" + why("BACKWARD", NEW)]),
    Case("array item record changed type, BACKWARD", rec(f("hops", {"type": "array", "items": INNER})),
         rec(f("hops", {"type": "array", "items": {**INNER, "fields": [f("x", "int")]}})), "BACKWARD",
         ["field hops[].x changed type from string to int" + why("BACKWARD", f"{NEW}: int cannot read string")]),
    Case("map values changed type, BACKWARD", rec(f("m", {"type": "map", "values": "string"})),
         rec(f("m", {"type": "map", "values": "boolean"})), "BACKWARD",
         ["field m{} changed type from string to boolean"
          + why("BACKWARD", f"{NEW}: boolean cannot read string")]),
    Case("record renamed, BACKWARD", rec(A), rec(A, name="S"), "BACKWARD",
         ["the record renamed its type from record R to record S"
          + why("BACKWARD", f"{NEW}: record S cannot read record R")]),
    Case("namespace changed, BACKWARD", rec(A), rec(A, namespace="u"), "BACKWARD", []),
    Case("field renamed with an alias, BACKWARD", rec(A), rec(f("a2", "string", aliases=["a"])),
         "BACKWARD", []),
    Case("field renamed without an alias, BACKWARD", rec(A), rec(f("a2", "string")), "BACKWARD",
         ["field a2 added without a default" + why("BACKWARD", NEW)]),
    Case("doc and custom attributes changed, FULL", rec(f("a", "string", doc="x", level="L2")),
         rec(f("a", "string", doc="y", level="L4", pii="name")), "FULL", []),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_explanations(case: Case) -> None:
    assert explain_incompatibility(case.old, case.new, case.mode) == case.expected


def test_the_issue_example_reads_as_promised() -> None:
    old = load_schemas(SCHEMAS_DIR)["hotline.work_order"].schema
    new = copy.deepcopy(old)
    new["fields"].append({"name": "caller_age", "type": "int", "doc": "Age.", "level": "L2"})
    assert explain_incompatibility(old, new, Compatibility.BACKWARD) == [
        "field caller_age added without a default — BACKWARD forbids it (readers of the new "
        "schema cannot read old records)"]


def test_a_change_deep_in_the_shared_envelope_is_named_by_path() -> None:
    old = load_schemas(SCHEMAS_DIR)["fire.alarm"].schema
    new = copy.deepcopy(old)
    envelope = next(fl for fl in new["fields"] if fl["name"] == "envelope")
    hop = envelope["type"]["fields"][-1]["type"]["items"]
    next(fl for fl in hop["fields"] if fl["name"] == "stage")["type"] = "int"
    assert explain_incompatibility(old, new, "FULL") == [
        "field envelope.lineage[].stage changed type from string to int — FULL forbids it "
        f"({NEW}: int cannot read string; {OLD}: string cannot read int)"]


@pytest.mark.parametrize("dataset", sorted(load_schemas(SCHEMAS_DIR)))
def test_every_shipped_schema_is_fully_compatible_with_itself(dataset: str) -> None:
    schema = load_schemas(SCHEMAS_DIR)[dataset].schema
    assert explain_incompatibility(schema, copy.deepcopy(schema), "FULL_TRANSITIVE") == []


def test_removing_a_shipped_field_is_named_under_full_but_allowed_under_backward() -> None:
    old = load_schemas(SCHEMAS_DIR)["population.resident"].schema
    new = copy.deepcopy(old)
    new["fields"] = [fl for fl in new["fields"] if fl["name"] != "phone"]
    assert explain_incompatibility(old, new, "BACKWARD") == []
    phone_is_optional = "default" in next(fl for fl in old["fields"] if fl["name"] == "phone")
    assert explain_incompatibility(old, new, "FULL") == ([] if phone_is_optional else [
        f"field phone removed without a default — FULL forbids it ({OLD})"])


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="SIDEWAYS"):
        explain_incompatibility(rec(A), rec(A), "SIDEWAYS")
