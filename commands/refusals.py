"""A refused access is one line saying what the broker refused and what to do, never a
traceback: each role connects as its own identity, and what that identity may do is the ACLs
compiled from the catalogue and the agreements (docs/security.md)."""
from __future__ import annotations

from confluent_kafka import KafkaError, KafkaException

REFUSED = {KafkaError.TOPIC_AUTHORIZATION_FAILED: "a topic", KafkaError.GROUP_AUTHORIZATION_FAILED: "a consumer group",
           KafkaError.CLUSTER_AUTHORIZATION_FAILED: "the cluster",
           KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED: "a transactional id"}
WHAT_TO_DO = ("the ACLs compiled from the catalogue and agreements do not allow this identity to: "
              "`govbus acl plan` (as bus-admin) shows what the broker lacks, `govbus acl apply` grants "
              "what they require (a topic that does not exist yet is created by the processor at its start)")


def refused_access(exc: BaseException) -> str | None:
    """The line for a KafkaException that is an authorization refusal; None for any other."""
    error = exc.args[0] if isinstance(exc, KafkaException) and exc.args else None
    if not isinstance(error, KafkaError) or error.code() not in REFUSED:
        return None
    return f"the broker refused access to {REFUSED[error.code()]} ({error.str()}): {WHAT_TO_DO}"


def refusal_hint(text: str) -> str:
    """What to do, when ``text`` (a delivery report, an error message) says access was refused."""
    return f"; {WHAT_TO_DO}" if "AUTHORIZATION_FAILED" in text else ""
