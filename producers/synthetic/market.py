"""Synthetic market-entity registrations (market.enterprise_registration, market regulation)."""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from producers.synthetic.people import birth_county, birth_date, mobile, person_name, resident_id, street_address, uscc
from producers.synthetic.regions import FUZHOU_COUNTIES, place

BRANDS = ("闽江", "榕城", "海峡", "鼓山", "三坊", "新福", "华榕", "东方", "安泰", "金山", "恒宇")
TRADES = (("科技", "软件开发；信息技术咨询服务"), ("贸易", "日用百货、五金产品批发零售"),
          ("餐饮管理", "餐饮服务；食品销售"), ("建筑工程", "房屋建筑工程施工"),
          ("物流", "道路普通货物运输；仓储服务"), ("医药", "药品零售；医疗器械经营"),
          ("文化传媒", "广告设计、制作、代理、发布"))
TYPES = (("limited_company", "有限公司"), ("limited_company", "有限公司"),
         ("joint_stock_company", "股份有限公司"), ("partnership", "合伙企业（有限合伙）"),
         ("sole_proprietorship", "个人独资企业"), ("farmer_cooperative", "农民专业合作社"),
         ("individual_business", "店"))
CAPITALS = (10, 50, 100, 500, 1000, 5000)  # 万元
STATUSES = ("active",) * 16 + ("suspended", "revoked", "deregistered", "moved_out")
COUNTY_NAMES = {code: name for code, name, *_ in FUZHOU_COUNTIES}


def enterprise(rng: random.Random, seq: int, now: datetime) -> dict[str, Any]:
    where = place(rng)
    kind, suffix = rng.choice(TYPES)
    trade, scope = rng.choice(TRADES)
    individual = kind == "individual_business"
    established = now.date() - timedelta(days=rng.randrange(30, 365 * 25))
    status = rng.choice(STATUSES)
    age_days = (now.date() - established).days
    changed = established + timedelta(days=rng.randrange(1, max(2, age_days)))
    return {
        "uscc": uscc(rng, where.county, "2" if individual else "1"),
        "enterprise_name": f"福州市{rng.choice(BRANDS)}{trade}{suffix}" if not individual
        else f"{COUNTY_NAMES[where.county]}{person_name(rng)}{trade}{suffix}",
        "enterprise_type": kind,
        "legal_representative": person_name(rng),
        "legal_rep_id_no": resident_id(rng, birth_county(rng), birth_date(rng, 1950, 2000)),
        "legal_rep_phone": mobile(rng) if rng.random() < 0.7 else None,
        "registered_address": street_address(rng, where),
        "region_code": where.county,
        "registered_capital": None if individual else float(rng.choice(CAPITALS)),
        "capital_currency": "CNY",
        "established_on": established.isoformat(),
        "business_scope": scope,
        "registration_authority": f"福州市{COUNTY_NAMES[where.county]}市场监督管理局",
        "status": status,
        "status_changed_on": changed.isoformat() if status != "active" else None,
    }
