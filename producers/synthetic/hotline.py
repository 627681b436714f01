"""Synthetic 12345 hotline work orders, with a labelled fraction of dirty ones.

A dirty record carries ``_dirty``: the reason code the bus must give it on its way to the DLQ.
Records that only look dirty (full-width digits, 15-digit IDs) are normalised by the cleaner,
must be delivered, and are labelled ``_normalised`` instead.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

from producers.synthetic.people import mobile, person_name, resident_id, village_code

CATEGORIES = (("0301", "噪音扰民", "晚上十点后{place}施工噪音很大，影响休息，请尽快处理。"),
              ("0502", "供水问题", "{place}已经停水两天了，没有任何通知，请相关部门解释。"),
              ("0704", "交通设施", "{place}路口红绿灯坏了，车辆乱行，很危险。"),
              ("0110", "燃气安全", "{place}楼道里闻到很浓的燃气味，怀疑燃气泄漏！"),
              ("0902", "劳动保障", "公司拖欠工资三个月，联系电话{phone}，请帮忙维权。"),
              ("1203", "市容环境", "{place}垃圾堆放多日无人清运，气味难闻。"))
CHANNELS = ("phone", "phone", "phone", "web", "app", "wechat")
DEMANDS = ("consultation", "help", "complaint", "complaint", "report", "suggestion")
DIRTY_KINDS = ("bad_check_char", "bad_phone", "missing_field")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def work_order(rng: random.Random, seq: int, now: datetime) -> dict[str, Any]:
    region, county, address = village_code(rng)
    code, _title, template = rng.choice(CATEGORIES)
    phone = mobile(rng)
    anonymous = rng.random() < 0.1
    return {
        "order_no": f"GD{now:%Y%m%d}{seq:07d}", "channel": rng.choice(CHANNELS),
        "accepted_at": (now - timedelta(seconds=rng.randrange(86400))).isoformat(),
        "demand_type": rng.choice(DEMANDS), "category_code": code,
        "content": template.format(place=address, phone=phone), "address": address,
        "region_code": region, "caller_name": None if anonymous else person_name(rng),
        "caller_phone": None if anonymous else phone,
        "caller_id_no": None if anonymous or rng.random() < 0.4 else resident_id(rng, county),
        "anonymous": anonymous, "urgency": rng.choice(("normal", "normal", "urgent")),
    }


def make_dirty(rng: random.Random, record: dict[str, Any]) -> dict[str, Any]:
    kind = rng.choice(DIRTY_KINDS)
    if kind == "bad_check_char":
        valid = record["caller_id_no"] or resident_id(rng, record["region_code"][:6])
        wrong = next(c for c in "0123456789X" if c != valid[-1])
        record |= {"caller_id_no": valid[:-1] + wrong, "anonymous": False}
    elif kind == "bad_phone":
        record |= {"caller_phone": "1" + f"{rng.randrange(10**9):09d}", "anonymous": False}
    else:
        record.pop("category_code")
    return record | {"_dirty": kind}


def make_odd_but_valid(rng: random.Random, record: dict[str, Any]) -> dict[str, Any]:
    if record["caller_phone"] and rng.random() < 0.5:
        return record | {"caller_phone": record["caller_phone"].translate(FULL_WIDTH),
                         "_normalised": "full_width"}
    if record["caller_id_no"] and record["caller_id_no"][6:8] == "19":
        old = record["caller_id_no"][:6] + record["caller_id_no"][8:17]
        return record | {"caller_id_no": old, "_normalised": "id15"}
    return record


def work_orders(count: int, seed: int, dirty: float = 0.05,
                now: datetime | None = None) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    now = now or datetime(2026, 11, 26, 8, 0, tzinfo=timezone.utc)
    for seq in range(count):
        record = work_order(rng, seq, now)
        roll = rng.random()
        if roll < dirty:
            record = make_dirty(rng, record)
        elif roll < dirty * 2:
            record = make_odd_but_valid(rng, record)
        yield record
