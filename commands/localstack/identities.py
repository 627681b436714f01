"""The local stack's identities: a SCRAM credential on the broker and a file for each.

``<stack dir>/identities/<name>.json`` (0600) is what a client of that identity is handed: user,
password, mechanism, CA file, bootstrap (govbus.core.credentials.IdentityFile). bus-admin's is
made before the broker's storage is formatted (its credential goes in with ``--add-scram``); the
rest are made through the Admin API, connected as bus-admin.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable

from confluent_kafka.admin import AdminClient

from govbus.core import identities, scram
from govbus.core.agreements import load_agreements
from govbus.core.catalogue import load_catalogue
from govbus.core.credentials import DEFAULT_MECHANISM, ClientIdentity, IdentityFile, librdkafka_security

IDENTITIES_DIR = "identities"


def identity_path(stack_dir: Path, name: str) -> Path:
    identities.kind_of(name)  # ValueError for anything that is not a bus identity
    return stack_dir / IDENTITIES_DIR / f"{name}.json"


def new_password() -> str:
    return secrets.token_urlsafe(24)


def bus_identity_names(departments: Iterable[str], recipient_ids: Iterable[str]) -> list[str]:
    """bus-admin, every service, each provider department's adapter, each recipient: in order."""
    return [identities.ADMIN, *(s.value for s in identities.Service),
            *(identities.adapter(d) for d in sorted(set(departments))),
            *(identities.recipient(r) for r in sorted(set(recipient_ids)))]


def catalogue_identity_names(catalogue_dir: Path) -> list[str]:
    catalogue = load_catalogue(catalogue_dir)
    agreements = load_agreements(catalogue_dir).agreements.values()
    return bus_identity_names((e.provider.department for e in catalogue.entries.values()),
                              (a.recipient_id for a in agreements))


@dataclass(frozen=True)
class StackIdentities:
    """The identities of one local stack: where their files are and how to reach its broker."""

    stack_dir: Path
    bootstrap: str
    ca_file: Path

    def path(self, name: str) -> Path:
        return identity_path(self.stack_dir, name)

    def fresh(self, name: str) -> IdentityFile:
        return IdentityFile(name, new_password(), DEFAULT_MECHANISM, str(self.ca_file), self.bootstrap)

    def admin_identity(self) -> ClientIdentity:
        return ClientIdentity(identities.ADMIN, self.path(identities.ADMIN), self.ca_file)

    def admin_client(self) -> AdminClient:
        return AdminClient({"bootstrap.servers": self.bootstrap, **librdkafka_security(self.admin_identity()),
                            # librdkafka's own log lines (e.g. on close) are noise on a terminal.
                            "log_level": 0, "logger": _silent()})  # type: ignore[dict-item]

    def ensure_admin_file(self) -> IdentityFile:
        """bus-admin's file, made on first use: its password is needed before the broker runs."""
        path = self.path(identities.ADMIN)
        if path.exists():
            return IdentityFile.read(path)
        made = self.fresh(identities.ADMIN)
        made.write(path)
        return made

    def create(self, admin: AdminClient, name: str) -> IdentityFile:
        """A new credential (or a new password for an existing one) and its file."""
        made = self.fresh(name)
        scram.set_password(admin, name, made.password, made.mechanism)
        made.write(self.path(name))
        return made

    def disable(self, admin: AdminClient, name: str) -> bool:
        """Delete the credential; the file stays, marked disabled. False if there was none."""
        path = self.path(name)
        deleted = scram.delete(admin, name, DEFAULT_MECHANISM)
        if path.exists():
            current = IdentityFile.read(path)
            replace(current, disabled=True).write(path)
        return deleted

    def ensure_all(self, admin: AdminClient, names: Iterable[str]) -> list[str]:
        """Create every identity in ``names`` that has no file yet (a disabled one keeps its
        file, so it stays disabled); returns the names created."""
        made = [name for name in names if not self.path(name).exists()]
        for name in made:
            self.create(admin, name)
        return made

    def files(self) -> dict[str, IdentityFile]:
        folder = self.stack_dir / IDENTITIES_DIR
        # The folder also keeps the registry's OIDC identities (registry.svc.governance.json,
        # keycloak.bootstrap-admin.json): not Kafka identities, so not listed here.
        return {p.stem: IdentityFile.read(p) for p in sorted(folder.glob("*.json")) if _is_bus_identity(p.stem)}


def _is_bus_identity(name: str) -> bool:
    try:
        identities.kind_of(name)
    except ValueError:
        return False
    return True


def _silent() -> logging.Logger:
    logger = logging.getLogger("govbus.identities")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    return logger
