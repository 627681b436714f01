"""Builders shared by the agreement tests: the shipped catalogue and schemas (loaded once),
agreements as plain dicts (the shape of their YAML), compiled plans and sample records."""
from __future__ import annotations

import copy
import io
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

import fastavro

from govbus.core.agreements import Agreement
from govbus.core.catalogue import Catalogue, load_catalogue
from govbus.core.schemas import DatasetSchema, load_schemas
from govbus.core.settings import PROJECT_ROOT
from stream_processors.route.logic import lineage_hop
from stream_processors.route.plan import AgreementPlan, compile_plan
from tests.support.samples import SAMPLES

CATALOGUE_DIR: Path = PROJECT_ROOT / "catalogue"
SCHEMAS_DIR: Path = PROJECT_ROOT / "schemas" / "avro"
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=timezone.utc)  # inside every shipped window
MASTER_KEY = b"unit-test-master-key"


@cache
def schemas() -> dict[str, DatasetSchema]:
    return load_schemas(SCHEMAS_DIR)


@cache
def catalogue() -> Catalogue:
    return load_catalogue(CATALOGUE_DIR)


def hotline_agreement(**overrides: Any) -> dict[str, Any]:
    """A valid hotline agreement (as its YAML would read) for the city public security bureau."""
    data: dict[str, Any] = {
        "id": "hotline-test", "version": 1, "status": "active", "provider": "hotline",
        "dataset": "hotline.work_order",
        "recipient": {"department": "public_security", "region_code": "350100", "level": "city"},
        "purpose": "unit-test purpose", "legal_basis": "unit-test legal basis",
        "valid_from": "2026-01-01", "valid_to": "2028-01-01",
        "fields": {"order_no": "keep", "demand_type": "keep", "content": "scrub_text",
                   "region_code": "keep", "caller_name": "mask_name",
                   "caller_phone": "mask_phone", "caller_id_no": "pseudonym"},
    }
    return data | overrides


def provider_level(dataset: str) -> str:
    return catalogue().entries[dataset].provider.level.value


def plan_of(data: dict[str, Any], master_key: bytes = MASTER_KEY) -> AgreementPlan:
    agreement = Agreement.model_validate(data)
    return compile_plan(agreement, schemas()[agreement.dataset], provider_level(agreement.dataset),
                        master_key)


def sample(dataset: str, region: str | None = None, **fields: Any) -> dict[str, Any]:
    """A deep copy of the dataset's sample record; ``region`` sets the envelope's region code."""
    record = copy.deepcopy(SAMPLES[dataset])
    if region is not None:
        record["envelope"]["region_code"] = region
    return record | fields


def hop(plan: AgreementPlan) -> dict[str, Any]:
    return lineage_hop("route", "stream_processors.route", "0.0.0-test", plan, NOW)


def encode(plan: AgreementPlan, record: dict[str, Any]) -> bytes:
    """The delivered record's Avro bytes against the recipient topic's projected schema."""
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(copy.deepcopy(plan.shared_schema)), record)
    return out.getvalue()
