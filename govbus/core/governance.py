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

from govbus.core.catalogue import Catalogue
from govbus.core.schema_diff import explain_incompatibility
from govbus.core.schemas import DatasetSchema
from govbus.core.topics import TopicNames, value_subject

SUBJECT_NOT_FOUND = 40401
SUBJECT_CONFIG_NOT_FOUND = 40408  # Confluent, for a subject without its own level


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
