"""Audit ids are uuid5's, bit for bit: ids made before the faster hashing stay the same ids."""
from __future__ import annotations

import uuid

import pytest

from stream_processors.route.logic import AUDIT_NAMESPACE, audit_id, audit_id_python


@pytest.mark.parametrize(("event_id", "recipient", "agreement", "version"), [
    ("7550c0ff-8f7b-5964-bb9c-30a8ecf32a74", "public_security_350100", "hotline-to-public-security-fz", 1),
    ("00000000-0000-5000-8000-000000000001", "urban_management_350102", "a", 12),
    ("", "", "", 0),
    ("e", "卫生健康_350100", "协议|一", 3),
])
def test_audit_id_is_uuid5(event_id: str, recipient: str, agreement: str, version: int) -> None:
    expected = uuid.uuid5(AUDIT_NAMESPACE, f"{event_id}|{recipient}|{agreement}|{version}")
    assert audit_id(event_id, recipient, agreement, version) == str(expected)  # compiled (CI builds it)
    assert audit_id_python(event_id, recipient, agreement, version) == str(expected)


def test_the_compiled_uuid5_is_uuid5_for_any_namespace_and_name() -> None:
    import govbus_native

    for n in range(200):
        namespace, name = uuid.uuid4(), "名" * (n % 7) + str(n) * n
        assert govbus_native.uuid5(namespace.bytes, name) == str(uuid.uuid5(namespace, name))
