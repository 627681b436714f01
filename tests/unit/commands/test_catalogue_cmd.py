"""``govbus catalogue validate | list | show`` (commands/catalogue_cmd.py).

It drives the sub-app directly, not commands.main.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from commands.catalogue_cmd import catalogue_app, type_name
from govbus.core.settings import PROJECT_ROOT

runner = CliRunner()


@pytest.fixture
def trees(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Copies of the shipped schemas and catalogue, selected through GOVBUS_* variables the
    way an operator would; each test may break its copy."""
    schemas_dir, catalogue_dir = tmp_path / "avro", tmp_path / "catalogue"
    shutil.copytree(PROJECT_ROOT / "schemas" / "avro", schemas_dir)
    shutil.copytree(PROJECT_ROOT / "catalogue" / "resources", catalogue_dir / "resources")
    monkeypatch.setenv("GOVBUS_SCHEMAS_DIR", str(schemas_dir))
    monkeypatch.setenv("GOVBUS_CATALOGUE_DIR", str(catalogue_dir))
    monkeypatch.setenv("COLUMNS", "200")
    return schemas_dir, catalogue_dir


def test_validate_ok(trees: tuple[Path, Path]) -> None:
    result = runner.invoke(catalogue_app, ["validate"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: 8 catalogue entries, 8 schemas,")


def test_validate_fails_on_a_missing_entry(trees: tuple[Path, Path]) -> None:
    (trees[1] / "resources" / "city.indicator.yaml").unlink()
    result = runner.invoke(catalogue_app, ["validate"])
    assert result.exit_code == 1
    assert "city.indicator.yaml: no catalogue entry for dataset city.indicator" in result.output


def test_validate_fails_on_malformed_yaml(trees: tuple[Path, Path]) -> None:
    path = trees[1] / "resources" / "city.indicator.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "fields: [\n", encoding="utf-8")
    result = runner.invoke(catalogue_app, ["validate"])
    assert result.exit_code == 1
    assert "city.indicator.yaml: <file>: malformed YAML: line" in result.output


def test_list_shows_every_entry(trees: tuple[Path, Path]) -> None:
    result = runner.invoke(catalogue_app, ["list"])
    assert result.exit_code == 0, result.output
    for text in ("population.resident", "public_security", "人口基础信息", "unconditional"):
        assert text in result.output


def test_show_prints_metadata_and_fields(trees: tuple[Path, Path]) -> None:
    result = runner.invoke(catalogue_app, ["show", "hotline.work_order"])
    assert result.exit_code == 0, result.output
    for text in ("raw.hotline.work_order-value", "[hotline, city, 350100", "caller_id_no",
                 "resident_id", "L4", "timestamp-millis", "enum Channel"):
        assert text in result.output


def test_show_unknown_dataset(trees: tuple[Path, Path]) -> None:
    result = runner.invoke(catalogue_app, ["show", "nope.nothing"])
    assert result.exit_code == 1
    assert "no catalogue entry 'nope.nothing'" in result.output


@pytest.mark.parametrize(("avro_type", "shown"), [
    ("string", "string"),
    (["null", "string"], "string?"),
    (["null", "govbus.gov_service.Status"], "Status?"),
    ({"type": "long", "logicalType": "timestamp-millis"}, "timestamp-millis"),
    ({"type": "enum", "name": "Channel", "symbols": ["a"]}, "enum Channel"),
    ({"type": "array", "items": "string"}, "array<string>"),
    ({"type": "map", "values": "bytes"}, "map<bytes>"),
    (["string", "long"], "string | long"),
])
def test_type_name(avro_type: object, shown: str) -> None:
    assert type_name(avro_type) == shown


def test_validate_checks_each_allow_list_entry(trees: tuple[Path, Path]) -> None:
    lists = trees[1] / "lists"
    lists.mkdir()
    (lists / "uscc-allow.yaml").write_text(
        "list: uscc-allow\nrule: GB32100.check\nentries:\n"
        "  - {code: 91350211M00013FA1N, reason: pilot licence of 2015, approved_by: market registry}\n"
        "  - {code: 91350211M00013FA1, reason: typo, approved_by: market registry}\n"
        "  - {code: 91350100M000100Y4X, reason: '', approved_by: market registry}\n", encoding="utf-8")
    result = runner.invoke(catalogue_app, ["validate"])
    assert result.exit_code == 1, result.output
    assert "uscc-allow.yaml: entries[1].code: '91350211M00013FA1' is not a credit code" in result.output
    assert "uscc-allow.yaml: entries[2].reason: every entry needs reason" in result.output
    assert "entries[0]" not in result.output
