"""Faust's side of connecting as a bus identity: SCRAM over SASL_SSL through aiokafka
(docs/findings.md#security). The password is read here, when the app is built."""
from __future__ import annotations

import faust

from govbus.core.credentials import read_password, ssl_context
from govbus.core.settings import GovbusSettings, client_identity


def broker_credentials(settings: GovbusSettings) -> faust.SASLCredentials | None:
    """``broker_credentials`` for ``faust.App``: None (plaintext) when no identity is set."""
    identity = client_identity(settings)
    if identity is None:
        return None
    return faust.SASLCredentials(username=identity.user, password=read_password(identity.password_file),
                                 mechanism=identity.mechanism, ssl_context=ssl_context(identity.ca_file))


def broker_urls(settings: GovbusSettings) -> list[str]:
    return [f"kafka://{server}" for server in settings.bootstrap_servers.split(",")]
