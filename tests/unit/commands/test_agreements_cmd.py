"""``govbus agreements validate | list | show`` (commands/agreements_cmd.py), driven through
typer's CliRunner on copies of the shipped trees."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from commands.agreements_cmd import agreements_app
from govbus.core.settings import PROJECT_ROOT
from tests.support.agreements import hotline_agreement

runner = CliRunner()
# Counted from the shipped files, so adding an agreement does not break these tests.
_SHIPPED_FILES = sorted((PROJECT_ROOT / "catalogue" / "agreements").glob("*.yaml"))
SHIPPED = len(_SHIPPED_FILES)
SHIPPED_DATASETS = len({yaml.safe_load(p.read_text(encoding="utf-8"))["dataset"] for p in _SHIPPED_FILES})


@pytest.fixture
def agreements_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Copies of the shipped schemas, catalogue and agreements, selected through GOVBUS_*
    variables the way an operator would; each test may break its copy."""
    schemas_dir, catalogue_dir = tmp_path / "avro", tmp_path / "catalogue"
    shutil.copytree(PROJECT_ROOT / "schemas" / "avro", schemas_dir)
    shutil.copytree(PROJECT_ROOT / "catalogue", catalogue_dir)
    monkeypatch.setenv("GOVBUS_SCHEMAS_DIR", str(schemas_dir))
    monkeypatch.setenv("GOVBUS_CATALOGUE_DIR", str(catalogue_dir))
    monkeypatch.setenv("COLUMNS", "250")
    return catalogue_dir / "agreements"


def write(folder: Path, stem: str, content: dict[str, Any] | str) -> Path:
    path = folder / f"{stem}.yaml"
    path.write_text(content if isinstance(content, str) else
                    yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def mine(**overrides: Any) -> dict[str, Any]:
    """The builder's hotline agreement for a recipient no shipped agreement serves."""
    return hotline_agreement(recipient={"department": "health", "region_code": "350100", "level": "city"},
                             **overrides)


# --- validate -------------------------------------------------------------------------------

def test_validate_ok(agreements_dir: Path) -> None:
    result = runner.invoke(agreements_app, ["validate"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines() == [
        f"OK: {SHIPPED} agreements ({SHIPPED} in force now, 2 upward) over {SHIPPED_DATASETS} datasets"]


@pytest.mark.parametrize(("stem", "content", "line"), [
    ("hotline-test", mine(fields={"order_no": "keep", "caller_age": "keep"}),
     "hotline-test.yaml: fields.caller_age: unknown field 'caller_age'"),
    ("hotline-test", mine(fields={"order_no": "keep", "caller_id_no": "keep"}),
     "hotline-test.yaml: fields.caller_id_no: caller_id_no is L4"),
    ("hotline-test", hotline_agreement(  # issue 16: free text kept in an upward flow
        recipient={"department": "health", "region_code": "350000", "level": "province"},
        allow_upward=True, fields={"order_no": "keep", "content": "keep"}),
     "hotline-test.yaml: fields.content: agreement hotline-test: recipient health_350000 (province) "
     "receives hotline.work_order upward from the city-level provider hotline: keep on the "
     "free-text field content is refused"),
    ("hotline-test", "fields: [\n", "hotline-test.yaml: <file>: malformed YAML: line"),
    ("hotline-test", mine(fields={"order_no": "blur"}),
     "hotline-test.yaml: fields.order_no.op: Value error, unknown operator 'blur'"),
    ("hotline-test", mine(valid_to="2025-01-01"),
     "hotline-test.yaml: valid_to: Value error, valid_to must be after valid_from"),
    ("hotline-test", mine(id="hotline-to-public-security-fz"),
     "hotline-test.yaml: id: 'hotline-to-public-security-fz' does not match the file name"),
    # a second agreement on the public security bureau's hotline topic
    ("zz-hotline-test", hotline_agreement(id="zz-hotline-test"),
     "zz-hotline-test.yaml: recipient: hotline-to-public-security-fz already shares hotline.work_order "
     "with public_security_350100"),
])
def test_validate_names_file_field_and_reason(agreements_dir: Path, stem: str,
                                              content: dict[str, Any] | str, line: str) -> None:
    write(agreements_dir, stem, content)
    result = runner.invoke(agreements_app, ["validate"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 2, result.output
    assert line in lines[0] and lines[0].startswith(str(agreements_dir / f"{stem}.yaml"))
    assert lines[1] == "1 problem(s) in the agreements"


def test_validate_reports_every_problem_of_every_file(agreements_dir: Path) -> None:
    write(agreements_dir, "a-bad", "id: [\n")
    write(agreements_dir, "b-bad", hotline_agreement(
        id="b-bad", provider="market",
        recipient={"department": "x", "region_code": "350102", "level": "city"},
        fields={"caller_age": "keep"}))
    result = runner.invoke(agreements_app, ["validate"])
    assert result.exit_code == 1
    output = result.output
    assert "a-bad.yaml: <file>: malformed YAML" in output
    assert "b-bad.yaml: recipient: Value error, region_code 350102 is finer than level city" in output
    assert "b-bad.yaml: fields: Value error" not in output
    assert output.strip().endswith("problem(s) in the agreements")


def test_validate_reports_checks_after_load_errors(agreements_dir: Path) -> None:
    write(agreements_dir, "b-bad", hotline_agreement(
        id="b-bad", provider="market", recipient={"department": "x", "region_code": "350100", "level": "city"},
        fields={"caller_age": "keep"}))
    result = runner.invoke(agreements_app, ["validate"])
    assert result.exit_code == 1
    assert "b-bad.yaml: provider: 'market' does not provide hotline.work_order" in result.output
    assert "b-bad.yaml: fields.caller_age: unknown field 'caller_age'" in result.output
    assert "b-bad.yaml: fields.order_no: the business key order_no must be delivered" in result.output
    assert "3 problem(s) in the agreements" in result.output


def test_validate_with_a_broken_catalogue(agreements_dir: Path) -> None:
    (agreements_dir.parent / "resources" / "hotline.work_order.yaml").write_text("x: [\n", encoding="utf-8")
    result = runner.invoke(agreements_app, ["validate"])
    assert result.exit_code == 1
    assert "hotline.work_order.yaml: <file>: malformed YAML" in result.output


# --- list -----------------------------------------------------------------------------------

def test_list_shows_every_agreement(agreements_dir: Path) -> None:
    result = runner.invoke(agreements_app, ["list"])
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
            for line in result.output.splitlines() if line.startswith("│")}
    assert len(rows) == SHIPPED
    assert rows["hotline-to-province-emergency"] == [
        "1", "active", "hotline → emergency_management 350000 (province)", "hotline.work_order",
        "2026-01-01T00:00:00+00:00 → 2028-01-01T00:00:00+00:00", "yes", "yes"]
    assert rows["hotline-to-gulou-urban-management"][2] == "hotline → urban_management 350102 (county)"
    assert rows["hotline-to-gulou-urban-management"][-1] == "no"


@pytest.mark.parametrize(("change", "in_force"), [
    ({"status": "revoked"}, "no"),
    ({"status": "suspended"}, "no"),
    ({"valid_from": "2020-01-01", "valid_to": "2021-01-01"}, "no"),   # expired
    ({"valid_from": "2090-01-01", "valid_to": "2091-01-01"}, "no"),   # not yet
    ({}, "yes"),
])
def test_list_says_whether_in_force_now(agreements_dir: Path, change: dict[str, Any], in_force: str) -> None:
    write(agreements_dir, "zz-health", hotline_agreement(
        id="zz-health", recipient={"department": "health", "region_code": "350100", "level": "city"},
        **change))
    result = runner.invoke(agreements_app, ["list"])
    assert result.exit_code == 0, result.output
    [row] = [line for line in result.output.splitlines() if "zz-health" in line]
    assert [c.strip() for c in row.split("│")[1:-1]][-2:] == [in_force, "no"]


def test_list_reports_files_that_do_not_load(agreements_dir: Path) -> None:
    write(agreements_dir, "a-bad", "id: [\n")
    result = runner.invoke(agreements_app, ["list"])
    assert result.exit_code == 0
    assert "not loaded:" in result.output and "a-bad.yaml: <file>: malformed YAML" in result.output
    assert "hotline-to-province-emergency" in result.output


# --- show -----------------------------------------------------------------------------------

def _field_rows(output: str) -> dict[str, list[str]]:
    """Rows of the field table: field → level, pii, operator, effective, delivered as."""
    table = output[output.index("fields (delivered level"):]
    return {cells[0]: cells[1:] for line in table.splitlines() if line.startswith("│")
            for cells in [[c.strip() for c in line.split("│")[1:-1]]]}


def test_show_upward_agreement(agreements_dir: Path) -> None:
    result = runner.invoke(agreements_app, ["show", "hotline-to-province-emergency"])
    assert result.exit_code == 0, result.output
    for text in ("hotline-to-province-emergency v1", "emergency_management 350000 (province)",
                 "shared.emergency_management_350000.hotline.work_order", "《中华人民共和国突发事件应对法》",
                 "(all rows)", "delivered level L2"):
        assert text in result.output
    rows = _field_rows(result.output)
    assert rows["content"] == ["L3", "free_text", "scrub_text", "scrub_text_strict", "string?"]
    assert rows["caller_phone"] == ["L3", "phone", "keep", "mask_phone", "string?"]
    assert rows["region_code"] == ["L2", "region", "keep", "to_county", "string?"]
    assert rows["order_no"] == ["L2", "", "keep", "keep", "string"]
    assert rows["urgency"] == ["L2", "", "keep", "keep", "enum Urgency"]
    assert rows["caller_id_no"] == ["L4", "resident_id", "(not named)", "drop", "(not delivered)"]


def test_show_masks_and_row_filter(agreements_dir: Path) -> None:
    result = runner.invoke(agreements_app, ["show", "market-to-public-security-fz"])
    assert result.exit_code == 0, result.output
    rows = _field_rows(result.output)
    assert rows["legal_rep_id_no"][2:] == ["mask(6,4)", "mask(6,4)", "string?"]
    assert rows["established_on"][2:] == ["keep", "keep", "date"]
    result = runner.invoke(agreements_app, ["show", "hotline-to-public-security-fz"])
    assert '"field": "demand_type", "in": ["complaint", "report", "help"]' in result.output


def test_show_unknown_agreement(agreements_dir: Path) -> None:
    result = runner.invoke(agreements_app, ["show", "nope"])
    assert result.exit_code == 1
    assert "no agreement 'nope' could be loaded; known: " in result.output
    assert "fire-alarm-to-emergency-fz" in result.output


def test_show_an_agreement_that_does_not_load(agreements_dir: Path) -> None:
    write(agreements_dir, "a-bad", "id: [\n")
    result = runner.invoke(agreements_app, ["show", "a-bad"])
    assert result.exit_code == 1
    assert "a-bad.yaml: <file>: malformed YAML" in result.output


def test_show_a_refused_agreement(agreements_dir: Path) -> None:
    write(agreements_dir, "zz-bad", hotline_agreement(
        id="zz-bad", recipient={"department": "health", "region_code": "350100", "level": "city"},
        fields={"order_no": "keep", "caller_id_no": "keep"}))
    result = runner.invoke(agreements_app, ["show", "zz-bad"])
    assert result.exit_code == 1
    assert "zz-bad v1" in result.output  # the metadata is still shown
    assert "zz-bad.yaml: fields.caller_id_no: caller_id_no is L4" in result.output
    assert "fields (delivered level" not in result.output


def test_mounted_on_the_govbus_command(agreements_dir: Path) -> None:
    from commands.main import app

    result = runner.invoke(app, ["agreements", "validate"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"OK: {SHIPPED} agreements")
