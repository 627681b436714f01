"""Wiring for ``govbus import``: catalogue check → publisher → the import for the file's format.

Everything a command needs beyond parsing its options lives here, so the CLI stays thin. This
is also where SIGTERM is decided: an import that made its own publisher turns SIGTERM into an
orderly exit, so that the publisher's ``with`` block delivers what is in flight.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from govbus.core.deadletter import load_dead_letter_schema
from govbus.core.settings import GovbusSettings
from producers.files.formats import import_csv, import_json_lines, import_xlsx
from producers.files.pipeline import ImportPipeline
from producers.files.readers import file_kind
from producers.sdk import ImportRefused, Publisher, connect_publisher, exits_on_sigterm, provider_source
from producers.sdk.bulk import ImportSummary
from producers.sdk.mapping import Mapping, load_mapping

__all__ = ["ImportRefused", "ImportRequest", "import_file"]


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
        publisher.prepare(schema, load_dead_letter_schema(settings.schemas_dir))
        pipeline = ImportPipeline(schema, source, publisher.schema_id(schema.dataset))
        return _import(settings, request, kind, mapping, pipeline, publisher)
    with exits_on_sigterm(), connect_publisher(settings, schema) as publisher:
        pipeline = ImportPipeline(schema, source, publisher.schema_id(schema.dataset))
        return _import(settings, request, kind, mapping, pipeline, publisher)


def _import(settings: GovbusSettings, request: ImportRequest, kind: str, mapping: Mapping,
            pipeline: ImportPipeline, publisher: Publisher) -> ImportSummary:
    path = request.file
    if kind == "csv":
        return import_csv(path, pipeline, publisher, mapping, request.encoding, request.progress,
                          compiled=settings.native_import)
    if kind == "xlsx":
        return import_xlsx(path, pipeline, publisher, mapping, request.sheet, request.progress)
    return import_json_lines(path, pipeline, publisher, request.progress)
