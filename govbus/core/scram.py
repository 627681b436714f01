"""SCRAM credentials on the broker, through the Admin API (the caller connects as bus-admin).

Kafka keeps them in its metadata log; a changed or deleted credential refuses the next
authentication (connections already open stay open until they reconnect).
"""
from __future__ import annotations

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (
    AdminClient,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)

# Kafka's minimum is 4096; the credential is made once, so the cost falls on each login only.
ITERATIONS = 8192
TIMEOUT = 30.0


def _mechanism(name: str) -> ScramMechanism:
    try:
        return {"SCRAM-SHA-512": ScramMechanism.SCRAM_SHA_512, "SCRAM-SHA-256": ScramMechanism.SCRAM_SHA_256}[name]
    except KeyError:
        raise ValueError(f"not a SCRAM mechanism: {name!r} (SCRAM-SHA-512 or SCRAM-SHA-256)") from None


def set_password(admin: AdminClient, user: str, password: str, mechanism: str) -> None:
    """Create ``user``'s credential or replace its password."""
    info = ScramCredentialInfo(_mechanism(mechanism), ITERATIONS)
    futures = admin.alter_user_scram_credentials([UserScramCredentialUpsertion(user, info, password.encode())])
    futures[user].result(TIMEOUT)


def delete(admin: AdminClient, user: str, mechanism: str) -> bool:
    """Delete ``user``'s credential; False if it had none."""
    futures = admin.alter_user_scram_credentials([UserScramCredentialDeletion(user, _mechanism(mechanism))])
    try:
        futures[user].result(TIMEOUT)
    except KafkaException as exc:
        if exc.args[0].code() == KafkaError.RESOURCE_NOT_FOUND:
            return False
        raise
    return True


def users(admin: AdminClient) -> set[str]:
    """Every user with a SCRAM credential on the broker."""
    described = admin.describe_user_scram_credentials().result(TIMEOUT)  # type: ignore[union-attr]
    return set(described)

