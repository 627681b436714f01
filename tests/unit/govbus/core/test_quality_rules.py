"""The catalogue's `quality:` block (govbus.core.quality_rules): loaded strictly, checked against
the schemas, and the shipped catalogue is clean."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from govbus.core.catalogue import load_catalogue, validate_catalogue
from govbus.core.quality_rules import QualityRules, quality_problems
from govbus.core.schemas import load_schemas
from govbus.core.settings import PROJECT_ROOT

SCHEMAS = load_schemas(PROJECT_ROOT / "schemas" / "avro")
CHECK = {"name": "patient_is_resident", "field": "patient_id_no", "references": "population.resident",
         "reference_field": "id_no", "match": "pseudonym"}


def test_the_shipped_catalogue_declares_the_checks_and_is_clean() -> None:
    catalogue = load_catalogue(PROJECT_ROOT / "catalogue")
    assert validate_catalogue(catalogue, SCHEMAS) == []
    health = catalogue.entries["health.case_report"].quality
    assert health is not None and [c.references for c in health.consistency] == ["population.resident"]
    gov = catalogue.entries["gov_service.application"].quality
    assert gov is not None and [c.references for c in gov.consistency] == ["market.enterprise_registration"]


@pytest.mark.parametrize(("block", "where"), [
    ({"required": ["no_such_field"]}, "quality.required"),
    ({"business_key": ["nope"]}, "quality.business_key"),
    ({"consistency": [CHECK | {"field": "nope"}]}, "quality.consistency.0.field"),
    ({"consistency": [CHECK | {"references": "no.such"}]}, "quality.consistency.0.references"),
    ({"consistency": [CHECK | {"reference_field": "nope"}]}, "quality.consistency.0.reference_field"),
])
def test_names_that_do_not_exist_are_problems(block: dict, where: str) -> None:
    problems = quality_problems("health.case_report", QualityRules.model_validate(block), SCHEMAS)
    assert [p[0] for p in problems] == [where]


@pytest.mark.parametrize("block", [
    {"cadence": "hourly"}, {"max_delay": "soon"}, {"unknown": 1},
    {"consistency": [CHECK | {"match": "fuzzy"}]}, {"consistency": [CHECK | {"name": "Bad Name"}]},
])
def test_malformed_blocks_are_refused(block: dict) -> None:
    with pytest.raises(ValidationError):
        QualityRules.model_validate(block)


def test_a_clean_block_has_no_problem() -> None:
    block = QualityRules.model_validate({"required": ["report_id"], "consistency": [CHECK]})
    assert quality_problems("health.case_report", block, SCHEMAS) == []
