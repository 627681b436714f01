"""What the quality role measures of each dataset, from the catalogue and the schemas (pure).

``DatasetQuality`` flattens an entry's ``quality:`` block (govbus.core.quality_rules) with the
defaults filled in: the schema's key as business key, the entry's update frequency as cadence.
``RefKey`` names one reference index (the values of a field of a referenced dataset); every
dataset knows which indexes its records feed (``offers``).
"""
from __future__ import annotations

from dataclasses import dataclass

from govbus.core.catalogue import Catalogue
from govbus.core.quality_rules import ConsistencyMatch, QualityRules
from govbus.core.schemas import DatasetSchema
from govbus.core.topic_plan import retention_ms

HOUR_MS = 3_600_000
DAY_MS = 86_400_000
# A cadence's slot: the stretch of event time that should hold at least one record.
CADENCE_SLOT_MS = {"real_time": HOUR_MS, "daily": DAY_MS, "weekly": 7 * DAY_MS}


@dataclass(frozen=True)
class RefKey:
    """One reference index: values of ``field`` of ``dataset``, as pseudonyms (``domain``) or as is."""

    dataset: str
    field: str
    pseudonym: bool
    domain: str


@dataclass(frozen=True)
class Check:
    name: str
    field: str
    ref: RefKey


@dataclass(frozen=True)
class DatasetQuality:
    dataset: str
    department: str
    required: tuple[str, ...]
    business_key: tuple[str, ...]
    cadence: str
    max_delay_ms: int
    checks: tuple[Check, ...] = ()
    offers: tuple[RefKey, ...] = ()  # indexes this dataset's records feed

    @property
    def slot_ms(self) -> int | None:
        """Length of a cadence slot; None for cadences longer than a week (not counted)."""
        return CADENCE_SLOT_MS.get(self.cadence)


def _checks(quality: QualityRules) -> tuple[Check, ...]:
    return tuple(Check(c.name, c.field, RefKey(c.references, c.reference_field,
                                               c.match is ConsistencyMatch.pseudonym, c.domain))
                 for c in quality.consistency)


def dataset_qualities(catalogue: Catalogue, schemas: dict[str, DatasetSchema]) -> dict[str, DatasetQuality]:
    """One DatasetQuality per catalogued dataset that has a schema."""
    found: dict[str, DatasetQuality] = {}
    for dataset, entry in sorted(catalogue.entries.items()):
        if dataset not in schemas:
            continue
        quality = entry.quality or QualityRules()
        found[dataset] = DatasetQuality(
            dataset, entry.provider.department, tuple(quality.required),
            tuple(quality.business_key) or (schemas[dataset].key_field,),
            quality.cadence or entry.update_frequency.value, retention_ms(quality.max_delay), _checks(quality))
    refs = {check.ref for q in found.values() for check in q.checks}
    return {dataset: _with_offers(q, refs) for dataset, q in found.items()}


def _with_offers(quality: DatasetQuality, refs: set[RefKey]) -> DatasetQuality:
    offers = tuple(sorted((r for r in refs if r.dataset == quality.dataset), key=lambda r: (r.field, r.domain)))
    return DatasetQuality(quality.dataset, quality.department, quality.required, quality.business_key,
                          quality.cadence, quality.max_delay_ms, quality.checks, offers)
