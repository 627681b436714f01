"""Synthetic 12345 hotline work orders of Fuzhou's hotline centre.

``work_order(rng, ...)`` makes one; ``generate.work_orders(count, seed, dirty)`` makes a stream
with the demo's interface: a fraction ``dirty`` carries one defect labelled ``_dirty`` (the reason
code the bus will give it), as many again only look odd (full-width digits, 15-digit IDs) and are
labelled ``_normalised`` (see ``dirty``).
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from producers.synthetic.people import mobile, person_name, resident_id, village_code

CATEGORIES = (("0301", "噪音扰民", "晚上十点后{place}施工噪音很大，影响休息，请尽快处理。"),
              ("0502", "供水问题", "{place}已经停水两天了，没有任何通知，请相关部门解释。"),
              ("0704", "交通设施", "{place}路口红绿灯坏了，车辆乱行，很危险。"),
              ("0110", "燃气安全", "{place}楼道里闻到很浓的燃气味，怀疑燃气泄漏！"),
              ("0902", "劳动保障", "公司拖欠工资三个月，联系电话{phone}，请帮忙维权。"),
              ("1203", "市容环境", "{place}垃圾堆放多日无人清运，气味难闻。"),
              ("0805", "电信诈骗", "接到自称公安的电话{phone}要求转账到安全账户，怀疑是诈骗。"))
CHANNELS = ("phone", "phone", "phone", "web", "app", "wechat")
DEMANDS = ("consultation", "help", "complaint", "complaint", "report", "suggestion")


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
