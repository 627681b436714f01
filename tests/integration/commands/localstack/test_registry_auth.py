"""The registry refuses anonymous writes: registering, changing compatibility, deleting a subject
and testing against all versions need the governance identity; reads stay open.

Needs a registry with authentication on (the local stack's, or GOVBUS_TEST_REGISTRY with
GOVBUS_TEST_REGISTRY_IDENTITY_FILE); a registry without it fails these tests, never skips them.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from typer.testing import CliRunner

from commands.schemas_cmd import schemas_app
from govbus.core.registry_auth import RegistryIdentity, RegistryIdentityError, load_identity, write_identity
from govbus.core.serde import Serde, registry_client
from govbus.core.settings import PROJECT_ROOT

SCHEMA = Schema('{"type":"record","name":"A","fields":[{"name":"a","type":"string"}]}', "AVRO")
runner = CliRunner()


@pytest.fixture
def governance(broker) -> SchemaRegistryClient:
    if broker.registry_identity() is None:
        pytest.fail("this registry has no governance identity: these tests need one with "
                    "authentication on (GOVBUS_TEST_REGISTRY_IDENTITY_FILE)", pytrace=False)
    return registry_client(broker.registry_url, broker.registry_identity())


@pytest.fixture
def anonymous(broker) -> SchemaRegistryClient:
    return registry_client(broker.registry_url)


def _refused(call) -> int:  # noqa: ANN001 - a no-argument registry call
    with pytest.raises(SchemaRegistryError) as refused:
        call()
    return refused.value.http_status_code


def test_anonymous_writes_are_refused(governance, anonymous, unique):
    subject = f"t{unique}.auth-value"
    governance.register_schema(subject, SCHEMA)
    assert _refused(lambda: anonymous.register_schema(f"t{unique}.other-value", SCHEMA)) in (401, 403)
    assert _refused(lambda: anonymous.set_compatibility(subject, "NONE")) in (401, 403)
    assert _refused(lambda: anonymous.delete_subject(subject)) in (401, 403)
    assert _refused(lambda: anonymous.test_compatibility_all_versions(subject, SCHEMA)) in (401, 403)
    assert f"t{unique}.other-value" not in anonymous.get_subjects()


def test_anonymous_reads_are_allowed(governance, anonymous, unique):
    subject = f"t{unique}.read-value"
    schema_id = governance.register_schema(subject, SCHEMA)
    governance.set_compatibility(subject, "FULL")
    assert subject in anonymous.get_subjects()
    assert json.loads(anonymous.get_schema(schema_id).schema_str)["name"] == "A"
    assert anonymous.get_latest_version(subject).schema_id == schema_id
    assert str(anonymous.get_compatibility(subject)) == "FULL"  # unchanged by anyone anonymous
    # Looking a schema up (POST /subjects/{s}) is a read: what roles do at start-up.
    assert anonymous.lookup_schema(subject, SCHEMA).schema_id == schema_id
    assert anonymous.test_compatibility(subject, SCHEMA, "latest") is True


def test_serde_prepare_looks_up_anonymously_and_registers_only_as_governance(broker, governance, unique):
    subject = f"t{unique}.serde-value"
    schema = json.loads(SCHEMA.schema_str)
    anonymous = Serde.connect(broker.registry_url)
    assert _refused(lambda: anonymous.prepare(subject, schema)) in (401, 403)
    schema_id = Serde.connect(broker.registry_url, broker.registry_identity()).prepare(subject, schema)
    assert anonymous.prepare(subject, schema) == schema_id


@pytest.fixture
def cli_env(broker, unique, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"GOVBUS_REGISTRY_URL": broker.registry_url,
                        "GOVBUS_BOOTSTRAP_SERVERS": broker.bootstrap,
                        "GOVBUS_TOPIC_PREFIX": f"t{unique}", "COLUMNS": "250",
                        "GOVBUS_CATALOGUE_DIR": str(PROJECT_ROOT / "catalogue")}.items():
        monkeypatch.setenv(name, value)
    schemas = tmp_path / "avro"
    shutil.copytree(PROJECT_ROOT / "schemas" / "avro", schemas)
    monkeypatch.setenv("GOVBUS_SCHEMAS_DIR", str(schemas))


def test_schemas_register_authenticates(governance, broker, cli_env, monkeypatch):
    monkeypatch.setenv("GOVBUS_REGISTRY_IDENTITY_FILE", str(broker.registry_identity_file))
    result = runner.invoke(schemas_app, ["register"])
    assert result.exit_code == 0, result.output
    assert "OK: 8 subject(s) registered" in result.output
    assert runner.invoke(schemas_app, ["check"]).exit_code == 0


def test_schemas_register_without_identity_says_what_to_do(governance, cli_env, monkeypatch):
    monkeypatch.delenv("GOVBUS_REGISTRY_IDENTITY_FILE", raising=False)
    result = runner.invoke(schemas_app, ["register"])
    assert result.exit_code == 1
    assert "HTTP 401" in result.output and "GOVBUS_REGISTRY_IDENTITY_FILE" in result.output
    assert "Traceback" not in result.output


def test_a_wrong_secret_is_one_line_without_the_secret(governance, broker, cli_env, tmp_path, monkeypatch):
    good = broker.registry_identity()
    wrong = tmp_path / "wrong.json"
    write_identity(wrong, RegistryIdentity(good.client_id, "not-the-secret", good.token_url))
    monkeypatch.setenv("GOVBUS_REGISTRY_IDENTITY_FILE", str(wrong))
    result = runner.invoke(schemas_app, ["register"])
    assert result.exit_code == 1
    assert "no registry token" in result.output and "Traceback" not in result.output
    assert "not-the-secret" not in result.output and good.client_secret not in result.output


def test_an_identity_file_others_can_read_is_refused(broker, governance, tmp_path):
    loose = tmp_path / "loose.json"
    loose.write_text(Path(broker.registry_identity_file).read_text())
    os.chmod(loose, 0o644)
    with pytest.raises(RegistryIdentityError, match="chmod 600"):
        load_identity(loose)
    assert os.stat(broker.registry_identity_file).st_mode & 0o777 == 0o600
