"""The whole path through the real broker and registry, as `govbus demo` runs it:
adapter → raw topic → Faust processor (child process) → shared topic → pool sink (child
process) → SQLite pool. Valid records arrive masked, invalid ones are in the DLQ with the
reason their label predicts, none lost.
"""
from __future__ import annotations

import json
import re

from confluent_kafka import Consumer
from sqlalchemy import create_engine, select, table, column

from consumers.pool.logic import pool_table_name
from govbus.cli.demo import RECIPIENT, run_demo
from govbus.core.serde import Serde
from govbus.core.settings import kafka_config, topic_names

COUNT = 300


def _dead_letters(settings, expected: int) -> list[dict]:
    serde = Serde.connect(settings.registry_url)
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": f"{settings.topic_prefix}-check"}))
    consumer.subscribe([topic_names(settings).dlq("hotline.work_order")])
    letters: list[dict] = []
    try:
        for _ in range(60):
            message = consumer.poll(1.0)
            if message is not None and not message.error():
                letters.append(serde.decode(message.value()).value)
            if len(letters) == expected:
                break
    finally:
        consumer.close()
    return letters


def _order_no(letter: dict) -> str:
    """The order number inside a dead letter's original bytes (JSON line or Avro record)."""
    match = re.search(rb"GD\d{15}", letter["original_value"])
    return match.group().decode()


def test_every_record_accounted_for_and_masked(broker, tmp_path, unique):
    settings = broker.settings(tmp_path, topic_prefix=f"e2e{unique}")
    counts = run_demo(settings, COUNT, seed=11, timeout=180, workdir=tmp_path)
    assert counts.accounted, counts
    source = [json.loads(line) for line in (tmp_path / "work_orders.jsonl").read_text().splitlines()]
    dirty = {r["order_no"]: r["_dirty"] for r in source if "_dirty" in r}
    assert dirty and counts.dead_lettered == len(dirty) and counts.delivered == COUNT - len(dirty)

    letters = _dead_letters(settings, len(dirty))
    assert {_order_no(l): l["reason"] for l in letters} == {
        order: {"bad_phone": "bad_format"}.get(kind, kind) for order, kind in dirty.items()}
    assert all(l["field_path"] and l["message"] for l in letters)

    engine = create_engine(settings.pool_url)
    name = pool_table_name(RECIPIENT, "hotline.work_order")
    cols = [column(c) for c in ("order_no", "caller_name", "caller_phone", "caller_id_no", "content")]
    with engine.connect() as conn:
        rows = {r.order_no: r for r in conn.execute(select(*cols).select_from(table(name)))}
    assert set(rows) == {r["order_no"] for r in source if "_dirty" not in r}
    for record in source:
        row = rows.get(record["order_no"])
        if row is None:
            continue
        for raw in (record["caller_phone"], record["caller_id_no"]):
            assert raw is None or all(raw not in (v or "") for v in row[1:]), (raw, row)
        assert row.caller_phone is None or re.fullmatch(r"1\d{2}\*{4}\d{4}", row.caller_phone)
        assert row.caller_id_no is None or re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", row.caller_id_no)
        assert row.caller_name is None or row.caller_name.endswith("*")
