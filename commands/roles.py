"""The identity a command connects as where the command alone does not say it: the department a
publishing command publishes as, and the role identities the demo hands its child processes.

Each long-running role has its own identity (docs/security.md#which-identity-each-command-uses);
the broker's ACLs, compiled from the catalogue and agreements, say what each may do.
"""
from __future__ import annotations

from govbus.core import identities
from govbus.core.credentials import CredentialsError
from govbus.core.settings import GovbusSettings


def publisher_identity(settings: GovbusSettings, dataset: str, department: str | None) -> str:
    """``dept.<department>`` of the department publishing ``dataset`` (None: the catalogue's
    provider). Checked first, so that a department that is not the provider is refused for that
    reason (a ValueError the commands print) rather than for lacking an identity."""
    from producers.sdk.provider import provider_source

    _schema, source = provider_source(settings, dataset, department, None, None, "identity check")
    return identities.adapter(source.department)


def as_identity(settings: GovbusSettings, identity: str) -> GovbusSettings:
    """``settings`` connecting as ``identity`` instead, with its file from the same identities
    folder as the settings' own (a local stack's ``<stack dir>/identities/``). Unchanged for a
    broker without identities (no user: plaintext)."""
    from commands.localstack.identities import identity_path

    if not settings.kafka_user or settings.kafka_user == identity:
        return settings
    own = settings.kafka_password_file
    path = identity_path(own.parent.parent, identity) if own is not None else None
    if path is None or not path.exists():
        raise CredentialsError(f"no identity file for {identity} beside {own}: the demo runs each role as its "
                               f"own identity (`govbus identities create {identity}`)")
    return settings.model_copy(update={"kafka_user": identity, "kafka_password_file": path})
