"""Wiring for ``govbus import``: catalogue check → publisher → the import for the file's format.

Everything a command needs beyond parsing its options lives here, so the CLI stays thin.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from govbus.core.catalogue import AdminLevel, load_catalogue
from govbus.core.deadletter import load_dead_letter_schema
from govbus.core.identifiers import check_region_code
from govbus.core.metrics import Metrics, new_metrics
from govbus.core.result import Fault
from govbus.core.schemas import DatasetSchema, load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings
from producers.files.formats import import_csv, import_json_lines, import_xlsx
from producers.files.importer import ImportSummary
from producers.files.mapping import Mapping, load_mapping
from producers.files.pipeline import Pipeline
from producers.files.readers import file_kind
from producers.sdk import Publisher, Source, check_provider


class ImportRefused(ValueError):
    """The request itself is wrong (unknown dataset, bad level or region, misplaced option)."""


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


def provider_source(settings: GovbusSettings, dataset: str, department: str | None,
                    level: str | None, region: str | None,
                    component: str) -> tuple[DatasetSchema, Source]:
    """The dataset's schema and the publishing Source. ``department`` must be the catalogue's
    provider (None: publish as the provider); level and region default to the provider's."""
    schemas = load_schemas(settings.schemas_dir)
    if dataset not in schemas:
        raise ImportRefused(f"unknown dataset {dataset!r}; known: {', '.join(sorted(schemas))}")
    catalogue = load_catalogue(settings.catalogue_dir)
    provider = catalogue.entries[dataset].provider if dataset in catalogue.entries else None
    department = department or (provider.department if provider else "")
    check_provider(catalogue, dataset, department)  # NotProvider: a ValueError with the reason
    level = level or provider.level.value
    region = region or provider.region_code
    if level not in AdminLevel.__members__:
        raise ImportRefused(f"level {level!r} is not one of {', '.join(AdminLevel.__members__)}")
    if isinstance(checked := check_region_code(region), Fault):
        raise ImportRefused(f"region {region!r}: {checked.message}")
    return schemas[dataset], Source(department, level, region, component)


def connect_publisher(settings: GovbusSettings, schema: DatasetSchema,
                      metrics: Metrics | None = None) -> Publisher:
    publisher = Publisher(settings, Serde.connect(settings.registry_url), metrics or new_metrics())
    publisher.prepare(schema, load_dead_letter_schema(settings.schemas_dir))
    return publisher


def import_file(settings: GovbusSettings, request: ImportRequest,
                publisher: Publisher | None = None) -> ImportSummary:
    """Import ``request.file`` by its suffix (.csv, .jsonl/.json, .xlsx)."""
    path, kind = request.file, file_kind(request.file)
    if kind == "jsonl" and (request.mapping or request.encoding):
        raise ImportRefused("--mapping and --encoding apply to CSV and .xlsx files only")
    mapping = load_mapping(request.mapping) if request.mapping else Mapping()
    schema, source = provider_source(settings, request.dataset, request.department,
                                     request.level, request.region, f"producers.files.{kind}")
    if publisher is None:
        publisher = connect_publisher(settings, schema)
    else:
        publisher.prepare(schema, load_dead_letter_schema(settings.schemas_dir))
    pipeline = Pipeline(schema, source, publisher.schema_id(schema.dataset))
    if kind == "csv":
        return import_csv(path, pipeline, publisher, mapping, request.encoding, request.progress,
                          compiled=settings.native_import)
    if kind == "xlsx":
        return import_xlsx(path, pipeline, publisher, mapping, request.sheet, request.progress)
    return import_json_lines(path, pipeline, publisher, request.progress)
