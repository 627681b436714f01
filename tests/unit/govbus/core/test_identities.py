"""Identity names: one function per kind, and nothing else passes as a bus identity."""
from __future__ import annotations

import pytest

from govbus.core import identities


@pytest.mark.parametrize(("name", "kind"), [
    ("bus-admin", "admin"),
    ("svc.processor", "service"),
    ("svc.registry", "service"),
    (identities.adapter("hotline"), "adapter"),
    (identities.recipient("public_security_350100"), "recipient"),
])
def test_kind_of_names_each_kind(name: str, kind: str) -> None:
    assert identities.kind_of(name) == kind


@pytest.mark.parametrize("name", ["svc.unknown", "dept.", "recv.Bad-Name", "admin", "User:bus-admin", ""])
def test_kind_of_refuses_other_names(name: str) -> None:
    with pytest.raises(ValueError, match="not a bus identity"):
        identities.kind_of(name)


@pytest.mark.parametrize("bad", ["", "a.b", "A", "x y", "../x"])
def test_name_parts_are_checked(bad: str) -> None:
    with pytest.raises(ValueError):
        identities.adapter(bad)
    with pytest.raises(ValueError):
        identities.recipient(bad)


def test_names() -> None:
    assert identities.adapter("hotline") == "dept.hotline"
    assert identities.recipient("province_cdc_350000") == "recv.province_cdc_350000"
