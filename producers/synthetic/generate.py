"""Synthetic records for every dataset in ``schemas/avro``, deterministic by seed.

``records(dataset, count, seed, dirty)`` yields JSON-ready dicts (ISO times, no envelope). A
fraction ``dirty`` has one labelled defect and as many again an odd-but-valid spelling
(``producers.synthetic.dirty``); the rest pass the adapter and the cleaner unchanged.
"""
from __future__ import annotations

import random
import time
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator

from govbus.core.schemas import DatasetSchema, load_schemas
from govbus.core.settings import PROJECT_ROOT
from producers.synthetic.city import fire_alarm, indicator, traffic_incident
from producers.synthetic.dirty import field_infos, make_dirty, make_normalised
from producers.synthetic.hotline import work_order
from producers.synthetic.market import enterprise
from producers.synthetic.population import resident
from producers.synthetic.services import application, case_report

Maker = Callable[[random.Random, int, datetime], dict[str, Any]]
GENERATORS: dict[str, Maker] = {
    "hotline.work_order": work_order,
    "population.resident": resident,
    "market.enterprise_registration": enterprise,
    "gov_service.application": application,
    "health.case_report": case_report,
    "city.indicator": indicator,
    "fire.alarm": fire_alarm,
    "transport.traffic_incident": traffic_incident,
}
# A fixed "now", so that one seed gives the same records on every day and machine.
DEFAULT_NOW = datetime(2026, 11, 26, 8, 0, tzinfo=timezone.utc)


class NoGenerator(ValueError):
    pass


@lru_cache(maxsize=1)
def project_schemas() -> dict[str, DatasetSchema]:
    return load_schemas(PROJECT_ROOT / "schemas" / "avro")


def records(dataset: str, count: int, seed: int, dirty: float = 0.05,
            now: datetime | None = None,
            schema: DatasetSchema | None = None) -> Iterator[dict[str, Any]]:
    """``count`` records of ``dataset``; ``dirty`` is the fraction with a labelled defect."""
    if dataset not in GENERATORS:
        raise NoGenerator(f"no generator for {dataset}; known: {', '.join(sorted(GENERATORS))}")
    if not 0 <= dirty <= 0.5:
        raise ValueError("dirty must lie in [0, 0.5]: as many again are odd-but-valid")
    make, rng, now = GENERATORS[dataset], random.Random(seed), now or DEFAULT_NOW
    infos = field_infos(schema or project_schemas()[dataset])
    for seq in range(count):
        record = make(rng, seq, now)
        roll = rng.random()
        if roll < dirty:
            record = make_dirty(rng, infos, record)
        elif roll < 2 * dirty:
            record = make_normalised(rng, infos, record)
        yield record


def paced(items: Iterable[Any], rate: float | None,
          clock: Callable[[], float] = time.monotonic,
          sleep: Callable[[float], None] = time.sleep) -> Iterator[Any]:
    """``items`` at no more than ``rate`` per second (None or 0: as fast as they come)."""
    if not rate:
        yield from items
        return
    start = clock()
    for n, item in enumerate(items):
        ahead = start + n / rate - clock()
        if ahead > 0:
            sleep(ahead)
        yield item


def work_orders(count: int, seed: int, dirty: float = 0.05,
                now: datetime | None = None) -> Iterator[dict[str, Any]]:
    """12345 work orders with the demo's interface: a fraction ``dirty`` carries one labelled
    fault, as ``records`` does for every dataset."""
    return records("hotline.work_order", count, seed, dirty, now)
