"""What the bus says about a record, for the generator's labels: the adapter's check
(``coerce_record``), then the cleaner's identifier checks in its order (required fields, tagged
fields in schema order, then the envelope's region). The identifier checks come from
``govbus.core.identifiers``, which the cleaner also uses.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from govbus.core.identifiers import (check_mobile, check_plate, check_region_code,
                                     check_resident_id, check_uscc)
from govbus.core.records import coerce_record
from govbus.core.result import Fault
from govbus.core.schemas import DatasetSchema
from producers.sdk.rows import strip_annotations
from producers.sdk import Source, envelope_for

VALIDATORS = {"resident_id": check_resident_id, "phone": check_mobile, "uscc": check_uscc,
              "plate": check_plate, "region": check_region_code}
TODAY = date(2026, 11, 26)


def judge(schema: DatasetSchema, record: dict[str, Any], source: Source) -> Fault | None:
    """The first fault the bus finds in ``record`` (a generator's output), or None."""
    data = strip_annotations(record)
    coerced = coerce_record(schema, data | {"envelope": envelope_for(schema, data, source)})
    if isinstance(coerced, Fault):
        return coerced
    value = coerced.value
    for f in schema.schema["fields"]:
        check = VALIDATORS.get(f.get("pii"))
        raw = value.get(f["name"])
        for item in (raw if isinstance(raw, list) else [raw]):
            if check is not None and item not in (None, ""):
                found = _checked(check, item)
                if found is not None:
                    return found.at(f["name"])
    found = check_region_code(value["envelope"]["region_code"])
    return found.at("envelope.region_code") if isinstance(found, Fault) else None


def _checked(check: Any, value: str) -> Fault | None:
    result = check(value, today=TODAY) if check is check_resident_id else check(value)
    return result if isinstance(result, Fault) else None
