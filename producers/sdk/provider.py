"""Provider checks: raw topics are written by their owner only (architecture.md), so an adapter
publishes a dataset only as the department the catalogue names as its provider."""
from __future__ import annotations

from govbus.core.catalogue import AdminLevel, Catalogue, load_catalogue
from govbus.core.identifiers import check_region_code
from govbus.core.result import Fault
from govbus.core.schemas import DatasetSchema, load_schemas
from govbus.core.settings import GovbusSettings
from producers.sdk.envelope import Source


class NotProvider(ValueError):
    """A department tried to publish a dataset the catalogue says another department provides."""


def check_provider(catalogue: Catalogue, dataset: str, department: str) -> None:
    """Raise NotProvider unless ``department`` provides ``dataset`` (raw topics are written by
    their owner only: architecture.md)."""
    entry = catalogue.entries.get(dataset)
    if entry is None:
        raise NotProvider(f"dataset {dataset} has no catalogue entry, so nobody may publish it")
    if entry.provider.department != department:
        raise NotProvider(f"department {department!r} may not publish {dataset}: the catalogue "
                          f"names {entry.provider.department!r} as its provider")


class ImportRefused(ValueError):
    """The request itself is wrong (unknown dataset, bad level or region, misplaced option)."""


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
    assert provider is not None  # check_provider refused a dataset without a catalogue entry
    level = level or provider.level.value
    region = region or provider.region_code
    if level not in AdminLevel.__members__:
        raise ImportRefused(f"level {level!r} is not one of {', '.join(AdminLevel.__members__)}")
    if isinstance(checked := check_region_code(region), Fault):
        raise ImportRefused(f"region {region!r}: {checked.message}")
    return schemas[dataset], Source(department, level, region, component)
