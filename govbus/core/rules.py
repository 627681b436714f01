"""Detection rules (``catalogue/rules/<id>.yaml``): the operation centre's expert thresholds as data.

A rule watches one dataset. Its records are filtered (``where`` / ``unless``), keyed (usually the
region at a chosen level, optionally with record fields such as the hotline category) and timed
by one of their timestamp fields (event time, never arrival time). Kinds of condition:

- ``window``: count, sum or max over a tumbling or sliding event-time window, at least a threshold;
- ``consecutive``: a reading above a limit for N consecutive readings of one series;
- ``spike``: the count in the current bucket at least ``ratio`` x the trailing average;
- ``record``: each record graded by a table over its own values (Decree 493 accident grades);
- ``triage``: terms in the text or category codes that flag an emergency-potential record.

A grade is fixed, or a table of rows from most to least severe where any criterion of a row
suffices and bounds are inclusive ("以上 includes the boundary", docs/domain.md#emergency-levels). Loading is strict:
unknown keys, bad values and fields the dataset's schema lacks raise ``RuleError`` naming the
file, the field path and the problem.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from govbus.core.catalogue import AdminLevel, CatalogueError, load_yaml_mapping
from govbus.core.incident_text import FACTS, TITLE_FIELDS, template_fields
from govbus.core.schemas import DatasetSchema

RULES_DIR = "rules"
_DURATION = re.compile(r"^([0-9]+)(ms|s|m|h|d)$")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
NUMERIC = {"int", "long", "float", "double"}


class RuleError(CatalogueError):
    """A rule file that cannot be used; ``errors`` holds (field path, problem) pairs."""


class Grade(StrEnum):
    I, II, III, IV = "I", "II", "III", "IV"  # noqa: E741 - the grades' own names, Ⅰ most serious

    @property
    def rank(self) -> int:
        """1 for Ⅰ (most severe) … 4 for Ⅳ: lower is more severe."""
        return list(Grade).index(self) + 1


class Category(StrEnum):
    natural_disaster = "natural_disaster"
    accident_disaster = "accident_disaster"
    public_health = "public_health"
    social_security = "social_security"


class Colour(StrEnum):
    red = "red"
    orange = "orange"
    yellow = "yellow"
    blue = "blue"


# Used only when a rule says ``warning_colour: by_grade``: grade and colour stay separate fields.
COLOUR_BY_GRADE = {Grade.I: Colour.red, Grade.II: Colour.orange, Grade.III: Colour.yellow,
                   Grade.IV: Colour.blue}


def parse_duration(value: Any) -> int:
    """``"30s"``, ``"10m"``, ``"1h"``, ``"2d"`` → milliseconds (strings only: a bare number has
    no unit, and a unit guessed wrong is a threshold off by a factor of 60)."""
    match = _DURATION.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError("expected a duration such as 30s, 10m, 1h or 2d")
    ms = int(match.group(1)) * _UNIT_MS[match.group(2)]
    if ms <= 0:
        raise ValueError("a duration must be positive")
    return ms


def format_duration(ms: int) -> str:
    for unit in ("d", "h", "m", "s"):
        if ms % _UNIT_MS[unit] == 0:
            return f"{ms // _UNIT_MS[unit]}{unit}"
    return f"{ms}ms"


def format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


Duration = Annotated[int, BeforeValidator(parse_duration)]
Scalar = Union[bool, int, float, str]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GradeRow(_Strict):
    grade: Grade
    any_of: dict[str, float] = Field(min_length=1, description="measure → inclusive minimum")


class GradeTable(_Strict):
    table: list[GradeRow] = Field(min_length=1)

    @model_validator(mode="after")
    def _most_severe_first(self) -> "GradeTable":
        ranks = [row.grade.rank for row in self.table]
        if ranks != sorted(set(ranks)):
            raise ValueError("rows must run from the most to the least severe grade, each grade once")
        return self

    def measures(self) -> set[str]:
        return {name for row in self.table for name in row.any_of}

    def grade_for(self, measures: dict[str, float]) -> tuple[Grade, list[str]] | None:
        """The first (most severe) row any of whose criteria is met, with the criteria met."""
        for row in self.table:
            met = [f"{name}>={format_number(bound)}" for name, bound in row.any_of.items()
                   if measures.get(name) is not None and measures[name] >= bound]
            if met:
                return row.grade, met
        return None


class KeySpec(_Strict):
    """What one incident is about: the region at ``region_level`` and/or record fields."""

    region_level: AdminLevel | None = None
    region_field: str = "region_code"
    fields: list[str] = []

    @model_validator(mode="after")
    def _something(self) -> "KeySpec":
        if self.region_level is None and not self.fields:
            raise ValueError("give region_level, fields, or both")
        return self


class WindowSpec(_Strict):
    size: Duration
    slide: Duration | None = Field(default=None, description="absent: tumbling windows")

    @model_validator(mode="after")
    def _slide_divides_size(self) -> "WindowSpec":
        if self.slide is not None and (self.slide >= self.size or self.size % self.slide):
            raise ValueError("slide must be shorter than size and divide it evenly")
        return self

    @property
    def step(self) -> int:
        return self.slide or self.size


class _Rule(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
    title: str = Field(min_length=1, max_length=120, description="may use {region}, {key}, {group}")
    title_zh: str = Field(default="", max_length=120, description="the Chinese title; same fields")
    summary_zh: str = Field(default="", max_length=300, description="may use the kind's facts")
    description: str = ""
    dataset: str
    category: Category
    grade: Grade | GradeTable
    warning_colour: Colour | Literal["by_grade"] | None = None
    key: KeySpec
    time_field: str = "envelope.event_time"
    where: dict[str, Scalar | list[Scalar]] = {}
    unless: dict[str, Scalar | list[Scalar]] = {}
    allowed_lateness: Duration = 300_000
    clear_after: Duration | None = Field(default=1_800_000, description="null: operators resolve")
    enabled: bool = True

    # Names a grade table of this kind may use; None: the record's own numeric fields.
    MEASURES: ClassVar[frozenset[str] | None] = frozenset()
    if TYPE_CHECKING:  # each kind of rule declares it as a Literal field of its own
        kind: str

    @model_validator(mode="after")
    def _grade_and_title(self) -> "_Rule":
        fields = {name for _, name, _, _ in string.Formatter().parse(self.title) if name is not None}
        if fields - {"region", "key", "group"}:
            raise ValueError(f"title may only use {{region}}, {{key}} and {{group}}, not {sorted(fields)}")
        self._check_zh_templates()
        if isinstance(self.grade, GradeTable) and self.MEASURES is not None:
            unknown = self.grade.measures() - self.MEASURES
            if unknown:
                raise ValueError(f"grade table uses {sorted(unknown)}; a {self.kind} rule offers "
                                 f"{sorted(self.MEASURES) or 'none: give a fixed grade'}")
        return self

    def _check_zh_templates(self) -> None:
        if template_fields(self.title_zh) - TITLE_FIELDS:
            raise ValueError(f"title_zh may only use {sorted(TITLE_FIELDS)}, "
                             f"not {sorted(template_fields(self.title_zh))}")
        offered = FACTS[self.kind] | (self.grade.measures() if isinstance(self.grade, GradeTable)
                                      and self.MEASURES is None else set())
        unknown = template_fields(self.summary_zh) - offered
        if unknown:
            raise ValueError(f"summary_zh uses {sorted(unknown)}; a {self.kind} rule offers {sorted(offered)}")

    def colour_for(self, grade: Grade) -> Colour | None:
        if self.warning_colour == "by_grade":
            return COLOUR_BY_GRADE[grade]
        return self.warning_colour

    def grade_of(self, measures: dict[str, float]) -> tuple[Grade, list[str]] | None:
        if isinstance(self.grade, GradeTable):
            return self.grade.grade_for(measures)
        return self.grade, []


class WindowRule(_Rule):
    kind: Literal["window"]
    aggregate: Literal["count", "sum", "max"]
    field: str | None = None
    window: WindowSpec
    at_least: float
    MEASURES = frozenset({"value"})

    @model_validator(mode="after")
    def _field_fits_aggregate(self) -> "WindowRule":
        if (self.aggregate == "count") != (self.field is None):
            raise ValueError("count takes no field; sum and max need one")
        return self


class ConsecutiveRule(_Rule):
    kind: Literal["consecutive"]
    field: str
    above: float
    readings: int = Field(ge=1)
    MEASURES = frozenset({"value", "readings"})


class SpikeRule(_Rule):
    kind: Literal["spike"]
    bucket: Duration
    trailing: int = Field(ge=1, description="buckets in the trailing average")
    ratio: float = Field(gt=1)
    min_count: int = Field(ge=1, description="a spike needs at least this many records")
    baseline_floor: float = Field(default=1.0, gt=0, description="the average never counts as less")
    MEASURES = frozenset({"count", "ratio", "baseline"})


class RecordRule(_Rule):
    kind: Literal["record"]
    grade: GradeTable
    MEASURES = None


class TriageGroup(_Strict):
    terms: list[Annotated[str, Field(min_length=1)]] = []
    category_codes: list[str] = []
    name_zh: str = Field(default="", description="what {group} shows in Chinese (燃气泄漏)")
    name_en: str = Field(default="", description="what {group} shows in English (gas leak)")

    @model_validator(mode="after")
    def _something(self) -> "TriageGroup":
        if not self.terms and not self.category_codes:
            raise ValueError("give terms, category_codes, or both")
        return self


class TriageRule(_Rule):
    kind: Literal["triage"]
    grade: Grade
    text_fields: list[str] = Field(default=["content"], min_length=1)
    category_field: str = "category_code"
    groups: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], TriageGroup] = Field(min_length=1)
    exclude_terms: list[Annotated[str, Field(min_length=1)]] = []
    MEASURES = frozenset()


Rule = Annotated[Union[WindowRule, ConsecutiveRule, SpikeRule, RecordRule, TriageRule],
                 Field(discriminator="kind")]
_RULE = TypeAdapter(Rule)


@dataclass(frozen=True)
class RuleSet:
    rules: dict[str, Rule]
    paths: dict[str, Path]

    def for_dataset(self, dataset: str) -> list[Rule]:
        return [r for r in self.rules.values() if r.dataset == dataset]


_LOC_NAME = re.compile(r"^\w+$")


def _errors(exc: ValidationError, kind: Any) -> list[tuple[str, str]]:
    # Unions put their member's tag in the location (the kind first, then e.g. "str-enum[Grade]"
    # for ``Grade | GradeTable``): keep only names and indexes, so the path is the file's own.
    out = []
    for err in exc.errors():
        loc = list(err["loc"])
        if loc and loc[0] == kind:
            loc = loc[1:]
        path = ".".join(str(p) for p in loc if isinstance(p, int) or _LOC_NAME.match(str(p)))
        out.append((path, err["msg"]))
    return out


def load_rule(path: Path) -> Rule:
    try:
        data = load_yaml_mapping(path)  # malformed YAML, duplicate keys
    except CatalogueError as exc:
        raise RuleError(path, exc.errors) from exc
    try:
        rule = _RULE.validate_python(data)
    except ValidationError as exc:
        raise RuleError(path, _errors(exc, data.get("kind"))) from exc
    if rule.id != path.stem:
        raise RuleError(path, [("id", f"{rule.id!r} does not match the file name {path.stem!r}")])
    return rule


def load_rules(catalogue_dir: Path, schemas: dict[str, DatasetSchema] | None = None,
               only_enabled: bool = True) -> RuleSet:
    """Every rule in ``<catalogue_dir>/rules``; with ``schemas``, each checked against its
    dataset's schema (RuleError on the first file with problems)."""
    folder = catalogue_dir / RULES_DIR
    rules: dict[str, Rule] = {}
    paths: dict[str, Path] = {}
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        rule = load_rule(path)
        if schemas is not None:
            problems = check_rule(rule, schemas)
            if problems:
                raise RuleError(path, problems)
        if rule.enabled or not only_enabled:
            rules[rule.id], paths[rule.id] = rule, path
    return RuleSet(rules, paths)


# --- checks against the dataset schema ------------------------------------------------------

def _base_type(avro_type: Any) -> Any:
    if isinstance(avro_type, list):
        members = [t for t in avro_type if t != "null"]
        return members[0] if len(members) == 1 else members
    return avro_type


def _kind(avro_type: Any) -> str:
    t = _base_type(avro_type)
    if isinstance(t, dict):
        return t.get("logicalType") or t.get("type", "")
    return t if isinstance(t, str) else "union"


def schema_field(schema: DatasetSchema, path: str) -> dict[str, Any] | None:
    """The Avro field at a dotted path (``envelope.event_time``), or None."""
    fields: list[dict[str, Any]] = schema.schema["fields"]
    parts = path.split(".")
    for i, part in enumerate(parts):
        found = next((f for f in fields if f["name"] == part), None)
        if found is None or i == len(parts) - 1:
            return found
        record = _base_type(found["type"])
        if not isinstance(record, dict) or record.get("type") != "record":
            return None
        fields = record["fields"]
    return None


def _check_field(schema: DatasetSchema, path: str, where: str, kinds: set[str] | None,
                 values: list[Any] | None = None) -> list[tuple[str, str]]:
    found = schema_field(schema, path)
    if found is None:
        return [(where, f"{schema.dataset} has no field {path!r}")]
    kind = _kind(found["type"])
    if kinds is not None and kind not in kinds:
        return [(where, f"{path} is {kind}; expected {' or '.join(sorted(kinds))}")]
    symbols = _base_type(found["type"]).get("symbols") if kind == "enum" else None
    bad = [v for v in values or [] if symbols is not None and v not in symbols]
    return [(where, f"{bad} not among {path}'s values {symbols}")] if bad else []


def _filter_checks(rule: Rule, schema: DatasetSchema) -> list[tuple[str, str]]:
    problems = []
    for name, conditions in (("where", rule.where), ("unless", rule.unless)):
        for path, wanted in conditions.items():
            values = wanted if isinstance(wanted, list) else [wanted]
            problems += _check_field(schema, path, f"{name}.{path}", None, values)
    return problems


def _kind_checks(rule: Rule, schema: DatasetSchema) -> list[tuple[str, str]]:
    if isinstance(rule, (WindowRule, ConsecutiveRule)) and rule.field is not None:
        return _check_field(schema, rule.field, "field", NUMERIC)
    if isinstance(rule, RecordRule):
        return [p for m in sorted(rule.grade.measures())
                for p in _check_field(schema, m, f"grade.table.{m}", NUMERIC)]
    if isinstance(rule, TriageRule):
        return [p for i, f in enumerate(rule.text_fields)
                for p in _check_field(schema, f, f"text_fields.{i}", {"string"})] + \
            _check_field(schema, rule.category_field, "category_field", {"string", "enum"})
    return []


def check_rule(rule: Rule, schemas: dict[str, DatasetSchema]) -> list[tuple[str, str]]:
    """Problems (field path, message) of ``rule`` against its dataset's schema."""
    schema = schemas.get(rule.dataset)
    if schema is None:
        return [("dataset", f"no schema for dataset {rule.dataset!r} in schemas/avro")]
    problems = _check_field(schema, rule.time_field, "time_field", {"timestamp-millis"})
    problems += _check_field(schema, rule.key.region_field, "key.region_field", {"string"})
    problems += [p for i, f in enumerate(rule.key.fields)
                 for p in _check_field(schema, f, f"key.fields.{i}", {"string", "enum", "int", "long"})]
    return problems + _filter_checks(rule, schema) + _kind_checks(rule, schema)
