"""`govbus keys export`'s rendering and the consumer group each identity reads bus.keys with."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from commands.keys_cmd import KeyFormat, reader_group, render_keys
from govbus.core.settings import GovbusSettings
from govbus.core.signing import published

OLD, NEW = Ed25519PrivateKey.generate().public_key(), Ed25519PrivateKey.generate().public_key()
T0, T1 = datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 6, 1, tzinfo=timezone.utc)
KEYS = [published(NEW, T1), published(OLD, T0, retired=T1)]


def test_json_lists_every_key_oldest_first_with_its_retirement() -> None:
    listed = json.loads(render_keys(KEYS, KeyFormat.json))
    assert [k["key_id"] for k in listed] == [KEYS[1].key_id, KEYS[0].key_id]
    assert [k["retired"] for k in listed] == [T1.isoformat(), None]
    assert {k["algorithm"] for k in listed} == {"Ed25519"}


def test_pem_names_each_key_and_whether_it_is_retired() -> None:
    text = render_keys(KEYS, KeyFormat.pem)
    assert text.count("-----BEGIN PUBLIC KEY-----") == 2
    assert f"# key id {KEYS[1].key_id}  Ed25519  created {T0.isoformat()}  retired {T1.isoformat()}" in text
    assert f"# key id {KEYS[0].key_id}  Ed25519  created {T1.isoformat()}  in use" in text


@pytest.mark.parametrize(("user", "group"), [
    ("recv.public_security_350100", "recv.public_security_350100.keys"),  # under its own group prefix
    ("dept.hotline", "dept.hotline.keys"),
    ("svc.sink", "sink-g"),
    ("svc.processor", "proc-g"),
    ("", "proc-g"),
])
def test_reader_group_is_one_the_identity_may_use(user: str, group: str) -> None:
    settings = GovbusSettings(kafka_user=user, sink_group="sink-g", processor_group="proc-g")
    assert reader_group(settings) == group
