"""Synthetic household-registration records (population.resident, public security)."""
from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from producers.synthetic.people import (
    birth_county,
    birth_date,
    local_time,
    mobile,
    person_name,
    resident_id,
    street_address,
)
from producers.synthetic.regions import place

ETHNICITIES = ("汉族",) * 17 + ("畲族", "回族", "满族")
RELATIONS = ("户主", "配偶", "子", "女", "父亲", "母亲", "孙子", "孙女")
STATUSES = ("registered",) * 17 + ("moved_out", "deceased", "cancelled")


def resident(rng: random.Random, seq: int, now: datetime) -> dict[str, Any]:
    home = place(rng)
    male = rng.random() < 0.5
    born = birth_date(rng, 1930, 2024)
    moved = rng.random() < 0.25
    elsewhere = place(rng) if moved else None
    collective = rng.random() < 0.05
    return {
        "person_no": f"P{home.county}{seq:09d}",
        "id_no": resident_id(rng, birth_county(rng), born, male),
        "name": person_name(rng),
        "former_name": person_name(rng) if rng.random() < 0.03 else None,
        "sex": "male" if male else "female",
        "ethnicity": rng.choice(ETHNICITIES),
        "birth_date": born.isoformat(),
        "household_address": street_address(rng, home),
        "household_region_code": home.village,
        "residence_address": street_address(rng, elsewhere) if elsewhere else None,
        "residence_region_code": elsewhere.village if elsewhere else None,
        "phone": mobile(rng) if born.year < 2012 and rng.random() < 0.85 else None,
        "household_type": "collective" if collective else "family",
        "relation_to_head": None if collective else rng.choice(RELATIONS),
        "status": rng.choice(STATUSES),
        "updated_at": local_time(rng, now, 30 * 86400).isoformat(),
    }
