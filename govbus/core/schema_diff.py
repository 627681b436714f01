"""Why a schema change is incompatible: a pure diff of two Avro schemas, field by field.

Split from ``governance`` (which talks to the registry): the registry's verdict decides pass or
fail, but Apicurio's verbose mode names no field, so the explanation is computed here.
"""
from __future__ import annotations

from typing import Any

from govbus.core.catalogue import Compatibility

NEW_READS_OLD = "readers of the new schema cannot read old records"
OLD_READS_NEW = "readers of the old schema cannot read new records"
PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
# writer type -> reader types that can read it (Avro specification, "Schema Resolution").
PROMOTIONS: dict[str, frozenset[str]] = {
    "int": frozenset({"long", "float", "double"}),
    "long": frozenset({"float", "double"}),
    "float": frozenset({"double"}),
    "string": frozenset({"bytes"}),
    "bytes": frozenset({"string"}),
}



# --- the pure explanation ------------------------------------------------------------------

NEW_READS_OLD_DIRECTION = "new_reads_old"
OLD_READS_NEW_DIRECTION = "old_reads_new"
_DIRECTIONS: dict[str, tuple[str, ...]] = {
    "BACKWARD": (NEW_READS_OLD_DIRECTION,), "FORWARD": (OLD_READS_NEW_DIRECTION,),
    "FULL": (NEW_READS_OLD_DIRECTION, OLD_READS_NEW_DIRECTION), "NONE": (),
}
_WHY = {NEW_READS_OLD_DIRECTION: NEW_READS_OLD, OLD_READS_NEW_DIRECTION: OLD_READS_NEW}


def explain_incompatibility(old: Any, new: Any, mode: str | Compatibility) -> list[str]:
    """Why ``new`` may not follow ``old`` under ``mode``, one sentence per broken field, e.g.
    ``field caller_age added without a default — BACKWARD forbids it (readers of the new schema
    cannot read old records)``. Empty when the change is allowed. Pure: Avro's resolution rules
    applied to the two schemas (JSON, self-contained), naming nested fields by path
    (``envelope.lineage[].stage``; ``{}`` for map values). A ``*_TRANSITIVE`` mode explains the
    one pair given; the caller passes each registered version in turn."""
    mode = str(getattr(mode, "value", mode)).upper()
    base = mode.removesuffix("_TRANSITIVE")
    if base not in _DIRECTIONS:
        raise ValueError(f"unknown compatibility mode {mode!r}")
    found: dict[str, list[str]] = {}  # problem -> why, per direction that breaks
    for direction in _DIRECTIONS[base]:
        if direction == NEW_READS_OLD_DIRECTION:
            problems = _Resolver(writer=old, reader=new, old_is_writer=True).check()
        else:
            problems = _Resolver(writer=new, reader=old, old_is_writer=False).check()
        for problem, detail in problems:
            why = _WHY[direction] + (f": {detail}" if detail else "")
            if why not in found.setdefault(problem, []):
                found[problem].append(why)
    return [f"{problem} — {mode} forbids it ({'; '.join(whys)})" for problem, whys in found.items()]


def _named_types(schema: Any, namespace: str = "", out: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every named type (record, enum, fixed) defined in ``schema``, by full and by short name."""
    out = {} if out is None else out
    if isinstance(schema, list):
        for branch in schema:
            _named_types(branch, namespace, out)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind in ("record", "error", "enum", "fixed") and "name" in schema:
            full, namespace = _full_name(schema, namespace)
            out[full] = schema
            out.setdefault(_short(full), schema)
            for f in schema.get("fields", ()):
                _named_types(f.get("type"), namespace, out)
        elif kind == "array":
            _named_types(schema.get("items"), namespace, out)
        elif kind == "map":
            _named_types(schema.get("values"), namespace, out)
        elif isinstance(kind, (dict, list)):
            _named_types(kind, namespace, out)
    return out


def _full_name(schema: dict[str, Any], namespace: str) -> tuple[str, str]:
    name = schema["name"]
    if "." in name:
        return name, name.rsplit(".", 1)[0]
    namespace = schema.get("namespace", namespace) or ""
    return (f"{namespace}.{name}" if namespace else name), namespace


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


_COMPLEX = frozenset({"record", "error", "enum", "fixed", "array", "map"})


def _label(schema: Any) -> str:
    """A short readable rendering of a type, for messages: ``string``, ``[null, string]``,
    ``record Envelope``, ``array<string>``, ``long (timestamp-millis)``."""
    if isinstance(schema, str):
        return _short(schema)
    if isinstance(schema, list):
        return "[" + ", ".join(_label(s) for s in schema) + "]"
    kind = schema.get("type")
    if kind in ("record", "error", "enum", "fixed"):
        return f"{kind} {_short(schema['name'])}"
    if kind == "array":
        return f"array<{_label(schema['items'])}>"
    if kind == "map":
        return f"map<{_label(schema['values'])}>"
    if "logicalType" in schema:
        return f"{_label(kind)} ({schema['logicalType']})"
    return _label(kind)


class _Resolver:
    """Can a reader of ``reader`` read data written with ``writer``? Collects every reason it
    cannot, as (problem, detail): the problem in terms of the old and new schemas (so that both
    directions of FULL name it alike), the detail in terms of this direction's reader and writer
    (Avro specification, "Schema Resolution"; Avro's ``SchemaCompatibility`` as the registry runs
    it: logical types are ignored, named types match on the unqualified name or an alias, an enum
    default absorbs unknown symbols)."""

    def __init__(self, writer: Any, reader: Any, old_is_writer: bool) -> None:
        self.writer_names = _named_types(writer)
        self.reader_names = _named_types(reader)
        self.writer, self.reader = writer, reader
        self.old_is_writer = old_is_writer
        self.seen: set[tuple[int, int]] = set()

    def check(self) -> list[tuple[str, str]]:
        return list(dict.fromkeys(self.resolve(self.writer, self.reader, "")))

    def _old_new(self, writer: Any, reader: Any) -> tuple[Any, Any]:
        return (writer, reader) if self.old_is_writer else (reader, writer)

    @staticmethod
    def _deref(schema: Any, names: dict[str, Any]) -> Any:
        """Named references resolved; ``{"type": "string"}`` and ``{"type": <type>}`` unwrapped
        (a primitive with a logicalType is kept whole, for its label)."""
        for _ in range(16):
            if isinstance(schema, str):
                if schema in PRIMITIVES:
                    return schema
                resolved = names.get(schema) or names.get(_short(schema))
                if resolved is None:
                    return schema
                schema = resolved
            elif isinstance(schema, dict):
                kind = schema.get("type")
                if isinstance(kind, (dict, list)) or (
                        isinstance(kind, str) and kind not in PRIMITIVES and kind not in _COMPLEX):
                    schema = kind
                elif kind in PRIMITIVES and "logicalType" not in schema:
                    return kind
                else:
                    return schema
            else:
                return schema
        return schema

    @staticmethod
    def _kind(schema: Any) -> str:
        if isinstance(schema, str):
            return schema
        if isinstance(schema, list):
            return "union"
        kind = schema.get("type")
        return "record" if kind == "error" else str(kind)

    @staticmethod
    def _what(path: str) -> str:
        return f"field {path}" if path else "the record"

    @staticmethod
    def _same_name(writer: dict[str, Any], reader: dict[str, Any]) -> bool:
        names = {_short(reader["name"])} | {_short(a) for a in reader.get("aliases", ())}
        return _short(writer["name"]) in names

    def resolve(self, writer: Any, reader: Any, path: str) -> list[tuple[str, str]]:
        writer = self._deref(writer, self.writer_names)
        reader = self._deref(reader, self.reader_names)
        wkind, rkind = self._kind(writer), self._kind(reader)
        if wkind == "union":
            return self._writer_union(writer, reader, path)
        if rkind == "union":
            branch = self._matching_branch(writer, reader)
            if branch is None:
                return [self._type_changed(writer, reader, path)]
            return self.resolve(writer, branch, path)
        if wkind in PRIMITIVES or rkind in PRIMITIVES:
            if wkind == rkind or rkind in PROMOTIONS.get(wkind, ()):
                return []
            return [self._type_changed(writer, reader, path)]
        if wkind != rkind:
            return [self._type_changed(writer, reader, path)]
        if wkind in ("record", "enum", "fixed") and not self._same_name(writer, reader):
            old, new = self._old_new(writer, reader)
            return [(f"{self._what(path)} renamed its type from {_label(old)} to {_label(new)}",
                     f"{_label(reader)} cannot read {_label(writer)}")]
        if wkind == "record":
            return self._record(writer, reader, path)
        if wkind == "enum":
            return self._enum(writer, reader, path)
        if wkind == "fixed":
            if writer.get("size") == reader.get("size"):
                return []
            old, new = self._old_new(writer, reader)
            return [(f"{self._what(path)} changed fixed size from {old.get('size')} to "
                     f"{new.get('size')}", "")]
        if wkind == "array":
            return self.resolve(writer["items"], reader["items"], f"{path}[]")
        if wkind == "map":
            return self.resolve(writer["values"], reader["values"], f"{path}{{}}")
        return []

    def _type_changed(self, writer: Any, reader: Any, path: str) -> tuple[str, str]:
        old, new = self._old_new(writer, reader)
        return (f"{self._what(path)} changed type from {_label(old)} to {_label(new)}",
                f"{_label(reader)} cannot read {_label(writer)}")

    def _readable(self, writer: Any, reader: Any) -> bool:
        saved = set(self.seen)
        try:
            return not self.resolve(writer, reader, "")
        finally:
            self.seen = saved

    def _matching_branch(self, writer: Any, union: list[Any]) -> Any:
        """The reader branch to resolve ``writer`` against: one that reads it cleanly, else one of
        the same kind (and name), so that a change inside it is named; else None."""
        branches = [self._deref(b, self.reader_names) for b in union]
        for branch in branches:
            if self._readable(writer, branch):
                return branch
        wkind = self._kind(writer)
        for branch in branches:
            if self._kind(branch) == wkind and (
                    wkind not in ("record", "enum", "fixed") or self._same_name(writer, branch)):
                return branch
        return None

    def _writer_union(self, writer: list[Any], reader: Any, path: str) -> list[tuple[str, str]]:
        """Every branch the writer may use must be readable."""
        problems: list[tuple[str, str]] = []
        reader_branches = reader if isinstance(reader, list) else [reader]
        for branch in writer:
            branch = self._deref(branch, self.writer_names)
            match = self._matching_branch(branch, reader_branches)
            if match is not None:
                problems += self.resolve(branch, match, path)
            elif branch == "null":
                problem = "made non-null (was nullable)" if self.old_is_writer else \
                    "made nullable (was non-null)"
                problems.append((f"{self._what(path)} {problem}",
                                 f"{_label(reader)} cannot read null"))
            elif isinstance(reader, list):
                problem = f"no longer accepts {_label(branch)}" if self.old_is_writer else \
                    f"now also accepts {_label(branch)}"
                problems.append((f"{self._what(path)} {problem}",
                                 f"{_label(reader)} cannot read {_label(branch)}"))
            else:
                problems.append(self._type_changed(writer, reader, path))
        return problems

    def _record(self, writer: dict[str, Any], reader: dict[str, Any],
                path: str) -> list[tuple[str, str]]:
        key = (id(writer), id(reader))
        if key in self.seen:
            return []
        self.seen.add(key)
        writer_fields = {f["name"]: f for f in writer.get("fields", ())}
        problems: list[tuple[str, str]] = []
        for rfield in reader.get("fields", ()):
            names = [rfield["name"], *rfield.get("aliases", ())]
            wfield = next((writer_fields[n] for n in names if n in writer_fields), None)
            fpath = f"{path}.{rfield['name']}" if path else rfield["name"]
            if wfield is not None:
                problems += self.resolve(wfield["type"], rfield["type"], fpath)
            elif "default" not in rfield:
                problem = "added without a default" if self.old_is_writer else \
                    "removed without a default"
                problems.append((f"field {fpath} {problem}", ""))
        return problems

    def _enum(self, writer: dict[str, Any], reader: dict[str, Any],
              path: str) -> list[tuple[str, str]]:
        symbols = reader.get("symbols", ())
        missing = [s for s in writer.get("symbols", ()) if s not in symbols]
        if not missing or reader.get("default") in symbols:
            return []
        what = f"enum field {path}" if path else f"enum {_short(reader['name'])}"
        listed = ", ".join(missing)
        if self.old_is_writer:
            return [(f"{what} lost symbol(s) {listed}", "the new enum has no default")]
        return [(f"{what} gained symbol(s) {listed}", "the old enum has no default")]
