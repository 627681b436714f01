"""Bus identities: the SCRAM user names every govbus client connects as. Named only here.

One identity per department adapter, per recipient department, per govbus service, per
operator (a person: ``op.<name>``) and the administrator (docs/security.md). The names are what
the broker's ACLs, the local stack's credential files and the deployment manifests all key on,
so they are built by these functions and never by string formatting elsewhere.
"""
from __future__ import annotations

import re
from enum import StrEnum

ADMIN = "bus-admin"
# The schema registry's one writing identity (an OIDC client of the registry's identity
# provider, not a SCRAM user): `govbus schemas register | check` (docs/security.md).
REGISTRY_GOVERNANCE = "svc.governance"
_NAME = re.compile(r"^[a-z0-9_]+$")


class Service(StrEnum):
    """govbus's own long-running roles, each with an identity of its own."""

    PROCESSOR = "svc.processor"
    DETECTOR = "svc.detector"
    SINK = "svc.sink"
    AUDIT = "svc.audit"
    FEED = "svc.feed"
    INGEST = "svc.ingest"
    REGISTRY = "svc.registry"
    QUALITY = "svc.quality"


def _part(value: str, what: str) -> str:
    if not _NAME.match(value):
        raise ValueError(f"not a valid {what} for an identity name: {value!r}")
    return value


def adapter(department: str) -> str:
    """The identity a department's adapter publishes its raw topics with (``dept.hotline``)."""
    return f"dept.{_part(department, 'department')}"


def recipient(recipient_id: str) -> str:
    """The identity a recipient department reads its shared topics with
    (``recv.public_security_350100``)."""
    return f"recv.{_part(recipient_id, 'recipient id')}"


def operator(person: str) -> str:
    """The identity a person acts on the bus with (``op.alice``): re-drives, incident actions.
    Every action it takes is recorded on its own action topic (govbus.core.actions)."""
    return f"op.{_part(person, 'operator name')}"


_KINDS = {"dept": "adapter", "recv": "recipient", "op": "operator"}


def kind_of(name: str) -> str:
    """``admin``, ``service``, ``adapter``, ``recipient`` or ``operator``; ValueError for any
    other name."""
    if name == ADMIN:
        return "admin"
    if name in {s.value for s in Service}:
        return "service"
    prefix, _, rest = name.partition(".")
    if prefix in _KINDS and _NAME.match(rest):
        return _KINDS[prefix]
    raise ValueError(f"not a bus identity: {name!r} (bus-admin, svc.*, dept.<department>, "
                     f"recv.<recipient>, op.<name>)")
