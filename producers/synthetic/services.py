"""Synthetic government-service applications and notifiable-disease case reports."""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from producers.synthetic.people import (
    birth_county,
    birth_date,
    local_time,
    mobile,
    person_name,
    resident_id,
    street_address,
    uscc,
)
from producers.synthetic.regions import place

# (implementation code, item name, handling department): plausible codes of the item catalogue.
SERVICE_ITEMS = (
    ("11350100MB0001157N3000117000", "个体工商户设立登记", "market"),
    ("11350100003591140K4000112000", "居民身份证换领", "public_security"),
    ("11350100MB0001120X3000201000", "城乡居民基本医疗保险参保登记", "social_security"),
    ("11350100003590842N2000115000", "建设工程规划许可证核发", "natural_resources"),
    ("11350100MB1954467X4000133000", "食品经营许可", "market"),
)
# Status after the change, the status before it (None for the first record).
FLOWS = (("submitted", None), ("accepted", "submitted"), ("under_review", "accepted"),
         ("approved", "under_review"), ("rejected", "under_review"), ("completed", "approved"),
         ("withdrawn", "submitted"))
REJECTIONS = ("申请材料不齐全，缺少营业场所使用证明，请补正后重新提交。",
              "经营场所与登记地址不一致，请联系窗口核实，电话{phone}。")
DISEASES = (("0301", "手足口病"), ("0302", "流行性腮腺炎"), ("0303", "其它感染性腹泻病"),
            ("0201", "病毒性肝炎"), ("0210", "肺结核"), ("0223", "梅毒"), ("0107", "流行性感冒"))
OCCUPATIONS = ("学生", "农民", "工人", "离退人员", "散居儿童", "幼托儿童", "家务及待业", "商业服务")
REPORTERS = (("PDY000123", "福州市第一医院"), ("PDY000087", "福建医科大学附属协和医院"),
             ("PDY000052", "福建省立医院"), ("PDY000311", "福州市传染病医院"),
             ("PDY001024", "鼓楼区疾病预防控制中心"))


def application(rng: random.Random, seq: int, now: datetime) -> dict[str, Any]:
    where = place(rng)
    code, item, department = rng.choice(SERVICE_ITEMS)
    status, previous = rng.choice(FLOWS)
    person = rng.random() < 0.7
    submitted = local_time(rng, now, 60 * 86400)
    accepted = submitted + timedelta(hours=rng.randrange(1, 48)) if previous else None
    changed = (accepted or submitted) + timedelta(hours=rng.randrange(0, 240)) if previous \
        else submitted
    concluded = status in ("approved", "rejected", "completed")
    phone = mobile(rng)
    return {
        "application_no": f"SP{submitted:%Y%m%d}{seq:07d}", "service_item_code": code,
        "service_item_name": item, "handling_department_code": department,
        "region_code": where.county, "channel": rng.choice(("online", "online", "app", "counter",
                                                            "self_service", "mail")),
        "applicant_type": "natural_person" if person else "legal_person",
        "applicant_name": person_name(rng) if person else f"福州市{rng.choice('榕闽海')}兴商贸有限公司",
        "applicant_id_no": resident_id(rng, birth_county(rng), birth_date(rng, 1950, 2005))
        if person else None,
        "applicant_uscc": None if person else uscc(rng, where.county),
        "applicant_phone": phone, "contact_address": street_address(rng, where),
        "status": status, "previous_status": previous, "status_changed_at": changed.isoformat(),
        "submitted_at": submitted.isoformat(),
        "accepted_at": accepted.isoformat() if accepted else None,
        "promised_days": rng.choice((1, 3, 5, 10, 20)) if accepted else None,
        "completed_at": changed.isoformat() if concluded else None,
        "licence_no": f"JY{rng.randrange(10**13):013d}" if status in ("approved", "completed")
        else None,
        "rejection_reason": rng.choice(REJECTIONS).format(phone=phone) if status == "rejected"
        else None,
    }


def case_report(rng: random.Random, seq: int, now: datetime) -> dict[str, Any]:
    where = place(rng)
    male = rng.random() < 0.5
    born = birth_date(rng, 1940, 2023)
    disease_code, disease = rng.choice(DISEASES)
    classification = rng.choice(("suspected", "clinical", "confirmed", "confirmed", "carrier"))
    diagnosed = local_time(rng, now, 14 * 86400)
    reporter_code, reporter = rng.choice(REPORTERS)
    known_id = rng.random() < 0.8
    return {
        "report_id": f"CR{diagnosed:%Y%m%d}{seq:06d}", "patient_name": person_name(rng),
        "patient_id_no": resident_id(rng, birth_county(rng), born, male) if known_id else None,
        "patient_sex": "male" if male else "female", "patient_birth_date": born.isoformat(),
        "patient_phone": mobile(rng) if rng.random() < 0.7 else None,
        "occupation": rng.choice(OCCUPATIONS), "current_address": street_address(rng, where),
        "region_code": where.village, "disease_code": disease_code, "disease_name": disease,
        "case_classification": classification,
        "onset_date": None if classification == "carrier"
        else (diagnosed - timedelta(days=rng.randrange(0, 7))).date().isoformat(),
        "diagnosed_at": diagnosed.isoformat(), "reporting_org_code": reporter_code,
        "reporting_org_name": reporter,
        "reported_at": (diagnosed + timedelta(minutes=rng.randrange(5, 1440))).isoformat(),
    }
