"""The resource catalogue (``catalogue/resources/<dataset>.yaml``), after GB/T 21063.

One entry per dataset: what it is, who provides it, how it may be shared, and every field's
level (L1–L4) and PII kind. The Avro field attributes in ``schemas/avro`` are the source of the
field tags; ``validate_catalogue`` checks the catalogue against them and checks that levels and
sharing types agree (L2 internal / unconditional, L3 conditional, L4 not in clear:
docs/domain.md#field-levels-and-personal-data).

Loading is strict: an unknown key, a bad enum value or malformed YAML raises ``CatalogueError``
naming the file, the field path and the problem. ``validate_catalogue`` is pure and returns
``Problem`` values, so a CLI can print all of them at once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from govbus.core.quality_rules import QualityRules, quality_problems
from govbus.core.schemas import LEVELS, DatasetSchema
from govbus.core.text_rules import attribute_problems, key_fields_of
from govbus.core.topic_plan import (
    DEFAULT_DLQ_RETENTION,
    DEFAULT_PARTITIONS,
    DEFAULT_RETENTION,
    RETENTION_PATTERN,
)
from govbus.core.topics import TopicNames, value_subject

RESOURCES_DIR = "resources"
# Resource code: front segment (class, item, list: digits) "/" provider code "-" sequence number.
_CODE = re.compile(r"^[0-9]{6,12}/([0-9A-Z]{9,18})-[0-9]{3,6}$")
# Unified social credit code shape (GB 32100); the check character is the cleaners' business.
_USCC = r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"


class Level(StrEnum):
    L1 = "L1"
    L2 = "L2"
    L3 = "L3"
    L4 = "L4"


class PiiKind(StrEnum):
    resident_id = "resident_id"
    name = "name"
    phone = "phone"
    address = "address"
    uscc = "uscc"
    plate = "plate"
    free_text = "free_text"
    birth_date = "birth_date"
    region = "region"
    coordinates = "coordinates"
    bank_card = "bank_card"
    health = "health"
    other = "other"


class SharingType(StrEnum):
    unconditional = "unconditional"
    conditional = "conditional"
    not_shareable = "not_shareable"


class SharingMethod(StrEnum):
    subscription = "subscription"
    api = "api"
    file = "file"


class OpenAttribute(StrEnum):
    not_open = "not_open"
    conditional_open = "conditional_open"
    open = "open"


class UpdateFrequency(StrEnum):
    real_time = "real_time"
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"
    quarterly = "quarterly"
    yearly = "yearly"


class ResourceClass(StrEnum):
    base = "base"
    theme = "theme"
    department = "department"


class AdminLevel(StrEnum):
    province = "province"
    city = "city"
    county = "county"
    township = "township"
    village = "village"


class Compatibility(StrEnum):
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"
    NONE = "NONE"


# Highest field level a resource may hold, by sharing type and by open attribute
# (docs/domain.md#sharing-types-and-agreements).
MAX_LEVEL_UNCONDITIONAL = Level.L2
MAX_LEVEL_OPEN = Level.L1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ResourceName(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Provider(_Strict):
    department: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="govbus department code")
    name: str = Field(min_length=1)
    code: str = Field(pattern=_USCC, description="the department's unified social credit code")
    level: AdminLevel
    region_code: str = Field(pattern=r"^[0-9]{6}([0-9]{6})?$")


class FieldClass(_Strict):
    level: Level
    pii: PiiKind | None = None


class CatalogueEntry(_Strict):
    dataset: str = Field(pattern=r"^[a-z0-9_]+\.[a-z0-9_]+$")
    name: ResourceName
    provider: Provider
    code: str  # after provider: its check reads provider.code
    summary: str = Field(min_length=1)
    schema_subject: str
    resource_class: ResourceClass
    sharing_type: SharingType
    sharing_condition: str | None = None
    legal_basis: str | None = None
    sharing_method: SharingMethod
    open_attribute: OpenAttribute
    update_frequency: UpdateFrequency
    compatibility: Compatibility = Compatibility.BACKWARD
    published_on: date | None = None
    fields: dict[str, FieldClass] = Field(min_length=1)
    # Sizing of the dataset's topics (govbus.core.topic_plan, catalogue/README.md): raw and
    # shared topics get ``partitions`` and ``retention``; the dlq topic ``dlq_retention``.
    partitions: int = Field(default=DEFAULT_PARTITIONS, ge=1, le=10_000)
    retention: str = Field(default=DEFAULT_RETENTION, pattern=RETENTION_PATTERN)
    dlq_retention: str = Field(default=DEFAULT_DLQ_RETENTION, pattern=RETENTION_PATTERN)
    # Data-quality supervision (govbus.core.quality_rules); None: no required fields or checks.
    quality: QualityRules | None = None

    @field_validator("code")
    @classmethod
    def _code_names_provider(cls, code: str, info: ValidationInfo) -> str:
        match = _CODE.match(code)
        if match is None:
            raise ValueError(f"{code!r} is not <digits>/<provider code>-<sequence>")
        provider = info.data.get("provider")
        if provider is not None and match.group(1) != provider.code:
            raise ValueError(f"{code!r} does not carry provider.code {provider.code}")
        return code

    @property
    def max_level(self) -> Level:
        return max((f.level for f in self.fields.values()), default=Level.L1)


@dataclass(frozen=True)
class Catalogue:
    """The loaded entries by dataset, and the file each came from."""

    resources_dir: Path
    entries: dict[str, CatalogueEntry]
    paths: dict[str, Path] = field(default_factory=dict)

    def path_of(self, dataset: str) -> Path:
        return self.paths.get(dataset, self.resources_dir / f"{dataset}.yaml")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the catalogue or a schema's tags: where to fix it and what."""

    file: Path
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else str(self.file)
        return f"{where}: {self.message}"


class CatalogueError(Exception):
    """A catalogue file that cannot be loaded. ``errors`` holds (field path, problem) pairs."""

    def __init__(self, file: Path, errors: list[tuple[str, str]]) -> None:
        self.file = file
        self.errors = errors
        self.field, self.problem = errors[0] if errors else ("", "")
        super().__init__("\n".join(f"{file}: {path or '<file>'}: {msg}" for path, msg in errors))


# --- loading --------------------------------------------------------------------------------

class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (PyYAML silently keeps the last one)."""


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def _yaml_error(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is None:
        return problem
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


def pydantic_errors(exc: ValidationError) -> list[tuple[str, str]]:
    return [(".".join(str(p) for p in err["loc"]), err["msg"]) for err in exc.errors()]


def load_yaml_mapping(path: Path) -> dict[str, Any]:
    """The YAML mapping in ``path`` (duplicate keys refused); CatalogueError otherwise."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        raise CatalogueError(path, [("", f"malformed YAML: {_yaml_error(exc)}")]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(path, [("", f"cannot read: {exc}")]) from exc
    if not isinstance(data, dict):
        raise CatalogueError(path, [("", f"expected a mapping, got {type(data).__name__}")])
    return data


def load_entry(path: Path) -> CatalogueEntry:
    """One entry from ``path``; raises CatalogueError naming the file, field path and problem."""
    data = load_yaml_mapping(path)
    try:
        entry = CatalogueEntry.model_validate(data)
    except ValidationError as exc:
        raise CatalogueError(path, pydantic_errors(exc)) from exc
    if entry.dataset != path.stem:
        raise CatalogueError(path, [("dataset", f"{entry.dataset!r} does not match the "
                                                f"file name; expected {path.stem!r}")])
    return entry


def load_catalogue(catalogue_dir: Path) -> Catalogue:
    """Every entry in ``catalogue_dir/resources/*.yaml``. Raises CatalogueError on the first
    file that cannot be loaded (a missing directory counts)."""
    resources = catalogue_dir / RESOURCES_DIR
    if not resources.is_dir():
        raise CatalogueError(resources, [("", "catalogue resources directory not found")])
    entries: dict[str, CatalogueEntry] = {}
    paths: dict[str, Path] = {}
    for path in sorted(resources.glob("*.yaml")):
        entry = load_entry(path)
        entries[entry.dataset] = entry
        paths[entry.dataset] = path
    return Catalogue(resources, entries, paths)


# --- validation against the schemas ---------------------------------------------------------

def validate_catalogue(catalogue: Catalogue, schemas: dict[str, DatasetSchema]) -> list[Problem]:
    """Everything wrong with ``catalogue`` given the dataset ``schemas``; empty when clean."""
    problems: list[Problem] = []
    for dataset in sorted(schemas.keys() - catalogue.entries.keys()):
        problems.append(Problem(catalogue.path_of(dataset), "", f"no catalogue entry for dataset "
                                f"{dataset} (schema {schemas[dataset].path})"))
    for dataset in sorted(catalogue.entries.keys() - schemas.keys()):
        problems.append(Problem(catalogue.path_of(dataset), "dataset",
                                f"no schema for dataset {dataset} in the schemas directory"))
    for dataset in sorted(schemas.keys()):
        problems += _schema_tag_problems(schemas[dataset])
    for dataset in sorted(catalogue.entries.keys() & schemas.keys()):
        entry, path = catalogue.entries[dataset], catalogue.path_of(dataset)
        problems += _field_problems(entry, path, schemas[dataset])
        problems += _sharing_problems(entry, path)
        if entry.quality is not None:
            problems += [Problem(path, where, text)
                         for where, text in quality_problems(dataset, entry.quality, schemas)]
    return problems


def _schema_tag_problems(schema: DatasetSchema) -> list[Problem]:
    """Every dataset field of the schema carries a valid level, a valid PII kind if any, and
    sensible string limits (``text``, ``max_length``) if it declares any."""
    problems = []
    if schema.key_field not in schema.tags:
        problems.append(Problem(schema.path, "key", f"key field {schema.key_field!r} is not a "
                                                    "field of the schema"))
    for tag in schema.tags.values():
        if not tag.level:
            problems.append(Problem(schema.path, tag.name, "not classified: no level attribute"))
        elif tag.level not in LEVELS:
            problems.append(Problem(schema.path, tag.name, f"level {tag.level!r} is not one of "
                                                           f"{', '.join(LEVELS)}"))
        if tag.pii is not None and tag.pii not in PiiKind.__members__:
            problems.append(Problem(schema.path, tag.name, f"unknown pii kind {tag.pii!r}"))
    keys = key_fields_of(schema.schema)
    for avro_field in schema.schema["fields"]:
        problems += [Problem(schema.path, avro_field["name"], text)
                     for text in attribute_problems(avro_field, keys)]
    return problems


def _field_problems(entry: CatalogueEntry, path: Path, schema: DatasetSchema) -> list[Problem]:
    """The entry classifies exactly the schema's fields, as the schema's attributes do."""
    problems = []
    expected = value_subject(TopicNames().raw(entry.dataset))
    if entry.schema_subject != expected:
        problems.append(Problem(path, "schema_subject",
                                f"{entry.schema_subject!r} should be {expected!r}"))
    for name, tag in schema.tags.items():
        classified = entry.fields.get(name)
        where = f"fields.{name}"
        if classified is None:
            problems.append(Problem(path, where, f"not classified: field of {schema.path.name} "
                                                 "has no level in the catalogue"))
            continue
        if tag.level and classified.level != tag.level:
            problems.append(Problem(path, f"{where}.level", f"{classified.level} here but "
                                    f"{tag.level} in {schema.path.name}"))
        if (classified.pii or None) != (tag.pii or None):
            problems.append(Problem(path, f"{where}.pii", f"{classified.pii or 'no pii'} here "
                                    f"but {tag.pii or 'no pii'} in {schema.path.name}"))
    for name in entry.fields.keys() - schema.tags.keys():
        problems.append(Problem(path, f"fields.{name}",
                                f"not a field of {schema.path.name}"))
    return problems


def _too_high(entry: CatalogueEntry, path: Path, ceiling: Level, why: str,
              remedy: str) -> list[Problem]:
    return [Problem(path, f"fields.{name}.level", f"{c.level} field in {why} (at most {ceiling} "
                    f"allowed): {remedy} or lower the field's level")
            for name, c in entry.fields.items() if c.level > ceiling]


def _sharing_problems(entry: CatalogueEntry, path: Path) -> list[Problem]:
    """Sharing type, condition, legal basis, open attribute and field levels agree."""
    problems = []
    if entry.sharing_type is SharingType.unconditional:
        problems += _too_high(entry, path, MAX_LEVEL_UNCONDITIONAL, "an unconditional resource",
                              "make the resource conditional")
    if entry.open_attribute is OpenAttribute.open:
        problems += _too_high(entry, path, MAX_LEVEL_OPEN, "an open resource",
                              "make the resource not_open or conditional_open")
    if entry.sharing_type is SharingType.conditional and not entry.sharing_condition:
        problems.append(Problem(path, "sharing_condition",
                                "a conditional resource needs a sharing_condition"))
    if entry.sharing_type is SharingType.not_shareable and not entry.legal_basis:
        problems.append(Problem(path, "legal_basis",
                                "a not_shareable resource needs a legal_basis"))
    return problems
