"""One minimal valid record per dataset (and per bus-owned schema), typed as fastavro writes
and reads them: aware UTC datetimes for timestamp-millis, ``date`` for dates.

Every dataset schema must have a sample here (tests/unit/govbus/core/test_records.py checks it), so a
new schema cannot ship without a record proving it round-trips.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

T0 = datetime(2025, 3, 1, 0, 30, tzinfo=timezone.utc)
T1 = datetime(2025, 3, 1, 2, 15, 30, 123000, tzinfo=timezone.utc)


def envelope(dataset: str, department: str, classification: str,
             region_code: str = "350102") -> dict[str, Any]:
    return {
        "event_id": "6f9619ff-8b86-4d11-b42d-00c04fc964ff",
        "event_time": T0,
        "dataset": dataset,
        "source_department": department,
        "source_level": "city",
        "region_code": region_code,
        "classification": classification,
        "lineage": [{"stage": "ingest", "component": "producers.jsonl", "version": "0.1.0",
                     "agreement_id": None, "agreement_version": None, "time": T1}],
    }


SAMPLES: dict[str, dict[str, Any]] = {
    "hotline.work_order": {
        "envelope": envelope("hotline.work_order", "hotline", "L4"),
        "order_no": "GD2025030100001", "channel": "phone", "accepted_at": T0,
        "demand_type": "complaint", "category_code": "0301",
        "content": "楼下餐馆夜间噪音扰民，来电人电话13800138000。",
        "address": "福州市鼓楼区东街1号", "region_code": "350102001001",
        "caller_name": "张三", "caller_phone": "13800138000",
        "caller_id_no": "35010219850312123X", "anonymous": False, "urgency": "normal",
    },
    "gov_service.application": {
        "envelope": envelope("gov_service.application", "gov_service", "L4"),
        "application_no": "SP2025030100042", "service_item_code": "11350100MB0001157N3000117000",
        "service_item_name": "个体工商户设立登记", "handling_department_code": "gov_service",
        "region_code": "350102", "channel": "online", "applicant_type": "natural_person",
        "applicant_name": "李四", "applicant_id_no": "350104196007070043",
        "applicant_uscc": None, "applicant_phone": "13912345678", "contact_address": None,
        "status": "accepted", "previous_status": "submitted", "status_changed_at": T1,
        "submitted_at": T0, "accepted_at": T1, "promised_days": 3, "completed_at": None,
        "licence_no": None, "rejection_reason": None,
    },
    "market.enterprise_registration": {
        "envelope": envelope("market.enterprise_registration", "market", "L4"),
        "uscc": "91350100M000100Y43", "enterprise_name": "福州示例科技有限公司",
        "enterprise_type": "limited_company", "legal_representative": "王五",
        "legal_rep_id_no": "350121199011203523", "legal_rep_phone": None,
        "registered_address": "福州市鼓楼区软件大道89号", "region_code": "350102",
        "registered_capital": 500.0, "capital_currency": "CNY",
        "established_on": date(2018, 6, 8), "business_scope": "软件开发；信息技术咨询服务",
        "registration_authority": "福州市鼓楼区市场监督管理局", "status": "active",
        "status_changed_on": None,
    },
    "health.case_report": {
        "envelope": envelope("health.case_report", "health", "L4"),
        "report_id": "CR202503010007", "patient_name": "赵六", "patient_id_no": None,
        "patient_sex": "female", "patient_birth_date": date(1990, 11, 20),
        "patient_phone": None, "occupation": "学生", "current_address": None,
        "region_code": "350102", "disease_code": "0301", "disease_name": "手足口病",
        "case_classification": "clinical", "onset_date": date(2025, 2, 27),
        "diagnosed_at": T0, "reporting_org_code": "PDY000123", "reporting_org_name": "福州市第一医院",
        "reported_at": T1,
    },
    "transport.traffic_incident": {
        "envelope": envelope("transport.traffic_incident", "transport", "L3"),
        "incident_no": "SG20250301001", "occurred_at": T0, "incident_type": "vehicle_collision",
        "severity": "ordinary", "location": "福州绕城高速K12+300", "region_code": "350121",
        "longitude": 119.2965, "latitude": 26.0745, "plate_numbers": ["闽A12345", "闽AD12345"],
        "vehicles_involved": 2, "deaths": 0, "serious_injuries": 1, "minor_injuries": 2,
        "direct_loss_cny": 35000.0, "road_closed": True, "reported_by": "hotline_122",
        "description": None,
    },
    "fire.alarm": {
        "envelope": envelope("fire.alarm", "fire", "L2"),
        "alarm_id": "FA-20250301-000031", "device_id": "SD-0042-17", "device_type": "smoke_detector",
        "building_id": "BLD-350102-0042", "building_name": "东街口商业大厦",
        "address": "福州市鼓楼区东街口8号", "floor": -1, "region_code": "350102001001",
        "longitude": None, "latitude": None, "alarm_type": "fire", "value": 0.42, "unit": "dB/m",
        "threshold": 0.2, "alarm_at": T0, "confirmation": "unconfirmed", "cleared_at": None,
    },
    "population.resident": {
        "envelope": envelope("population.resident", "public_security", "L4"),
        "person_no": "P350102000123456", "id_no": "35010219850312123X", "name": "张三",
        "former_name": None, "sex": "male", "ethnicity": "汉族", "birth_date": date(1985, 3, 12),
        "household_address": "福州市鼓楼区东街1号", "household_region_code": "350102001001",
        "residence_address": None, "residence_region_code": None, "phone": "13800138000",
        "household_type": "family", "relation_to_head": "户主", "status": "registered",
        "updated_at": T1,
    },
    "city.indicator": {
        "envelope": envelope("city.indicator", "city_ops", "L1"),
        "series_id": "ENV.AQI:350102", "indicator_code": "ENV.AQI", "indicator_name": "空气质量指数",
        "region_code": "350102", "value": 42.0, "unit": "1", "period": "hour",
        "observed_at": T0, "quality": "good", "source_system": None,
    },
}

BUS_SAMPLES: dict[str, dict[str, Any]] = {
    "govbus.bus.EmergencyIncident": {
        "incident_id": "INC-20250301-0001", "rule_id": "transport.accident_grade",
        "category": "accident_disaster", "grade": "III", "warning_colour": "yellow",
        "state": "open", "region_code": "350121", "dataset": "transport.traffic_incident",
        "title": "Road traffic accident with 3 deaths", "summary": "deaths=3 meets grade III",
        "opened_at": T0, "updated_at": T1, "resolved_at": None,
        "triggering_event_ids": ["6f9619ff-8b86-4d11-b42d-00c04fc964ff"],
        "matched_terms": ["deaths>=3"], "version": 2,
        "title_zh": "福州市 闽侯县 (350121) 道路交通事故", "summary_zh": "死亡 3 人；Ⅲ级", "indicator_readings": [],
        "actions": [{"at": T1, "action": "ack", "operator": "alice", "identity": "svc.feed",
                     "note": "已联系交警现场处置"}],
    },
    "govbus.bus.AclChange": {
        "principal": "recv.public_security_350100", "operation": "READ", "resource_type": "TOPIC",
        "resource_name": "shared.public_security_350100.hotline.work_order", "pattern": "LITERAL",
        "permission": "ALLOW", "change": "add",
        "reason": "agreement hotline-to-public-security-fz v1 in force until 2028-01-01T00:00:00+00:00",
        "applied_by": "steward", "applied_at": T1,
    },
    "govbus.bus.AuditDelivery": {
        "audit_id": "0b7c4c8e-2f4a-5b1e-9d3a-6a1f0e2c9b11",
        "event_id": "6f9619ff-8b86-4d11-b42d-00c04fc964ff", "dataset": "hotline.work_order",
        "recipient": "emergency", "recipient_topic": "shared.emergency.hotline.work_order",
        "agreement_id": "hotline-to-emergency", "agreement_version": 2,
        "purpose": "early warning of emergencies", "fields_delivered": ["order_no", "content"],
        "operators": {"order_no": "keep", "content": "scrub_text"}, "mask_profile": "sha256:ab12",
        "subject_pseudonyms": ["v1:3f2a9c"], "delivered_at": T1,
        "processor": "stream_processors.route", "processor_version": "0.1.0",
    },
    "govbus.bus.DeadLetter": {
        "dataset": "hotline.work_order", "owner_department": "hotline", "reason": "bad_check_char",
        "rule": "GB11643.check", "field_path": "caller_id_no", "message": "check character wrong",
        "event_id": None, "source_topic": "raw.hotline.work_order", "source_partition": 0,
        "source_offset": 41, "original_key": b"GD2025030100001", "original_value": b"\x00\x01",
        "original_headers": {"source": b"jsonl"}, "processor": "stream_processors.clean",
        "processor_version": "0.1.0", "first_seen": T1, "redrive_count": 0, "stage": "process",
        "recipient": None, "pool_table": None, "pool_column": None,
    },
    "govbus.bus.Redrive": {
        "dataset": "hotline.work_order", "dlq_topic": "dlq.hotline.work_order", "dlq_offset": 41,
        "event_id": None, "reason": "bad_check_char", "target_topic": "raw.hotline.work_order",
        "operator": "steward", "redriven_at": T1,
    },
    "govbus.bus.AclChange": {
        "principal": "recv.public_security_350100", "operation": "READ", "resource_type": "TOPIC",
        "resource_name": "shared.public_security_350100.hotline.work_order", "pattern": "LITERAL",
        "permission": "ALLOW", "change": "add", "reason": "agreement hotline-to-public-security-fz v1 in force",
        "applied_by": "steward", "applied_at": T1,
    },
    "govbus.bus.OperatorAction": {
        "action_id": "5d1c7e3a-9b2f-5c4d-8e6f-1a2b3c4d5e6f", "action": "dlq.redrive",
        "reason": "caller fixed the ID number (ticket 4711)", "target": "dlq.hotline.work_order@41",
        "outcome": "done", "dataset": "hotline.work_order",
        "event_ids": ["6f9619ff-8b86-4d11-b42d-00c04fc964ff"], "subject_pseudonyms": ["v1:3f2a9c"],
        "agreement_id": None, "agreement_version": None,
        "details": {"target_topic": "raw.hotline.work_order"}, "acted_at": T1,
    },
    "govbus.bus.QualityScorecard": {
        "scorecard_id": "health|health.case_report|hour|2025-03-01T00:00:00+00:00", "department": "health",
        "dataset": "health.case_report", "granularity": "hour", "period_start": datetime(2025, 3, 1, tzinfo=timezone.utc),
        "period_end": datetime(2025, 3, 1, 1, tzinfo=timezone.utc), "records": 12, "raw_records": 11,
        "required_fields": [{"field": "report_id", "present": 11}, {"field": "disease_code", "present": 9}],
        "complete_records": 9, "completeness_ratio": 9 / 11, "passed": 10, "failed": 2, "validity_ratio": 10 / 12,
        "dead_letters": [{"stage": "process", "reason": "bad_check_char", "rule": "GB11643.check",
                          "field_path": "patient_id_no", "count": 2, "first_offset": 41}],
        "delay_p50_ms": 60_000, "delay_p95_ms": 1_800_000, "late_records": 1, "cadence": "real_time",
        "missing_updates": 0, "duplicate_event_ids": 1, "duplicate_business_keys": 0,
        "consistency": [{"check": "patient_is_resident", "references": "population.resident", "checked": 10,
                         "broken": 1}],
        "emitted_at": T1,
    },
}
