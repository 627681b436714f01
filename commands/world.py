"""Conditions of the world that reach ``commands.main.main`` as exceptions, said in one line.

A command that knows more says more (it raises ``Failure`` itself); this is the net under all of
them, so that a registry, broker or database that does not answer, a port that is taken, a
settings value that is not valid or a file that cannot be read is never a traceback. Anything not
recognised here is a fault of govbus and keeps its traceback.
"""
from __future__ import annotations

import errno
import importlib
import importlib.util

import pydantic
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.schema_registry.error import SchemaRegistryError
from sqlalchemy.exc import OperationalError

from commands import exits
from commands.exits import Failure
from commands.refusals import refused_access
from govbus.core.catalogue import CatalogueError
from govbus.core.credentials import CredentialsError
from govbus.core.kafka_access import BrokerUnreachable
from govbus.core.registry_auth import RegistryIdentityError

UNREACHABLE_KAFKA = {KafkaError._ALL_BROKERS_DOWN, KafkaError._TRANSPORT, KafkaError._TIMED_OUT,
                     KafkaError._MSG_TIMED_OUT, KafkaError.REQUEST_TIMED_OUT, KafkaError._RESOLVE,
                     KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_NOT_AVAILABLE,
                     KafkaError.LEADER_NOT_AVAILABLE, KafkaError.NOT_LEADER_FOR_PARTITION}

# The registry client speaks httpx2 where it is installed (confluent-kafka prefers it), else httpx.
HTTP_TRANSPORT_ERRORS: tuple[type[Exception], ...] = tuple(
    importlib.import_module(name).TransportError for name in ("httpx", "httpx2")
    if importlib.util.find_spec(name) is not None)


def failure_of(exc: BaseException) -> Failure | None:
    """The one-line failure for ``exc``, or None when it is not a condition of the world."""
    if isinstance(exc, BrokerUnreachable):
        return Failure(exits.UNAVAILABLE, str(exc))
    for classify in (_settings, _kafka, _registry, _database, _os):
        found = classify(exc)
        if found is not None:
            return found
    return None


def _settings(exc: BaseException) -> Failure | None:
    if isinstance(exc, pydantic.ValidationError):
        first = exc.errors()[0]
        name = "GOVBUS_" + "_".join(str(part) for part in first["loc"]).upper()
        return Failure(exits.REFUSED, f"{name}: {first['msg']} (got {first.get('input')!r}); fix the setting")
    if isinstance(exc, (CredentialsError, RegistryIdentityError)):
        return Failure(exits.REFUSED, str(exc))
    if isinstance(exc, CatalogueError):
        return Failure(exits.REFUSED, f"the catalogue refused this: {exc}; `govbus catalogue validate` says more")
    return None


def _kafka(exc: BaseException) -> Failure | None:
    if not isinstance(exc, KafkaException):
        return None
    refusal = refused_access(exc)
    if refusal is not None:
        return Failure(exits.REFUSED, refusal)
    error = exc.args[0] if exc.args else None
    if isinstance(error, KafkaError) and (error.code() in UNREACHABLE_KAFKA or error.retriable()):
        return Failure(exits.UNAVAILABLE, f"the broker did not answer ({error.str()}): check it runs "
                                          "(`govbus stack status`) and GOVBUS_BOOTSTRAP_SERVERS, then retry")
    return None


def _registry(exc: BaseException) -> Failure | None:
    if isinstance(exc, HTTP_TRANSPORT_ERRORS):
        return Failure(exits.UNAVAILABLE, f"the schema registry did not answer ({exc or type(exc).__name__}): "
                                          "check it runs (`govbus stack status`) and GOVBUS_REGISTRY_URL, then retry")
    if isinstance(exc, SchemaRegistryError) and exc.http_status_code >= 500:
        return Failure(exits.UNAVAILABLE, f"the schema registry failed ({exc.http_status_code}: "
                                          f"{exc.error_message}): retry when it is healthy")
    if isinstance(exc, SchemaRegistryError) and exc.http_status_code in (401, 403):
        # Reads are open; a write (a subject not registered yet) needs the governance identity.
        return Failure(exits.REFUSED, f"the schema registry refused this identity ({exc.http_status_code}: "
                                      f"{exc.error_message}): register the schemas first (`govbus schemas register`, "
                                      "as the governance identity: GOVBUS_REGISTRY_IDENTITY_FILE)")
    return None


def _database(exc: BaseException) -> Failure | None:
    if isinstance(exc, OperationalError):
        reason = str(exc.orig or exc).splitlines()[0]
        return Failure(exits.UNAVAILABLE, f"the database did not answer or refused ({reason}): "
                                          "check that it runs and the database URL setting (GOVBUS_POOL_URL, --db)")
    return None


def _os(exc: BaseException) -> Failure | None:
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return Failure(exits.UNAVAILABLE, f"the port is already in use ({exc.strerror}): stop what holds it "
                                          "or choose another port")
    if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)):
        return Failure(exits.REFUSED, f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc))
    return None
