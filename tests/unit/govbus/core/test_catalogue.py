"""The resource catalogue: the shipped one validates clean; broken copies fail precisely."""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from govbus.core.catalogue import (
    CatalogueError,
    Level,
    Problem,
    SharingType,
    load_catalogue,
    validate_catalogue,
)
from govbus.core.schemas import load_schemas
from govbus.core.settings import PROJECT_ROOT

SCHEMAS_DIR = PROJECT_ROOT / "schemas" / "avro"
CATALOGUE_DIR = PROJECT_ROOT / "catalogue"


@dataclass(frozen=True)
class Tree:
    schemas_dir: Path
    catalogue_dir: Path

    def yaml_path(self, dataset: str) -> Path:
        return self.catalogue_dir / "resources" / f"{dataset}.yaml"

    def avsc_path(self, dataset: str) -> Path:
        return self.schemas_dir / f"{dataset}.avsc"

    def problems(self) -> list[Problem]:
        return validate_catalogue(load_catalogue(self.catalogue_dir),
                                  load_schemas(self.schemas_dir))


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    """A private copy of the shipped schemas and catalogue, for each test to break its own way."""
    schemas_dir = tmp_path / "schemas" / "avro"
    catalogue_dir = tmp_path / "catalogue"
    shutil.copytree(SCHEMAS_DIR, schemas_dir)
    shutil.copytree(CATALOGUE_DIR / "resources", catalogue_dir / "resources")
    return Tree(schemas_dir, catalogue_dir)


# --- edits that break a copy ----------------------------------------------------------------

def edit_entry(dataset: str, change: Callable[[dict[str, Any]], None]) -> Callable[[Tree], None]:
    def apply(tree: Tree) -> None:
        path = tree.yaml_path(dataset)
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return apply


def set_field(dataset: str, field: str, **tags: Any) -> Callable[[Tree], None]:
    """Set (None: remove) tags of one field in the catalogue entry."""
    def change(data: dict[str, Any]) -> None:
        entry = data["fields"][field]
        for key, value in tags.items():
            entry.pop(key, None) if value is None else entry.__setitem__(key, value)
    return edit_entry(dataset, change)


def set_avro_field(dataset: str, field: str, **attrs: Any) -> Callable[[Tree], None]:
    """Set (None: remove) attributes of one field in the .avsc."""
    def apply(tree: Tree) -> None:
        path = tree.avsc_path(dataset)
        schema = json.loads(path.read_text(encoding="utf-8"))
        avro_field = next(f for f in schema["fields"] if f["name"] == field)
        for key, value in attrs.items():
            avro_field.pop(key, None) if value is None else avro_field.__setitem__(key, value)
        path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    return apply


def both(*edits: Callable[[Tree], None]) -> Callable[[Tree], None]:
    def apply(tree: Tree) -> None:
        for edit in edits:
            edit(tree)
    return apply


def delete_yaml(dataset: str) -> Callable[[Tree], None]:
    return lambda tree: tree.yaml_path(dataset).unlink()


def delete_avsc(dataset: str) -> Callable[[Tree], None]:
    return lambda tree: tree.avsc_path(dataset).unlink()


def drop_key(dataset: str, key: str) -> Callable[[Tree], None]:
    return edit_entry(dataset, lambda data: data.pop(key))


def set_key(dataset: str, key: str, value: Any) -> Callable[[Tree], None]:
    return edit_entry(dataset, lambda data: data.__setitem__(key, value))


# --- the shipped catalogue ------------------------------------------------------------------

def test_shipped_catalogue_validates_clean() -> None:
    catalogue = load_catalogue(CATALOGUE_DIR)
    schemas = load_schemas(SCHEMAS_DIR)
    assert validate_catalogue(catalogue, schemas) == []
    assert set(catalogue.entries) == set(schemas)


def test_shipped_levels_follow_the_sharing_rules() -> None:
    """docs/domain.md: unconditional resources hold at most L2; L4 data is never unconditional."""
    for entry in load_catalogue(CATALOGUE_DIR).entries.values():
        if entry.sharing_type is SharingType.unconditional:
            assert entry.max_level <= Level.L2, entry.dataset


def test_population_is_a_base_resource_of_public_security() -> None:
    entry = load_catalogue(CATALOGUE_DIR).entries["population.resident"]
    assert (entry.resource_class, entry.provider.department) == ("base", "public_security")


# --- validate_catalogue: one precise problem per break --------------------------------------

VALIDATE_CASES = [
    ("missing entry", delete_yaml("fire.alarm"),
     [("fire.alarm.yaml", "", "no catalogue entry for dataset fire.alarm")]),
    ("entry without schema", delete_avsc("fire.alarm"),
     [("fire.alarm.yaml", "dataset", "no schema for dataset fire.alarm")]),
    ("unclassified in catalogue", edit_entry("transport.traffic_incident",
                                             lambda d: d["fields"].pop("deaths")),
     [("transport.traffic_incident.yaml", "fields.deaths", "not classified")]),
    ("unclassified in schema", set_avro_field("transport.traffic_incident", "deaths", level=None),
     [("transport.traffic_incident.avsc", "deaths", "not classified: no level attribute")]),
    ("L4 in unconditional", both(set_avro_field("fire.alarm", "building_name", level="L4"),
                                 set_field("fire.alarm", "building_name", level="L4")),
     [("fire.alarm.yaml", "fields.building_name.level", "L4 field in an unconditional resource")]),
    ("L3 in unconditional", both(set_avro_field("fire.alarm", "address", level="L3"),
                                 set_field("fire.alarm", "address", level="L3")),
     [("fire.alarm.yaml", "fields.address.level", "L3 field in an unconditional resource")]),
    ("L2 in open", both(set_avro_field("city.indicator", "value", level="L2"),
                        set_field("city.indicator", "value", level="L2")),
     [("city.indicator.yaml", "fields.value.level", "L2 field in an open resource")]),
    ("levels disagree", set_field("transport.traffic_incident", "deaths", level="L1"),
     [("transport.traffic_incident.yaml", "fields.deaths.level",
       "L1 here but L2 in transport.traffic_incident.avsc")]),
    ("pii disagrees", set_field("hotline.work_order", "caller_phone", pii="name"),
     [("hotline.work_order.yaml", "fields.caller_phone.pii", "name here but phone in")]),
    ("pii missing in catalogue", set_field("hotline.work_order", "caller_phone", pii=None),
     [("hotline.work_order.yaml", "fields.caller_phone.pii", "no pii here but phone in")]),
    ("unknown pii kind in schema",
     both(set_avro_field("population.resident", "ethnicity", pii="ethnic"),
          set_field("population.resident", "ethnicity", pii=None)),
     [("population.resident.avsc", "ethnicity", "unknown pii kind 'ethnic'"),
      ("population.resident.yaml", "fields.ethnicity.pii", "no pii here but ethnic in")]),
    ("field not in schema", edit_entry("fire.alarm", lambda d: d["fields"].update(
        speed={"level": "L2"})),
     [("fire.alarm.yaml", "fields.speed", "not a field of fire.alarm.avsc")]),
    ("wrong subject", set_key("fire.alarm", "schema_subject", "fire.alarm-value"),
     [("fire.alarm.yaml", "schema_subject", "should be 'raw.fire.alarm-value'")]),
    ("conditional without condition", drop_key("health.case_report", "sharing_condition"),
     [("health.case_report.yaml", "sharing_condition", "needs a sharing_condition")]),
    ("not shareable without legal basis",
     both(set_key("health.case_report", "sharing_type", "not_shareable"),
          drop_key("health.case_report", "sharing_condition")),
     [("health.case_report.yaml", "legal_basis", "needs a legal_basis")]),
    ("not shareable with legal basis",
     both(set_key("health.case_report", "sharing_type", "not_shareable"),
          set_key("health.case_report", "legal_basis", "传染病防治法 第十二条")),
     []),
    ("key not a field", lambda tree: tree.avsc_path("fire.alarm").write_text(
        tree.avsc_path("fire.alarm").read_text(encoding="utf-8").replace(
            '"key": "alarm_id"', '"key": "alarm_no"'), encoding="utf-8"),
     [("fire.alarm.avsc", "key", "key field 'alarm_no' is not a field")]),
]


@pytest.mark.parametrize(("case", "breakage", "expected"), VALIDATE_CASES,
                         ids=[c[0] for c in VALIDATE_CASES])
def test_validate_names_file_field_and_problem(tree: Tree, case: str,
                                               breakage: Callable[[Tree], None],
                                               expected: list[tuple[str, str, str]]) -> None:
    breakage(tree)
    problems = tree.problems()
    assert [(p.file.name, p.field) for p in problems] == [(f, fld) for f, fld, _ in expected]
    for problem, (_, _, fragment) in zip(problems, expected):
        assert fragment in problem.message
        assert fragment in str(problem) and problem.file.name in str(problem)


# --- load_catalogue: a file that cannot be loaded -------------------------------------------

def replace_text(dataset: str, old: str, new: str) -> Callable[[Tree], None]:
    def apply(tree: Tree) -> None:
        path = tree.yaml_path(dataset)
        text = path.read_text(encoding="utf-8")
        assert old in text, f"test edit does not apply: {old!r}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return apply


def write_text(dataset: str, text: str) -> Callable[[Tree], None]:
    return lambda tree: tree.yaml_path(dataset).write_text(text, encoding="utf-8")


def _line_of(dataset: str, text: str) -> int:
    lines = (CATALOGUE_DIR / "resources" / f"{dataset}.yaml").read_text(encoding="utf-8")
    return next(i for i, line in enumerate(lines.splitlines(), 1) if line.startswith(text))


LOAD_CASES = [
    ("malformed yaml: unclosed flow mapping",
     replace_text("fire.alarm", "  alarm_id: {level: L2}", "  alarm_id: {level: L2"),
     "", f"malformed YAML: line {_line_of('fire.alarm', '  device_id:')}, column 12"),
    ("malformed yaml: bad indentation",
     replace_text("fire.alarm", "sharing_method: subscription", "  sharing_method: subscription"),
     "", f"malformed YAML: line {_line_of('fire.alarm', 'sharing_method:')}, column 17"),
    ("malformed yaml: duplicate key",
     replace_text("fire.alarm", "sharing_method: subscription",
                  "sharing_method: subscription\nsharing_method: api"),
     "", f"line {_line_of('fire.alarm', 'sharing_method:') + 1}, column 1: duplicate key"),
    ("not a mapping", write_text("fire.alarm", "- just\n- a list\n"), "",
     "expected a mapping, got list"),
    ("empty file", write_text("fire.alarm", ""), "", "expected a mapping, got NoneType"),
    ("unknown key", set_key("fire.alarm", "owner", "somebody"), "owner",
     "Extra inputs are not permitted"),
    ("bad sharing type", set_key("fire.alarm", "sharing_type", "sometimes"), "sharing_type",
     "Input should be 'unconditional', 'conditional' or 'not_shareable'"),
    ("bad level", set_field("fire.alarm", "floor", level="L5"), "fields.floor.level",
     "Input should be 'L1', 'L2', 'L3' or 'L4'"),
    ("level missing", set_field("fire.alarm", "floor", level=None), "fields.floor.level",
     "Field required"),
    ("bad pii kind", set_field("fire.alarm", "floor", pii="storey"), "fields.floor.pii",
     "Input should be"),
    ("unquoted region code", replace_text("fire.alarm", 'region_code: "350100"',
                                          "region_code: 350100"),
     "provider.region_code", "Input should be a valid string"),
    ("code without provider", set_key("fire.alarm", "code", "304001/11350100MB0001120X-0001"),
     "code", "does not carry provider.code 11350100MB0001305N"),
    ("dataset differs from file name", set_key("fire.alarm", "dataset", "fire.alarms"),
     "dataset", "does not match the file name"),
]


@pytest.mark.parametrize(("case", "breakage", "field", "fragment"), LOAD_CASES,
                         ids=[c[0] for c in LOAD_CASES])
def test_load_error_names_file_field_and_problem(tree: Tree, case: str,
                                                 breakage: Callable[[Tree], None],
                                                 field: str, fragment: str) -> None:
    breakage(tree)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(tree.catalogue_dir)
    error = caught.value
    assert error.file == tree.yaml_path("fire.alarm")
    assert (error.field, fragment in error.problem) == (field, True), error.errors
    assert str(error).startswith(f"{error.file}: {field or '<file>'}: ")


def test_missing_resources_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="resources directory not found"):
        load_catalogue(tmp_path)


def test_compatibility_defaults_to_backward_and_is_settable(tree: Tree) -> None:
    drop_key("fire.alarm", "compatibility")(tree)
    set_key("city.indicator", "compatibility", "FULL_TRANSITIVE")(tree)
    entries = load_catalogue(tree.catalogue_dir).entries
    assert (entries["fire.alarm"].compatibility, entries["city.indicator"].compatibility) == (
        "BACKWARD", "FULL_TRANSITIVE")
