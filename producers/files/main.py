"""Wiring for ``govbus import``: catalogue check → publisher → the import for the file's format.

Everything a command needs beyond parsing its options lives here, so the CLI stays thin. This
is also where SIGTERM is decided: an import that made its own publisher turns SIGTERM into an
orderly exit, so that the publisher's ``with`` block delivers what is in flight.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from confluent_kafka.schema_registry.error import OAuthTokenError, SchemaRegistryError

from govbus.core.deadletter import load_dead_letter_schema
from govbus.core.settings import GovbusSettings, kafka_config
from producers.files.formats import import_csv, import_json_lines, import_xlsx
from producers.files.pipeline import ImportPipeline
from producers.files.readers import Reading, ReadOptions, file_kind
from producers.sdk import ImportRefused, Publisher, connect_publisher, exits_on_sigterm, provider_source
from producers.sdk.bulk import ImportSummary, Limits
from producers.sdk.mapping import Mapping, load_mapping

__all__ = ["ImportRefused", "ImportRequest", "RegistryUnavailable", "import_file", "reading_for"]

# librdkafka's default message.max.bytes: the largest record a producer sends.
PRODUCER_MAX_MESSAGE_BYTES = 1_000_000
# Room left in a message for its headers and framing.
HEADER_ROOM_BYTES = 4096


class RegistryUnavailable(Exception):
    """The schema registry (or its identity provider) did not answer: nothing was published."""


@dataclass(frozen=True)
class ImportRequest:
    file: Path
    dataset: str
    department: str
    mapping: Path | None = None
    encoding: str | None = None
    level: str | None = None
    region: str | None = None
    sheet: str | None = None
    progress: bool = True
    from_line: int = 1  # rows numbered below it are skipped (the header is still read)


def reading_for(settings: GovbusSettings, from_line: int = 1) -> Reading:
    """The line cap and loop limits of an import: the cap never above what the producer may
    send (its message.max.bytes, from GOVBUS_KAFKA_EXTRA or librdkafka's default)."""
    producer_max = int(kafka_config(settings, "producer").get("message.max.bytes",
                                                              PRODUCER_MAX_MESSAGE_BYTES))
    limits = Limits(producer_max - HEADER_ROOM_BYTES, settings.import_broker_wait_seconds)
    cap = min(settings.import_max_line_bytes, producer_max)
    return Reading(ReadOptions(cap, from_line), limits)


def _registry_down(exc: Exception) -> bool:
    from confluent_kafka.schema_registry.common._httpx_compat import httpx  # noqa: PLC0415

    if isinstance(exc, SchemaRegistryError):
        return exc.http_status_code >= 500 or exc.http_status_code < 0
    return isinstance(exc, (httpx.TransportError, OAuthTokenError, OSError))


@contextmanager
def _registry_answers(settings: GovbusSettings) -> Iterator[None]:
    """A registry that does not answer as RegistryUnavailable, in one line."""
    try:
        yield
    except Exception as exc:  # classified below; anything else is re-raised
        if not _registry_down(exc):
            raise
        raise RegistryUnavailable(f"the schema registry at {settings.registry_url} did not "
                                  f"answer ({type(exc).__name__}: {exc}): start it (`govbus "
                                  "stack up`) or fix GOVBUS_REGISTRY_URL") from None


def import_file(settings: GovbusSettings, request: ImportRequest,
                publisher: Publisher | None = None) -> ImportSummary:
    """Import ``request.file`` by its suffix (.csv, .jsonl/.json, .xlsx). With a ``publisher``
    the caller owns it (and its shutdown); else one is made, and closed, for this import."""
    kind = file_kind(request.file)
    if kind == "jsonl" and (request.mapping or request.encoding):
        raise ImportRefused("--mapping and --encoding apply to CSV and .xlsx files only")
    mapping = load_mapping(request.mapping) if request.mapping else Mapping()
    schema, source = provider_source(settings, request.dataset, request.department,
                                     request.level, request.region, f"producers.files.{kind}")
    if publisher is not None:
        with _registry_answers(settings):
            publisher.prepare(schema, load_dead_letter_schema(settings.schemas_dir))
        pipeline = ImportPipeline(schema, source, publisher.schema_id(schema.dataset))
        return _import(settings, request, kind, mapping, pipeline, publisher)
    with _registry_answers(settings):
        made = connect_publisher(settings, schema)
    with exits_on_sigterm(), made as publisher:
        pipeline = ImportPipeline(schema, source, publisher.schema_id(schema.dataset))
        return _import(settings, request, kind, mapping, pipeline, publisher)


def _import(settings: GovbusSettings, request: ImportRequest, kind: str, mapping: Mapping,
            pipeline: ImportPipeline, publisher: Publisher) -> ImportSummary:
    path, reading = request.file, reading_for(settings, request.from_line)
    if kind == "csv":
        return import_csv(path, pipeline, publisher, mapping, request.encoding, request.progress,
                          compiled=settings.native_import, reading=reading)
    if kind == "xlsx":
        return import_xlsx(path, pipeline, publisher, mapping, request.sheet, request.progress,
                           reading)
    return import_json_lines(path, pipeline, publisher, request.progress, reading=reading)
