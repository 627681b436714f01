"""Test doubles and builders shared by the SQL-polling and HTTP-ingest tests (unit and
integration): a Publisher stand-in that records what it was asked to send, and a department
table of hotline work orders with Chinese column names."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (Boolean, Column, DateTime, Engine, Integer, MetaData, String, Table,
                        Text, insert)

from govbus.core.metrics import new_metrics
from govbus.core.records import CHINA_STANDARD_TIME
from producers.sdk import DeliveryFailed
from producers.sql.logic import ColumnMapping

DATASET = "hotline.work_order"
BASE_TIME = datetime(2025, 3, 1, 8, 0)  # naive: department systems keep local (UTC+8) time

# Column (as the department names it) → schema field.
ZH_COLUMNS = {"工单编号": "order_no", "渠道": "channel", "受理时间": "accepted_at",
              "诉求类型": "demand_type", "分类代码": "category_code", "内容": "content",
              "地址": "address", "区划代码": "region_code", "来电人": "caller_name",
              "来电电话": "caller_phone", "身份证号": "caller_id_no", "匿名": "anonymous",
              "紧急程度": "urgency"}
# The tables below carry one column that is no field: a mapping must say it is left out.
PLAIN_MAPPING = ColumnMapping(ignore=frozenset({"internal_note"}))
ZH_MAPPING = ColumnMapping(dict(ZH_COLUMNS), ignore=frozenset({"internal_note"}))


class FakePublisher:
    """Records publish/publish_reject calls; ``flush`` can fail or wait for a signal."""

    def __init__(self, fail_flush: int | None = None) -> None:
        self.metrics = new_metrics()
        self.published: list[tuple[str, dict[str, Any], str]] = []
        self.rejected: list[tuple[Any, Any, str]] = []
        self.prepared: list[str] = []
        self.failures: list[str] = []
        self.flushes = 0
        self.fail_flush = fail_flush  # 1-based number of the flush that raises
        self.release = threading.Event()
        self.release.set()

    def prepare(self, schema, dead_letter_schema) -> None:
        self.prepared.append(schema.dataset)

    def publish(self, schema, record, key) -> None:
        self.published.append((schema.dataset, record, key))

    def publish_reject(self, schema, fault, origin, owner) -> None:
        self.rejected.append((fault, origin, owner))

    def flush(self, timeout: float = 60.0) -> int:
        self.release.wait(timeout)
        self.flushes += 1
        if self.fail_flush == self.flushes:
            raise DeliveryFailed("simulated: the broker refused a record")
        return len(self.published)


def order_row(i: int, updated_at: datetime | None = None, **overrides: Any) -> dict[str, Any]:
    """One work order as the department's table holds it (schema field names)."""
    changed = updated_at or BASE_TIME + timedelta(minutes=i)
    row = {"id": i, "updated_at": changed.replace(tzinfo=CHINA_STANDARD_TIME),
           "order_no": f"GD2025030100{i:03d}", "channel": "phone",
           "accepted_at": BASE_TIME + timedelta(minutes=i), "demand_type": "complaint",
           "category_code": "0301", "content": f"第{i}号工单：楼下施工噪音扰民。",
           "address": "福州市鼓楼区东街1号", "region_code": "350102001001",
           "caller_name": "张三", "caller_phone": "13800138000",
           "caller_id_no": "35010219850312123X", "anonymous": False, "urgency": "normal",
           "internal_note": "not a schema field"}
    return row | overrides


def orders_table(engine: Engine, name: str, rows: list[dict[str, Any]],
                 chinese: bool = False) -> Table:
    """Create ``name`` and insert ``rows``; with ``chinese`` the columns carry ZH_COLUMNS names."""
    to_column = {f: c for c, f in ZH_COLUMNS.items()} if chinese else {}
    col = lambda field: to_column.get(field, field)  # noqa: E731 - local shorthand
    table = Table(
        name, MetaData(),
        Column("id", Integer, primary_key=True, autoincrement=False),
        # timestamptz on PostgreSQL (aware values come back); SQLite keeps the local time as text.
        Column("updated_at", DateTime(timezone=True)), Column(col("order_no"), String(32)),
        Column(col("channel"), String(16)), Column(col("accepted_at"), DateTime),
        Column(col("demand_type"), String(16)), Column(col("category_code"), String(8)),
        Column(col("content"), Text), Column(col("address"), Text),
        Column(col("region_code"), String(12)), Column(col("caller_name"), String(32)),
        Column(col("caller_phone"), String(16)), Column(col("caller_id_no"), String(18)),
        Column(col("anonymous"), Boolean), Column(col("urgency"), String(16)),
        Column("internal_note", Text))
    table.create(engine)
    insert_rows(engine, table, rows, to_column)
    return table


def insert_rows(engine: Engine, table: Table, rows: list[dict[str, Any]],
                to_column: dict[str, str] | None = None) -> None:
    to_column = to_column if to_column is not None else {
        f: c for c, f in ZH_COLUMNS.items() if c in table.c}
    if rows:
        with engine.begin() as conn:
            conn.execute(insert(table), [{to_column.get(k, k): v for k, v in r.items()}
                                         for r in rows])
