"""Rule lists as catalogue data (govbus/core/rule_lists.py): the USCC allow-list's entries are
checked one by one, loaded strictly, and bound into the cleaning plan."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from govbus.core.catalogue import CatalogueError
from govbus.core.cleaning import compile_clean_plan
from govbus.core.result import Fault, Ok
from govbus.core.rule_lists import NO_LISTS, entry_problems, load_rule_lists
from govbus.core.schemas import load_schemas
from govbus.core.settings import GovbusSettings

PILOT = "91350211M00013FA1N"  # genuine early-pilot code, check character should be 3
GOOD = {"code": PILOT, "reason": "pilot licence of 2015", "approved_by": "market registry, MKT-1"}


def _file(*entries: dict, **top) -> dict:
    return {"list": "uscc-allow", "rule": "GB32100.check", "entries": list(entries)} | top


@pytest.mark.parametrize(("data", "where", "says"), [
    (_file(GOOD), None, None),
    (_file(), None, None),
    (_file(GOOD | {"code": "91350211M00013FA1"}), "entries[0].code", "18 characters"),
    (_file(GOOD | {"code": "91350211m00013fa1n"}), "entries[0].code", "upper case"),
    (_file(GOOD | {"code": "91350211I00013FA1N"}), "entries[0].code", "without I"),
    (_file(GOOD | {"code": "91350100M000100Y43"}), "entries[0].code", "passes the check already"),
    (_file(GOOD | {"reason": "  "}), "entries[0].reason", "needs reason"),
    (_file(GOOD | {"approved_by": ""}), "entries[0].approved_by", "needs approved by"),
    (_file({"code": PILOT, "reason": "x"}), "entries.0.approved_by", "Field required"),
    (_file(GOOD | {"by": "me"}), "entries.0.by", "Extra inputs"),
    (_file(GOOD, GOOD), "entries[1].code", "listed twice"),
    (_file(GOOD, rule="GB11643.check"), "rule", "excuses rule GB32100.check"),
    (_file(GOOD, list="uscc"), "list", "does not match the file name"),
])
def test_uscc_allow_list_entries(data, where, says):
    problems = entry_problems("uscc-allow", data)
    if where is None:
        assert problems == []
    else:
        assert any(path == where and says in text for path, text in problems), problems


def test_a_list_no_rule_uses_is_refused():
    [(where, text)] = entry_problems("plate-allow", _file())
    assert where == "" and "no rule uses" in text


def _catalogue(tmp_path: Path, data: dict | None) -> Path:
    if data is not None:
        (tmp_path / "lists").mkdir()
        (tmp_path / "lists" / "uscc-allow.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return tmp_path


def test_loading_binds_the_list_and_names_its_file(tmp_path):
    lists = load_rule_lists(_catalogue(tmp_path, _file(GOOD)))
    assert lists.codes("uscc-allow") == frozenset({PILOT})
    assert lists.file_of("uscc-allow") == f"{tmp_path.name}/lists/uscc-allow.yaml"
    assert load_rule_lists(_catalogue(tmp_path / "none", None)) == NO_LISTS.__class__({}, "none")


def test_loading_refuses_a_bad_entry_naming_file_and_entry(tmp_path):
    with pytest.raises(CatalogueError) as caught:
        load_rule_lists(_catalogue(tmp_path, _file(GOOD | {"approved_by": " "})))
    assert caught.value.file.name == "uscc-allow.yaml"
    assert caught.value.errors == [("entries[0].approved_by", "every entry needs approved by")]


def test_the_shipped_catalogue_lists_load():
    assert load_rule_lists(GovbusSettings().catalogue_dir).file_of("uscc-allow") == "catalogue/lists/uscc-allow.yaml"


@pytest.mark.parametrize(("listed", "expected"), [
    (frozenset(), "bad_check_char"),
    (frozenset({PILOT}), "ok"),
])
def test_the_cleaner_uses_the_list_it_is_given(tmp_path, listed, expected):
    schema = load_schemas(GovbusSettings().schemas_dir)["market.enterprise_registration"]
    lists = load_rule_lists(_catalogue(tmp_path, _file(*[GOOD | {"code": c} for c in listed])))
    validators = dict(compile_clean_plan(schema, lists).validated)
    result = validators["uscc"](PILOT.lower())
    if expected == "ok":
        assert result == Ok(PILOT)
    else:
        assert isinstance(result, Fault) and result.reason == expected
        assert f"add it to {tmp_path.name}/lists/uscc-allow.yaml with the reason" in result.message
