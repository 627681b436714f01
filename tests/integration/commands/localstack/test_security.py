"""The session's broker enforces who connects: SASL_SSL with SCRAM only, the controller port
closed to clients, private key and identity files, and rotation/disabling that take effect at the
next login. Runs against the session's local stack (its folder is where the identity file is)."""
from __future__ import annotations

import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer

from commands.localstack import StackState
from govbus.core.credentials import IdentityFile
from govbus.core.kafka_access import AccessError, check_access
from govbus.core.settings import PROJECT_ROOT


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _state(broker) -> StackState:
    state = StackState.load(broker.stack_dir())
    assert state is not None
    return state


def _as(broker, user: str, password: str, tmp_path: Path) -> dict:
    """A client configuration for ``user`` with ``password`` (held in a file of its own)."""
    secret = tmp_path / f"{user}-{uuid.uuid4().hex[:6]}.pw"
    secret.write_text(password)
    return {"bootstrap.servers": broker.bootstrap, "security.protocol": "SASL_SSL",
            "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": user, "sasl.password": password,
            "ssl.ca.location": str(broker.kafka_ca_file)}


def test_anonymous_plaintext_client_is_refused(broker):
    with pytest.raises(AccessError, match="SASL_SSL clients only"):
        check_access({"bootstrap.servers": broker.bootstrap}, timeout=5)
    reports = []
    producer = Producer({"bootstrap.servers": broker.bootstrap, "message.timeout.ms": 3000, "log_level": 0})
    producer.produce("anything", b"x", on_delivery=lambda err, msg: reports.append(err))
    producer.flush(15)
    assert len(reports) == 1 and reports[0] is not None  # timed out: never delivered


def test_wrong_password_is_refused_and_bus_admin_works(broker, tmp_path, unique):
    with pytest.raises(AccessError, match="authentication failed"):
        check_access(_as(broker, "bus-admin", "not-the-password", tmp_path))
    with pytest.raises(AccessError, match="authentication failed"):
        check_access(_as(broker, "nobody", "x", tmp_path))
    config = broker.client_config()
    check_access(config)
    producer = Producer(config | {"enable.idempotence": True})
    topic = f"t{unique}.security"
    delivered = []
    producer.produce(topic, b"hello", on_delivery=lambda err, msg: delivered.append(err))
    assert producer.flush(30) == 0 and delivered == [None]
    consumer = Consumer(config | {"group.id": f"g{unique}", "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    try:
        message = next(m for m in iter(lambda: consumer.poll(1.0), 0) if m is not None and not m.error())
    finally:
        consumer.close()
    assert message.value() == b"hello"


def test_the_controller_port_refuses_clients(broker, tmp_path):
    state = _state(broker)
    controller = f"127.0.0.1:{state.controller_port}"
    with pytest.raises(AccessError):
        check_access(broker.client_config() | {"bootstrap.servers": controller}, timeout=5)
    # TLS with the bus's CA but without the broker's client certificate: no handshake.
    with pytest.raises(AccessError):
        check_access({"bootstrap.servers": controller, "security.protocol": "SSL",
                      "ssl.ca.location": str(broker.kafka_ca_file)}, timeout=5)


def test_key_and_secret_files_are_private(broker):
    state = _state(broker)
    root = Path(state.stack_dir)
    private = [state.tls.broker_store, state.tls.ca_key, root / "server.properties",
               root / "config" / "application.properties", *(root / "identities").glob("*.json")]
    assert len(private) > 10
    assert {str(p): _mode(p) for p in private} == {str(p): 0o600 for p in private}
    assert "PRIVATE KEY" not in state.tls.ca_cert.read_text()
    assert not (root / "format.args").exists()


def _govbus(broker, *args: str) -> subprocess.CompletedProcess:
    env = {"GOVBUS_STACK_DIR": str(broker.stack_dir()), "PATH": "/usr/bin:/bin", "COLUMNS": "200"}
    note = ("--note", "security test") if args[0] in ("create", "rotate", "disable") else ()
    return subprocess.run([sys.executable, "-m", "commands.main", "identities", *args, *note], env=env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)


def test_rotate_refuses_the_old_password_and_disable_refuses_every_login(broker, tmp_path, unique):
    name = f"recv.sectest_{unique}"
    path = broker.stack_dir() / "identities" / f"{name}.json"
    try:
        created = _govbus(broker, "create", name)
        assert created.returncode == 0, created.stderr
        old = IdentityFile.read(path)
        assert old.password not in created.stdout  # only --show prints it
        check_access(_as(broker, name, old.password, tmp_path))

        rotated = _govbus(broker, "rotate", name)
        assert rotated.returncode == 0, rotated.stderr
        new = IdentityFile.read(path)
        assert new.password != old.password and _mode(path) == 0o600
        with pytest.raises(AccessError, match="authentication failed"):
            check_access(_as(broker, name, old.password, tmp_path))
        check_access(broker.client_config() | {"sasl.username": name, "sasl.password": new.password})

        assert _govbus(broker, "disable", name).returncode == 0
        assert IdentityFile.read(path).disabled
        with pytest.raises(AccessError, match="authentication failed"):
            check_access(_as(broker, name, new.password, tmp_path))
        listed = _govbus(broker, "list")
        assert name in listed.stdout and "disabled" in listed.stdout
    finally:
        _govbus(broker, "disable", name)
        path.unlink(missing_ok=True)


def test_a_wrong_password_file_is_one_line_not_a_traceback(broker, tmp_path):
    bad = tmp_path / "bad.pw"
    bad.write_text("wrong")
    env = {"PATH": "/usr/bin:/bin", "COLUMNS": "300", "GOVBUS_STACK_DIR": str(tmp_path / "none"),
           **broker.env(), "GOVBUS_KAFKA_PASSWORD_FILE": str(bad)}
    done = subprocess.run([sys.executable, "-m", "commands.main", "dlq", "list", "hotline.work_order"], env=env,
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "authentication failed" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
