"""The whole path through the real broker and registry, as `govbus demo` runs it:
adapter → raw topic → Faust processor (child process) → shared topics under the shipped
agreements → pool sink (child process) → SQLite pools. Valid records arrive masked for each
recipient, invalid ones are in the DLQ with the reason their label predicts, none lost.
"""
from __future__ import annotations

import json
import re

from confluent_kafka import Consumer
from rich.console import Console
from sqlalchemy import column, create_engine, select

from consumers.pool.pools import pool_table_ref
from commands.demo import run_demo
from commands.demo_incidents import incidents_table
from govbus.core.serde import Serde
from govbus.core.settings import kafka_config, topic_names

COUNT = 300
DATASET = "hotline.work_order"
POLICE, URBAN, PROVINCE = "public_security_350100", "urban_management_350102", "emergency_management_350000"


def _dead_letters(settings, expected: int) -> list[dict]:
    serde = Serde.from_settings(settings)
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": f"{settings.topic_prefix}-check"}))
    consumer.subscribe([topic_names(settings).dlq(DATASET)])
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


def _pool(settings, recipient: str, *names: str) -> dict[str, tuple]:
    engine = create_engine(settings.pool_url)
    query = select(*[column(n) for n in ("order_no", *names)]).select_from(
        pool_table_ref(settings, recipient, DATASET).clause())
    with engine.connect() as conn:
        return {row[0]: row[1:] for row in conn.execute(query)}


def test_every_record_accounted_for_and_masked(broker, tmp_path, unique):
    settings = broker.settings(tmp_path, topic_prefix=f"e2e{unique}")
    run = run_demo(settings, COUNT, seed=11, timeout=180, workdir=tmp_path)
    every = run.counts
    assert all(c.accounted for c in every.values()), every
    # The detector ran beside the processor: the planted burst and gas-leak call are incidents,
    # and the demo's summary names them in Chinese with their places.
    assert run.planted_missing == [], [i["incident_id"] for i in run.incidents]
    console = Console(record=True, width=200)
    console.print(incidents_table(run.incidents))
    summary = console.export_text()
    assert "福州市 鼓楼区 (350102) 短时多起火警" in summary and "福建省 福州市 鼓楼区 (350102)" in summary
    assert "疑似燃气泄漏" in summary and "中山社区 (350102001001)" in summary
    # Every role on its own identity (the adapters' imports as dept.<provider>: commands/demo.py).
    assert (tmp_path / "process.log").read_text().startswith("govbus process as svc.processor\n")
    assert (tmp_path / "sink.log").read_text().startswith("govbus sink --all as svc.sink\n")
    assert sum(c.processed.get("delivered", 0) for c in every.values()) > COUNT  # other datasets flowed too
    counts = every[DATASET]
    source = [json.loads(line) for line in (tmp_path / f"{DATASET}.jsonl").read_text().splitlines()]
    dirty = {r["order_no"]: r["_dirty"] for r in source if "_dirty" in r}
    clean = [r for r in source if "_dirty" not in r]
    assert dirty and counts.dead_letter_topic == len(dirty)
    assert counts.processed["delivered"] + counts.processed.get("no_agreement", 0) == len(clean)

    letters = _dead_letters(settings, len(dirty))
    reasons = {re.search(rb"GD\d{15}", l["original_value"]).group().decode(): l["reason"] for l in letters}
    assert reasons == {order: {"bad_phone": "bad_format"}.get(kind, kind) for order, kind in dirty.items()}
    assert all(l["field_path"] and l["message"] for l in letters)

    police = _pool(settings, POLICE, "caller_name", "caller_phone", "caller_id_no", "content", "demand_type")
    assert set(police) == {r["order_no"] for r in clean if r["demand_type"] in ("complaint", "report", "help")}
    for record in clean:
        row = police.get(record["order_no"])
        for raw in (record["caller_phone"], record["caller_id_no"]):
            assert row is None or raw is None or all(raw not in str(v) for v in row), (raw, row)
        if row and row[1]:
            assert re.fullmatch(r"1\d{2}\*{4}\d{4}", row[1])
        if row and row[2]:
            assert row[2].startswith("v1:")  # keyed pseudonym, never the ID

    urban = _pool(settings, URBAN, "region_code")
    assert set(urban) == {r["order_no"] for r in clean if r["region_code"].startswith("350102")}
    province = _pool(settings, PROVINCE, "region_code")
    assert set(province) == {r["order_no"] for r in clean}
    assert all(re.fullmatch(r"\d{6}", region) for (region,) in province.values())  # generalised upward
