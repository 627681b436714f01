"""Client identities: password files, private files, the librdkafka and settings halves."""
from __future__ import annotations

import stat
from pathlib import Path

import pytest
from confluent_kafka import KafkaError

from govbus.core.credentials import (
    ClientIdentity,
    CredentialsError,
    IdentityFile,
    librdkafka_security,
    read_password,
    ssl_context,
    write_private,
)
from govbus.core.kafka_access import explain
from govbus.core.settings import GovbusSettings, connection_env, kafka_config

SECRET = "s3cret-Pa55"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _identity_file(tmp_path: Path, disabled: bool = False) -> Path:
    path = tmp_path / "identities" / "recv.x_1.json"
    IdentityFile("recv.x_1", SECRET, "SCRAM-SHA-512", str(tmp_path / "ca.pem"), "127.0.0.1:1", disabled).write(path)
    return path


def test_identity_files_are_private_and_round_trip(tmp_path):
    path = _identity_file(tmp_path)
    assert _mode(path) == 0o600
    assert IdentityFile.read(path).password == SECRET
    assert SECRET not in repr(IdentityFile.read(path))


def test_write_private_narrows_an_existing_world_readable_file(tmp_path):
    path = tmp_path / "p"
    path.write_text("old")
    path.chmod(0o644)
    write_private(path, "new")
    assert (path.read_text(), _mode(path)) == ("new", 0o600)


def test_password_from_identity_file_or_plain_file(tmp_path):
    assert read_password(_identity_file(tmp_path)) == SECRET
    plain = tmp_path / "pw"
    plain.write_text(SECRET + "\n")
    assert read_password(plain) == SECRET


@pytest.mark.parametrize("case", ["missing", "empty", "disabled"])
def test_unusable_password_files_say_what_to_do(tmp_path, case):
    path = {"missing": tmp_path / "nope",
            "empty": tmp_path / "empty",
            "disabled": _identity_file(tmp_path, disabled=True)}[case]
    if case == "empty":
        path.write_text("")
    with pytest.raises(CredentialsError) as failed:
        read_password(path)
    assert str(path) in str(failed.value) and "\n" not in str(failed.value)


def test_librdkafka_settings_are_sasl_ssl_with_the_ca(tmp_path):
    (tmp_path / "ca.pem").write_text("x")
    config = librdkafka_security(ClientIdentity("recv.x_1", _identity_file(tmp_path), tmp_path / "ca.pem"))
    assert config == {"security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512",
                      "sasl.username": "recv.x_1", "sasl.password": SECRET,
                      "ssl.ca.location": str(tmp_path / "ca.pem")}


def test_a_missing_ca_file_is_one_line(tmp_path):
    with pytest.raises(CredentialsError, match="CA file .* does not exist"):
        librdkafka_security(ClientIdentity("recv.x_1", _identity_file(tmp_path), tmp_path / "ca.pem"))
    with pytest.raises(CredentialsError, match="does not exist"):
        ssl_context(tmp_path / "ca.pem")


def test_settings_build_the_config_and_keep_the_password_out_of_repr(tmp_path):
    (tmp_path / "ca.pem").write_text("x")
    settings = GovbusSettings(bootstrap_servers="b:1", kafka_user="recv.x_1",
                              kafka_password_file=_identity_file(tmp_path), kafka_ca_file=tmp_path / "ca.pem")
    assert kafka_config(settings, "consumer")["sasl.password"] == SECRET
    assert SECRET not in repr(settings)
    env = connection_env(settings)
    assert env["GOVBUS_KAFKA_USER"] == "recv.x_1" and SECRET not in "".join(env.values())


def test_no_user_is_a_plaintext_config_and_a_user_without_a_file_is_refused():
    assert "security.protocol" not in kafka_config(GovbusSettings(bootstrap_servers="b:1"), "admin")
    with pytest.raises(CredentialsError, match="GOVBUS_KAFKA_PASSWORD_FILE"):
        kafka_config(GovbusSettings(bootstrap_servers="b:1", kafka_user="bus-admin"), "admin")


def test_settings_read_the_identity_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GOVBUS_KAFKA_USER", "svc.sink")
    monkeypatch.setenv("GOVBUS_KAFKA_PASSWORD_FILE", str(tmp_path / "f.json"))
    monkeypatch.setenv("GOVBUS_KAFKA_CA_FILE", "")  # empty: not set
    settings = GovbusSettings()
    assert (settings.kafka_user, settings.kafka_password_file, settings.kafka_ca_file) == \
        ("svc.sink", tmp_path / "f.json", None)
    assert settings.kafka_sasl_mechanism == "SCRAM-SHA-512"


def test_first_contact_failures_are_explained_in_one_line():
    auth = explain(KafkaError(KafkaError._AUTHENTICATION, "SASL authentication error"), "b:1", "svc.sink")
    assert "refused svc.sink" in auth and "identities rotate svc.sink" in auth
    tls = explain(KafkaError(KafkaError._SSL, "certificate verify failed"), "b:1", "svc.sink")
    assert "GOVBUS_KAFKA_CA_FILE" in tls
    assert "SASL_SSL clients only" in explain(None, "b:1", "")
    assert "govbus stack up" in explain(KafkaError(KafkaError._ALL_BROKERS_DOWN), "b:1", "svc.sink")
