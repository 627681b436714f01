"""Builders shared by unit tests (no broker)."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from govbus.core.schemas import DatasetSchema, load_schemas
from govbus.core.settings import PROJECT_ROOT

SCHEMAS_DIR: Path = PROJECT_ROOT / "schemas" / "avro"
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=timezone.utc)


def hotline_schema() -> DatasetSchema:
    return load_schemas(SCHEMAS_DIR)["hotline.work_order"]


def work_order(**overrides: Any) -> dict[str, Any]:
    """A valid, decoded-shape hotline work order with its envelope."""
    record = {
        "envelope": {"event_id": "7550c0ff-8f7b-5964-bb9c-30a8ecf32a74", "event_time": NOW,
                     "dataset": "hotline.work_order", "source_department": "hotline",
                     "source_level": "city", "region_code": "110105001001", "classification": "L4",
                     "lineage": []},
        "order_no": "GD202611260000001", "channel": "phone", "accepted_at": NOW,
        "demand_type": "complaint", "category_code": "0301",
        "content": "楼下施工太吵，我的电话13800138000，身份证11010519491231002X。",
        "address": "北京市朝阳区建外街道人民路1号", "region_code": "110105001001",
        "caller_name": "张三", "caller_phone": "13800138000", "caller_id_no": "11010519491231002X",
        "anonymous": False, "urgency": "normal",
    }
    return record | overrides


def poll_messages(settings: Any, topic: str, group: str, expected: int, attempts: int = 30) -> list:
    """Up to ``expected`` records of ``topic`` from its start (the consumer's default), polling at
    most ``attempts`` seconds; messages carrying an error are left out."""
    from confluent_kafka import Consumer

    from govbus.core.settings import kafka_config

    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": group}))
    consumer.subscribe([topic])
    found: list = []
    try:
        for _ in range(attempts):
            message = consumer.poll(1.0)
            if message is not None and not message.error():
                found.append(message)
            if len(found) >= expected:
                break
    finally:
        consumer.close()
    return found
