"""A first request to the broker as the configured identity, so that a wrong password, a wrong CA
or a broker that is down is one line saying what to do, not a client that retries for minutes.

librdkafka retries authentication and TLS failures quietly (a producer would wait out its
300 s message timeout); its ``error_cb`` sees them at once, so the check waits for either a
metadata answer or the first such error.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

from govbus.core.credentials import CredentialsError


class AccessError(CredentialsError):
    """The broker cannot be reached or refuses the identity (a condition of the world)."""


class BrokerUnreachable(AccessError):
    """No broker answered at all: nothing to fix in the settings if they were right; retry later."""


# Errors that settle the question at once, most telling first.
DECISIVE = (KafkaError._AUTHENTICATION, KafkaError._SSL)
# How long "all brokers down" is given to turn into one of those before it is the answer.
DOWN_GRACE = 3.0


def explain(error: KafkaError | None, bootstrap: str, user: str) -> str:
    """One line for a failed first contact: what failed and what to do."""
    text = error.str() if error is not None else "no answer"
    code = error.code() if error is not None else None
    if code == KafkaError._SSL or (code == KafkaError._AUTHENTICATION and "SSL" in text):
        return (f"TLS with {bootstrap} failed (certificate not verified): GOVBUS_KAFKA_CA_FILE must be the "
                f"bus's CA certificate (the local stack's <stack dir>/tls/ca.pem)")
    if code == KafkaError._AUTHENTICATION:
        return (f"{bootstrap} refused {user}: authentication failed (wrong password or a disabled identity): "
                f"point GOVBUS_KAFKA_PASSWORD_FILE at the identity's current file, or "
                f"`govbus identities rotate {user}`")
    if not user:
        return (f"no answer from {bootstrap} to a client without an identity: the bus takes SASL_SSL "
                f"clients only; set GOVBUS_KAFKA_USER, GOVBUS_KAFKA_PASSWORD_FILE and GOVBUS_KAFKA_CA_FILE")
    return (f"no broker answers at {bootstrap} ({text}): start it (`govbus stack up`) or fix "
            f"GOVBUS_BOOTSTRAP_SERVERS")


def _most_telling(errors: list[KafkaError]) -> KafkaError | None:
    for code in DECISIVE:
        for error in errors:
            if error.code() == code:
                return error
    return errors[0] if errors else None


def check_access(config: dict[str, Any], timeout: float = 15.0) -> None:
    """Raise AccessError unless the broker of ``config`` (a librdkafka configuration) answers a
    metadata request from that identity within ``timeout`` seconds."""
    errors: list[KafkaError] = []
    # The stub types config values as scalars; librdkafka's Python client takes callables here.
    admin = AdminClient({**config, "error_cb": errors.append, "log_level": 0,  # type: ignore[dict-item]
                         "logger": _silent()})  # type: ignore[dict-item]
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            admin.list_topics(timeout=1.0)  # short tries: a refusal reaches error_cb within a second
            return
        except KafkaException as exc:
            errors.append(exc.args[0])
        admin.poll(0)
        if any(e.code() in DECISIVE for e in errors) or (
                time.monotonic() - started > DOWN_GRACE
                and any(e.code() == KafkaError._ALL_BROKERS_DOWN for e in errors)):
            break
    telling = _most_telling(errors)
    refused = telling is not None and telling.code() in DECISIVE
    user = str(config.get("sasl.username", ""))
    raise (AccessError if refused or not user else BrokerUnreachable)(
        explain(telling, str(config.get("bootstrap.servers")), user))


def _silent() -> logging.Logger:
    logger = logging.getLogger("govbus.kafka_access")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    return logger
