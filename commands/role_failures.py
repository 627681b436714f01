"""What a long-running role's stop becomes at the command line: one line and an exit code.

Roles wait out outages of the broker, registry and database themselves (docs/operations.md);
what reaches this point is what no retry fixes: refused access, a schema the pool cannot take,
an audit topic that cannot give one order, a refused message.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator

from confluent_kafka import KafkaException
from confluent_kafka.schema_registry.error import SchemaRegistryError

from commands.exits import REFUSED, UNAVAILABLE, Failure
from commands.refusals import refused_access
from govbus.core.logs import TEXT_FORMAT, configure_logging
from govbus.core.outage_watch import describe, outage_of
from govbus.core.settings import GovbusSettings

# The roles' own lines (outages, stops) with their time, as text or JSON lines (GOVBUS_LOG_FORMAT);
# the Faust workers' handlers get the same format (stream_processors/faust_fix.py).
LOG_FORMAT = TEXT_FORMAT


def log_with_time(role: str = "govbus", level: int = logging.WARNING) -> None:
    """The role's lines at ``level``, or at GOVBUS_LOG_LEVEL where that is set."""
    settings = GovbusSettings()
    chosen = logging.getLevelNamesMapping()[settings.log_level] if settings.log_level else level
    configure_logging(settings.log_format, role, chosen)


@contextmanager
def role_failures(role: str) -> Iterator[None]:
    from consumers.audit.main import SigningKeyError
    from consumers.audit.sink import AuditTopicError
    from consumers.batches import ConsumeRefused
    from consumers.pool.store import SchemaConflict
    from govbus.core.key_topic import KeyTopicError
    from govbus.core.metrics_endpoint import MetricsPortInUse

    try:
        yield
    except (SchemaConflict, AuditTopicError, ConsumeRefused, SigningKeyError, KeyTopicError) as exc:
        raise Failure(REFUSED, f"{role} stopped: {exc}") from None
    except MetricsPortInUse as exc:
        raise Failure(UNAVAILABLE, f"{role} stopped: {exc}") from None
    except KafkaException as exc:
        line = refused_access(exc) or describe(exc)
        raise Failure(REFUSED if outage_of(exc) is None else UNAVAILABLE, f"{role} stopped: {line}") from None
    except SchemaRegistryError as exc:
        raise Failure(REFUSED if outage_of(exc) is None else UNAVAILABLE,
                      f"{role} stopped: the registry refused a request: {describe(exc)}") from None
