"""The ``quality:`` block of a catalogue entry (issue 19): what the exchange measures of a resource.

The fields required for sharing (completeness), the update cadence it is held to and the delay
that makes a record late (timeliness), its business key (uniqueness), and cross-dataset checks
(consistency: a case report's patient is a registered resident, matched by keyed pseudonym; an
application's USCC is a registered enterprise). stream_processors/quality computes the scorecards
from it; ``quality_problems`` checks it against the schemas (``govbus catalogue validate``).
"""
from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from govbus.core.topic_plan import RETENTION_PATTERN

if TYPE_CHECKING:
    from govbus.core.schemas import DatasetSchema

# The catalogue's update frequencies (catalogue.UpdateFrequency), as a cadence.
Cadence = Literal["real_time", "daily", "weekly", "monthly", "quarterly", "yearly"]


class ConsistencyMatch(StrEnum):
    exact = "exact"          # the values themselves (codes such as a USCC)
    pseudonym = "pseudonym"  # keyed pseudonyms of the values (IDs): the quality role keeps no raw ID


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConsistencyCheck(_Strict):
    """``field`` of this dataset names a record of ``references`` whose ``reference_field``
    holds the same value."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    field: str = Field(min_length=1)
    references: str = Field(pattern=r"^[a-z0-9_]+\.[a-z0-9_]+$")
    reference_field: str = Field(min_length=1)
    match: ConsistencyMatch = ConsistencyMatch.exact
    domain: str = Field(default="GB11643", description="pseudonym domain of the values (match: pseudonym)")


class QualityRules(_Strict):
    required: list[str] = Field(default_factory=list)
    # None: the entry's update_frequency.
    cadence: Cadence | None = None
    # A record ingested later than this after its event time is a late update.
    max_delay: str = Field(default="1h", pattern=RETENTION_PATTERN)
    # Fields whose values name one business record (empty: the schema's key).
    business_key: list[str] = Field(default_factory=list)
    consistency: list[ConsistencyCheck] = Field(default_factory=list)


def quality_problems(dataset: str, quality: QualityRules, schemas: dict[str, DatasetSchema]) -> list[tuple[str, str]]:
    """(field path, problem) for every field or dataset the block names that does not exist."""
    own = schemas[dataset].tags
    problems = [(f"quality.{where}", f"{name!r} is not a field of {dataset}")
                for where, names in (("required", quality.required), ("business_key", quality.business_key))
                for name in names if name not in own]
    for i, check in enumerate(quality.consistency):
        where = f"quality.consistency.{i}"
        if check.field not in own:
            problems.append((f"{where}.field", f"{check.field!r} is not a field of {dataset}"))
        other = schemas.get(check.references)
        if other is None:
            problems.append((f"{where}.references", f"no dataset {check.references}"))
        elif check.reference_field not in other.tags:
            problems.append((f"{where}.reference_field",
                             f"{check.reference_field!r} is not a field of {check.references}"))
    return problems
