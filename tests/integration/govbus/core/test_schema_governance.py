"""Schema governance against the real registry (Apicurio's Confluent-compatible API).

Which mode makes which claim true (Avro resolution, as the registry applies it):
- BACKWARD (the default): new readers read old records. Adding an optional field passes,
  adding a field without a default fails, changing a field's type (string → int) fails, and
  *removing* a field passes: new readers simply ignore it.
- FULL (set per dataset in the catalogue): also old readers read new records, so removing a field
  without a default fails too. The issue's "removing a field without default or changing its
  type fails" is therefore tested under FULL; the BACKWARD behaviour is tested alongside.
"""
from __future__ import annotations

import copy
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from typer.testing import CliRunner

from commands.schemas_cmd import schemas_app
from govbus.core.catalogue import Catalogue, Compatibility, load_catalogue
from govbus.core.governance import (
    CheckResult,
    RegistrationRefused,
    check_all,
    register_all,
)
from govbus.core.schemas import DatasetSchema, load_schemas
from govbus.core.serde import registry_client
from govbus.core.settings import PROJECT_ROOT
from govbus.core.topics import TopicNames, value_subject
from tests.unit.govbus.core.test_governance import CASES, Case

SCHEMAS_DIR = PROJECT_ROOT / "schemas" / "avro"
CATALOGUE_DIR = PROJECT_ROOT / "catalogue"
DATASET = "hotline.work_order"
runner = CliRunner()


@pytest.fixture
def client(broker) -> SchemaRegistryClient:
    return registry_client(broker.registry_url, broker.registry_identity())


@pytest.fixture
def topics(unique: str) -> TopicNames:
    return TopicNames(f"t{unique}")


@pytest.fixture(scope="module")
def schemas() -> dict[str, DatasetSchema]:
    return load_schemas(SCHEMAS_DIR)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(CATALOGUE_DIR)


def with_mode(catalogue: Catalogue, dataset: str, mode: Compatibility) -> Catalogue:
    entry = catalogue.entries[dataset].model_copy(update={"compatibility": mode})
    return Catalogue(catalogue.resources_dir, {**catalogue.entries, dataset: entry}, catalogue.paths)


def changed(schema: DatasetSchema, edit) -> DatasetSchema:
    """A copy of ``schema`` with ``edit(fields)`` applied to its top-level field list."""
    raw = copy.deepcopy(schema.schema)
    edit(raw["fields"])
    return DatasetSchema(schema.dataset, schema.key_field, raw, schema.path)


def field_named(fields: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(f for f in fields if f["name"] == name)


def remove(name: str):
    return lambda fields: fields.remove(field_named(fields, name))


def retype(name: str, avro_type: Any):
    return lambda fields: field_named(fields, name).update(type=avro_type)


def add(field: dict[str, Any]):
    return lambda fields: fields.append(field)


OPTIONAL_AGE = {"name": "caller_age", "type": ["null", "int"], "default": None,
                "doc": "Caller's age, if given.", "level": "L2"}
REQUIRED_AGE = {"name": "caller_age", "type": "int", "doc": "Caller's age.", "level": "L2"}


def one(results: list[CheckResult], dataset: str = DATASET) -> CheckResult:
    return next(r for r in results if r.dataset == dataset)


# --- register ------------------------------------------------------------------------------

def test_register_twice_gives_the_same_ids_and_no_new_versions(client, broker, topics, schemas,
                                                               catalogue) -> None:
    first = register_all(client, schemas, catalogue, topics)
    again = register_all(registry_client(broker.registry_url, broker.registry_identity()), schemas, catalogue,
                         topics)
    assert [r.subject for r in first] == [value_subject(topics.raw(d)) for d in sorted(schemas)]
    assert [(r.subject, r.schema_id, r.version) for r in again] == \
        [(r.subject, r.schema_id, r.version) for r in first]
    assert {r.version for r in first} == {1}
    for r in first:
        assert client.get_versions(r.subject) == [1]
        assert client.get_compatibility(r.subject) == catalogue.entries[r.dataset].compatibility


def test_register_sets_the_catalogue_compatibility_before_registering(client, topics, schemas,
                                                                      catalogue) -> None:
    full = with_mode(catalogue, DATASET, Compatibility.FULL)
    registered = {r.dataset: r for r in register_all(client, schemas, full, topics)}
    assert registered[DATASET].compatibility == "FULL"
    assert client.get_compatibility(value_subject(topics.raw(DATASET))) == "FULL"
    assert registered["fire.alarm"].compatibility == "BACKWARD"


def test_a_fresh_subject_checks_as_new_and_the_registered_tree_as_unchanged(
        client, topics, schemas, catalogue) -> None:
    assert {r.status for r in check_all(client, schemas, topics)} == {"new"}
    register_all(client, schemas, catalogue, topics)
    results = check_all(client, schemas, topics)
    assert {r.status for r in results} == {"ok"}
    assert all(r.detail.startswith("unchanged (version 1") for r in results), results


# --- check ---------------------------------------------------------------------------------

def test_adding_an_optional_field_passes(client, topics, schemas, catalogue) -> None:
    register_all(client, schemas, with_mode(catalogue, DATASET, Compatibility.FULL), topics)
    candidate = {**schemas, DATASET: changed(schemas[DATASET], add(OPTIONAL_AGE))}
    result = one(check_all(client, candidate, topics))
    assert (result.status, result.reasons) == ("ok", [])
    assert result.detail == "compatible change to version 1 under FULL"
    registered = {r.dataset: r for r in register_all(client, candidate, catalogue, topics)}
    assert registered[DATASET].version == 2


@pytest.mark.parametrize("edit, field, rule", [
    (remove("category_code"), "category_code", "field category_code removed without a default"),
    (retype("category_code", "int"), "category_code",
     "field category_code changed type from string to int"),
], ids=["remove a field without default", "change a field's type string to int"])
def test_under_full_removing_or_retyping_a_field_fails_naming_subject_and_field(
        client, topics, schemas, catalogue, edit, field, rule) -> None:
    register_all(client, schemas, with_mode(catalogue, DATASET, Compatibility.FULL), topics)
    candidate = {**schemas, DATASET: changed(schemas[DATASET], edit)}
    results = check_all(client, candidate, topics)
    result = one(results)
    subject = value_subject(topics.raw(DATASET))
    assert result.status == "incompatible" and not result.ok
    assert result.reasons and all(r.startswith(f"{subject}: field {field} ") for r in result.reasons)
    assert result.reasons[0].startswith(f"{subject}: {rule} — FULL forbids it (")
    assert all(r.status == "ok" for r in results if r.dataset != DATASET)


def test_under_backward_removing_passes_and_adding_without_default_fails(
        client, topics, schemas, catalogue) -> None:
    register_all(client, schemas, catalogue, topics)
    subject = value_subject(topics.raw(DATASET))
    removed = {**schemas, DATASET: changed(schemas[DATASET], remove("category_code"))}
    assert one(check_all(client, removed, topics)).status == "ok"
    retyped = {**schemas, DATASET: changed(schemas[DATASET], retype("category_code", "int"))}
    assert one(check_all(client, retyped, topics)).reasons == [
        f"{subject}: field category_code changed type from string to int — BACKWARD forbids it "
        "(readers of the new schema cannot read old records: int cannot read string)"]
    added = {**schemas, DATASET: changed(schemas[DATASET], add(REQUIRED_AGE))}
    assert one(check_all(client, added, topics)).reasons == [
        f"{subject}: field caller_age added without a default — BACKWARD forbids it "
        "(readers of the new schema cannot read old records)"]


def test_a_transitive_level_checks_every_version(client, topics, schemas, catalogue) -> None:
    """v1 has category_code without a default, v2 gives it one; dropping it then satisfies v2
    but not v1: FULL passes, FULL_TRANSITIVE fails and says against which version."""
    subject = value_subject(topics.raw(DATASET))
    register_all(client, schemas, with_mode(catalogue, DATASET, Compatibility.FULL), topics)
    v2 = {**schemas, DATASET: changed(
        schemas[DATASET], lambda fs: field_named(fs, "category_code").update(default="0000"))}
    register_all(client, v2, with_mode(catalogue, DATASET, Compatibility.FULL), topics)
    dropped = {**schemas, DATASET: changed(v2[DATASET], remove("category_code"))}
    assert one(check_all(client, dropped, topics)).status == "ok"
    client.set_compatibility(subject, "FULL_TRANSITIVE")
    result = one(check_all(client, dropped, topics))
    assert result.status == "incompatible"
    assert result.reasons == [f"{subject}: field category_code removed without a default — "
                              "FULL_TRANSITIVE forbids it (readers of the old schema cannot read "
                              "new records) [against version 1]"]


def test_register_refuses_an_incompatible_schema_and_says_why(client, topics, schemas,
                                                              catalogue) -> None:
    register_all(client, schemas, catalogue, topics)
    candidate = {**schemas, DATASET: changed(schemas[DATASET], add(REQUIRED_AGE))}
    with pytest.raises(RegistrationRefused) as refused:
        register_all(client, candidate, catalogue, topics)
    subject = value_subject(topics.raw(DATASET))
    assert [r.subject for r in refused.value.refused] == [subject]
    assert len(refused.value.registered) == len(schemas) - 1
    assert str(refused.value).startswith(f"{subject}: field caller_age added without a default")
    assert client.get_versions(subject) == [1]


# --- the explanation table agrees with the registry's verdicts -------------------------------

@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_registry_agrees_with_the_explanation_table(client, unique, case: Case) -> None:
    subject = f"t{unique}.raw.probe.case-value"
    client.set_compatibility(subject, case.mode)
    client.register_schema(subject, Schema(json.dumps(case.old), "AVRO"))
    verdict = client.test_compatibility(subject, Schema(json.dumps(case.new), "AVRO"))
    assert verdict == (case.expected == []), case.expected


# --- the CLI -------------------------------------------------------------------------------

@pytest.fixture
def cli_env(broker, unique, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI pointed at the test broker, its own topic prefix and a copy of the schemas."""
    schemas_dir = tmp_path / "avro"
    shutil.copytree(SCHEMAS_DIR, schemas_dir)
    for name, value in {**broker.env(),
                        "GOVBUS_TOPIC_PREFIX": f"t{unique}",
                        "GOVBUS_SCHEMAS_DIR": str(schemas_dir),
                        "GOVBUS_CATALOGUE_DIR": str(CATALOGUE_DIR), "COLUMNS": "250"}.items():
        monkeypatch.setenv(name, value)
    return schemas_dir


def test_cli_register_then_check(cli_env: Path, unique: str) -> None:
    result = runner.invoke(schemas_app, ["check"])
    assert result.exit_code == 0, result.output
    assert "OK: 8 schema(s) checked, 8 new" in result.output
    result = runner.invoke(schemas_app, ["register"])
    assert result.exit_code == 0, result.output
    assert f"t{unique}.raw.hotline.work_order-value" in result.output
    assert "BACKWARD" in result.output and "OK: 8 subject(s) registered" in result.output
    again = runner.invoke(schemas_app, ["register"])
    assert again.exit_code == 0 and again.output == result.output
    result = runner.invoke(schemas_app, ["check"])
    assert result.exit_code == 0, result.output
    assert "OK: 8 schema(s) checked, 0 new" in result.output


def test_cli_check_fails_on_an_incompatible_change(cli_env: Path, unique: str) -> None:
    assert runner.invoke(schemas_app, ["register"]).exit_code == 0
    path = cli_env / f"{DATASET}.avsc"
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["fields"].append(REQUIRED_AGE)
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(schemas_app, ["check"])
    assert result.exit_code == 1, result.output
    assert "INCOMPATIBLE" in result.output
    assert (f"INCOMPATIBLE t{unique}.raw.hotline.work_order-value: field caller_age added without "
            "a default — BACKWARD forbids it (readers of the new schema cannot read old records)"
            ) in result.output
    refused = runner.invoke(schemas_app, ["register"])
    assert refused.exit_code == 1
    assert "field caller_age added without a default" in refused.output


def test_cli_says_so_when_the_registry_is_unreachable(cli_env: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVBUS_REGISTRY_URL", f"http://127.0.0.1:9/{uuid.uuid4().hex}")
    result = runner.invoke(schemas_app, ["check"])
    assert result.exit_code == 1
    assert "unreachable" in result.output
