"""Conditions of the world → one line and an exit code (commands/world.py); the rest keeps its traceback."""
from __future__ import annotations

import errno

import httpx
import pydantic
import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.schema_registry.error import SchemaRegistryError
from sqlalchemy.exc import OperationalError

from commands import exits
from commands.world import HTTP_TRANSPORT_ERRORS, failure_of
from govbus.core.credentials import CredentialsError
from govbus.core.kafka_access import AccessError, BrokerUnreachable
from govbus.core.settings import GovbusSettings


def _settings_error() -> pydantic.ValidationError:
    with pytest.raises(pydantic.ValidationError) as caught:
        GovbusSettings(topic_prefix="bad.")
    return caught.value


CASES = [
    ("broker unreachable", BrokerUnreachable("no broker answers at x:1"), exits.UNAVAILABLE, "no broker answers"),
    ("wrong password", AccessError("x refused bus-admin: authentication failed"), exits.REFUSED, "refused"),
    ("credentials", CredentialsError("GOVBUS_PSEUDONYM_KEY_FILE=/nope: cannot read it"), exits.REFUSED, "/nope"),
    ("bad setting", _settings_error(), exits.REFUSED, "GOVBUS_TOPIC_PREFIX"),
    ("all brokers down", KafkaException(KafkaError(KafkaError._ALL_BROKERS_DOWN)), exits.UNAVAILABLE,
     "the broker did not answer"),
    ("access refused", KafkaException(KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED)), exits.REFUSED,
     "refused access to a topic"),
    ("registry down", httpx.ConnectError("[Errno 111] Connection refused"), exits.UNAVAILABLE,
     "the schema registry did not answer"),
    ("registry 503", SchemaRegistryError(503, 50301, "unavailable"), exits.UNAVAILABLE, "the schema registry failed"),
    ("registry 401", SchemaRegistryError(401, 0, "User is not authenticated."), exits.REFUSED,
     "register the schemas first"),
    ("registry 403", SchemaRegistryError(403, 0, "forbidden"), exits.REFUSED, "the schema registry refused"),
    ("database down", OperationalError("connect", {}, Exception("connection refused\nmore")), exits.UNAVAILABLE,
     "the database did not answer or refused (connection refused)"),
    ("port in use", OSError(errno.EADDRINUSE, "address already in use"), exits.UNAVAILABLE, "port is already in use"),
    ("missing file", FileNotFoundError(errno.ENOENT, "No such file or directory", "/x.csv"), exits.REFUSED, "/x.csv"),
]


@pytest.mark.parametrize("exc, code, words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_conditions_of_the_world_are_one_line_with_their_code(exc, code, words):
    failure = failure_of(exc)
    assert failure is not None
    assert (failure.code, "\n" in failure.line) == (code, False)
    assert words in failure.line


@pytest.mark.parametrize("exc", [ValueError("a bug"), KeyError("x"), SchemaRegistryError(409, 409, "conflict"),
                                 KafkaException(KafkaError(KafkaError.INVALID_CONFIG))], ids=repr)
def test_faults_of_govbus_are_not_hidden(exc):
    assert failure_of(exc) is None


def test_the_registry_clients_own_transport_errors_are_recognised():
    # confluent-kafka's registry client raises httpx2's errors where httpx2 is installed.
    from confluent_kafka.schema_registry.common._httpx_compat import httpx as registry_http

    assert registry_http.TransportError in HTTP_TRANSPORT_ERRORS


def test_the_readme_lists_every_exit_code_with_its_meaning():
    from pathlib import Path

    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    for code, meaning in exits.MEANINGS.items():
        assert f"| {code} | {meaning} |" in readme
