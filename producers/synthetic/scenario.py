"""Emergencies the demo plants among its random records, so that the detector has something to find.

The random records spread over the 24 hours before ``now`` and rarely meet a threshold by
chance (five true fire alarms in one county within ten minutes). The demo therefore adds:
- a **fire-alarm burst**: six fire alarms in 鼓楼区 (350102) within four minutes, just after the
  random ones (``fire.alarm_burst``: ≥ 5 in 10 minutes, grade Ⅳ). Their spread stays inside the
  rule's 5-minute allowed lateness, so the detector counts all of them whichever raw partition
  it reads first;
- a **gas-leak work order** from 中山社区 (350102001001), a 12345 call about a smell of gas
  (``hotline.triage_accident``, group ``gas_leak``).
Both are clean records (no defect), built by the ordinary generators with the planted fields set.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any, Iterator

from producers.synthetic.city import fire_alarm
from producers.synthetic.hotline import work_order

BURST_COUNTY = "350102"
BURST_VILLAGES = ("350102001001", "350102002001", "350102003001")
BURST_ALARMS = 6
GAS_LEAK_VILLAGE = "350102001001"
# What the demo expects the detector to raise from them: (rule, key).
PLANTED_INCIDENTS = (("fire.alarm_burst", BURST_COUNTY),
                     ("hotline.triage_accident", f"{GAS_LEAK_VILLAGE}:gas_leak"))
_SEQ_BASE = 900_000  # above any random record's sequence number, so the keys never collide


def planted(dataset: str, seed: int, now: datetime) -> Iterator[dict[str, Any]]:
    """The planted records of ``dataset`` (none for the other datasets)."""
    rng = random.Random(seed * 7919 + 1)
    if dataset == "fire.alarm":
        for n in range(BURST_ALARMS):
            yield _burst_alarm(rng, n, now)
    elif dataset == "hotline.work_order":
        yield _gas_leak_order(rng, now)


def _burst_alarm(rng: random.Random, n: int, now: datetime) -> dict[str, Any]:
    record = fire_alarm(rng, _SEQ_BASE + n, now)
    at = (now + timedelta(minutes=1, seconds=45 * n)).astimezone(datetime.fromisoformat(record["alarm_at"]).tzinfo)
    return record | {
        "alarm_id": f"FA-{at:%Y%m%d}-{_SEQ_BASE + n:06d}", "region_code": BURST_VILLAGES[n % len(BURST_VILLAGES)],
        "building_id": f"BLD-{BURST_COUNTY}-{_SEQ_BASE % 10_000 + n:04d}", "building_name": "东街口商业大厦",
        "address": "福州市鼓楼区鼓东街道中山社区东街92号", "alarm_type": "fire", "confirmation": "true_alarm",
        "alarm_at": at.isoformat(), "cleared_at": None}


def _gas_leak_order(rng: random.Random, now: datetime) -> dict[str, Any]:
    record = work_order(rng, _SEQ_BASE, now)
    address = "福州市鼓楼区鼓东街道中山社区华林路18号"
    return record | {
        "accepted_at": (now + timedelta(minutes=2)).isoformat(), "demand_type": "help",
        "category_code": "0110", "content": f"{address}楼道里闻到很浓的燃气味，怀疑燃气泄漏！",
        "address": address, "region_code": GAS_LEAK_VILLAGE, "urgency": "urgent"}
