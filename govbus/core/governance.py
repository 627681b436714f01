"""Schema governance against the real registry: register every dataset schema, and check the
working tree against what is registered, explaining a refusal field by field.

``register_all`` puts each dataset's schema under one subject per topic
(``value_subject(topics.raw(dataset))``), after setting that subject's compatibility from the
catalogue entry (BACKWARD unless the entry says otherwise). It is idempotent: registering the
same schema again returns the ids it already has and adds no version.

``check_all`` asks the registry whether each working-tree schema may follow the registered ones.
The registry's verdict decides pass or fail; ``explain_incompatibility`` (pure) says why, naming
the field and the rule broken, because the registry does not (see below).

What a mode asks (Avro schema resolution, as Avro's own ``SchemaCompatibility`` implements it):

- BACKWARD: readers of the new schema read records written with the old one. Adding a field
  without a default fails; removing a field passes; int→long passes; removing an enum symbol
  fails unless the enum has a default; nullable → non-null fails.
- FORWARD: readers of the old schema read new records. Removing a field that has no default
  fails; adding one passes; a non-null field becoming nullable fails; adding an enum symbol fails
  unless the enum has a default.
- FULL: both. So "removing a field without a default *or* changing its type fails" holds under
  FORWARD or FULL; under BACKWARD (the default) only the type change fails. Set
  ``compatibility: FULL`` in a dataset's catalogue entry to forbid removals too.
- ``*_TRANSITIVE``: the same against every registered version, not only the latest.

Apicurio Registry 3.3.3, Confluent-compatible API (``/apis/ccompat/v7``), as found by running it:

- ``PUT /config/{subject}`` works, also before the subject exists; ``GET /config/{subject}``
  answers the subject's level, or the global one once the subject exists without its own, and 404
  (40401) for an unknown subject. The global level is NONE unless set: a subject whose level was
  never set accepts any change, hence the PUT before every registration here.
- ``POST /compatibility/subjects/{s}/versions/latest?verbose=true`` answers only
  ``{"is_compatible": ...}``: ``verbose`` is accepted but no ``messages`` come back. Hence the
  explanation computed here. (A refused registration's 409 does carry a terse diff, e.g.
  ``[b at /fields/1]`` or ``reader type: INT not compatible with writer type: STRING at
  /fields/1/type``; it is quoted when registration is refused.)
- That endpoint answers ``{"is_compatible": true}`` for a subject that does not exist (Confluent
  answers 404), so "new" is decided by looking the subject up first.
- ``POST /compatibility/subjects/{s}/versions`` (no version) tests against *every* version even
  for a non-transitive level, where registration only tests the latest; so the latest is tested
  for plain levels and all versions only for ``*_TRANSITIVE`` ones, as registration does.
- ``POST /subjects/{s}/versions`` answers only ``{"id"}`` (no version); the version comes from
  ``POST /subjects/{s}`` (lookup). Registering a schema that any version of the subject already
  has returns that version's id and adds no version.
- Content is matched ignoring ``doc`` and how a named type is referred to (``Status`` vs
  ``govbus.gov_service.Status``), but not custom attributes: a change of a field's ``level`` or
  ``pii`` gets a new id and version, while a doc-only change gets the existing id, and the
  registry keeps serving the first text registered (old docs). So docs are read from
  ``schemas/avro``, never from the registry; tags from the registry are current.
- Its verdicts match Avro's resolution rules in every case tried: added/removed fields with and
  without defaults, string↔int, int→long, string↔bytes, long↔timestamp-millis, nullable↔non-null,
  enum symbols with and without an enum default, record renames (refused) and namespace changes
  (accepted), field renames through aliases (accepted), nested records inside unions.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from govbus.core.catalogue import Catalogue, Compatibility
from govbus.core.schemas import DatasetSchema
from govbus.core.topics import TopicNames, value_subject

SUBJECT_NOT_FOUND = 40401
SUBJECT_CONFIG_NOT_FOUND = 40408  # Confluent, for a subject without its own level

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


class GovernanceError(Exception):
    """Registration cannot proceed or was refused; ``str()`` says which subject and why."""


# --- results -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Registration:
    dataset: str
    subject: str
    schema_id: int
    version: int | None
    compatibility: str


@dataclass(frozen=True)
class CheckResult:
    """One subject's verdict: ``ok`` (the registry accepts the working-tree schema), ``new`` (no
    version registered yet) or ``incompatible`` (``reasons`` say which field and rule)."""

    dataset: str
    subject: str
    status: str
    compatibility: str | None = None
    latest_version: int | None = None
    detail: str = ""
    reasons: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status != "incompatible"


class RegistrationRefused(GovernanceError):
    """Some subjects refused their working-tree schema; the others were registered."""

    def __init__(self, registered: list[Registration], refused: list[CheckResult]) -> None:
        self.registered = registered
        self.refused = refused
        super().__init__("\n".join(r for result in refused for r in result.reasons))


# --- registry operations -------------------------------------------------------------------

def _avro(schema: DatasetSchema) -> Schema:
    return Schema(schema.schema_str, "AVRO")


def _subject(topics: TopicNames, dataset: str) -> str:
    return value_subject(topics.raw(dataset))


def register_all(client: SchemaRegistryClient, schemas: dict[str, DatasetSchema],
                 catalogue: Catalogue, topics: TopicNames) -> list[Registration]:
    """Register every schema under its raw topic's value subject, after setting the subject's
    compatibility from its catalogue entry. Idempotent. Raises ``GovernanceError`` before touching
    the registry when a schema has no catalogue entry, and ``RegistrationRefused`` (after
    registering the others) when the registry refuses some schemas as incompatible."""
    missing = sorted(schemas.keys() - catalogue.entries.keys())
    if missing:
        raise GovernanceError(f"no catalogue entry for {', '.join(missing)}: its compatibility "
                              f"is unknown (add {catalogue.resources_dir}/<dataset>.yaml)")
    registered: list[Registration] = []
    refused: list[CheckResult] = []
    for dataset in sorted(schemas):
        schema, subject = schemas[dataset], _subject(topics, dataset)
        mode = catalogue.entries[dataset].compatibility.value
        client.set_compatibility(subject, mode)
        try:
            schema_id = client.register_schema(subject, _avro(schema))
        except SchemaRegistryError as exc:
            if exc.http_status_code != 409:
                raise
            refused.append(_refusal(client, dataset, subject, schema, mode, exc.error_message))
            continue
        version = client.lookup_schema(subject, _avro(schema)).version
        registered.append(Registration(dataset, subject, schema_id, version, mode))
    if refused:
        raise RegistrationRefused(registered, refused)
    return registered


def _refusal(client: SchemaRegistryClient, dataset: str, subject: str, schema: DatasetSchema,
             mode: str, registry_message: str) -> CheckResult:
    result = _incompatible(client, dataset, subject, schema, mode, _latest(client, subject))
    quoted = f"{subject}: the registry says: {registry_message}"
    return CheckResult(dataset, subject, "incompatible", mode, result.latest_version,
                       "refused by the registry", result.reasons + [quoted])


def check_all(client: SchemaRegistryClient, schemas: dict[str, DatasetSchema],
              topics: TopicNames) -> list[CheckResult]:
    """Test each working-tree schema against the registry's latest version of its subject (every
    version for a ``*_TRANSITIVE`` level), with the level the registry holds for the subject."""
    return [check_one(client, dataset, schemas[dataset], topics) for dataset in sorted(schemas)]


def check_one(client: SchemaRegistryClient, dataset: str, schema: DatasetSchema,
              topics: TopicNames) -> CheckResult:
    subject = _subject(topics, dataset)
    latest = _latest(client, subject)
    if latest is None:
        return CheckResult(dataset, subject, "new", detail="not registered yet")
    mode = _compatibility(client, subject)
    if mode.endswith("_TRANSITIVE"):
        compatible = client.test_compatibility_all_versions(subject, _avro(schema), verbose=True)
    else:
        compatible = client.test_compatibility(subject, _avro(schema), "latest", verbose=True)
    if compatible:
        found = _lookup(client, subject, schema)
        if found is not None and found.version == latest.version:
            detail = f"unchanged (version {found.version}, id {found.schema_id})"
        elif found is not None:
            detail = f"already registered as version {found.version} (latest is {latest.version})"
        else:
            detail = f"compatible change to version {latest.version} under {mode}"
        return CheckResult(dataset, subject, "ok", mode, latest.version, detail)
    return _incompatible(client, dataset, subject, schema, mode, latest)


def _incompatible(client: SchemaRegistryClient, dataset: str, subject: str, schema: DatasetSchema,
                  mode: str, latest: Any) -> CheckResult:
    """The registry refused ``schema``: explain it against the version(s) it was tested with."""
    reasons: list[str] = []
    if latest is not None:
        against = [(latest.version, latest.schema.schema_str)]
        if mode.endswith("_TRANSITIVE"):
            against = [(v, client.get_version(subject, v).schema.schema_str)
                       for v in sorted(client.get_versions(subject), reverse=True)]
        for version, old_str in against:
            found = explain_incompatibility(_json(old_str), schema.schema, mode)
            suffix = "" if version == latest.version else f" [against version {version}]"
            reasons += [f"{subject}: {why}{suffix}" for why in found if
                        f"{subject}: {why}" not in reasons]
    if not reasons:
        reasons = [f"{subject}: the registry refuses this schema under {mode} against version "
                   f"{getattr(latest, 'version', '?')}, and no field-level cause was found; "
                   "compare the schema with the registered one"]
    return CheckResult(dataset, subject, "incompatible", mode,
                       getattr(latest, "version", None), "refused by the registry", reasons)


def _latest(client: SchemaRegistryClient, subject: str) -> Any:
    """The subject's latest registered version, fresh (the client caches latest versions), or
    None when the subject does not exist."""
    client.clear_latest_caches()
    try:
        return client.get_latest_version(subject)
    except SchemaRegistryError as exc:
        if exc.http_status_code == 404 and exc.error_code == SUBJECT_NOT_FOUND:
            return None
        raise


def _compatibility(client: SchemaRegistryClient, subject: str) -> str:
    try:
        return str(client.get_compatibility(subject))
    except SchemaRegistryError as exc:  # Confluent: the subject has no level of its own
        if exc.http_status_code != 404 or exc.error_code != SUBJECT_CONFIG_NOT_FOUND:
            raise
        return str(client.get_compatibility())


def _lookup(client: SchemaRegistryClient, subject: str, schema: DatasetSchema) -> Any:
    """The version of ``subject`` the registry considers equal to ``schema``, or None. (Apicurio
    matches ignoring ``doc`` and name qualification, see the module docstring.)"""
    try:
        return client.lookup_schema(subject, _avro(schema))
    except SchemaRegistryError as exc:
        if exc.http_status_code == 404:
            return None
        raise


def _json(schema_str: str) -> Any:
    return json.loads(schema_str)


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
