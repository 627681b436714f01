"""SQL table polling into the real broker, from SQLite and from PostgreSQL: a crash after a
batch was produced but before its watermark was saved, then a restart, leaves no record
missing at a consumer, and every duplicate carries the same event id."""
from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

import pytest
import yaml
from sqlalchemy import create_engine

from govbus.core.deadletter import load_dead_letter_schema
from govbus.core.metrics import new_metrics
from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import connection_env, topic_names
from producers.sdk import DeliveryFailed, Publisher, Source
from producers.sql.logic import PollSpec, state_key
from producers.sql.poller import TablePoller
from producers.sql.state import WatermarkStore
from tests.integration.producers.received import consume
from tests.support.department import BASE_TIME, DATASET, ZH_COLUMNS, ZH_MAPPING, insert_rows, order_row, orders_table

BATCH = 10


@dataclass(eq=False)  # the SDK keeps publishers in a WeakSet: identity, not value
class CrashingPublisher(Publisher):
    """A real Publisher whose ``crash_on``-th flush raises after the broker acknowledged the
    batch: the worst moment, since the records are out but the watermark is not saved."""

    crash_on: int = 0
    flushes: int = 0

    def flush(self, timeout: float = 60.0) -> int:
        acknowledged = super().flush(timeout)
        self.flushes += 1
        if self.flushes == self.crash_on:
            raise DeliveryFailed("simulated crash after produce, before the watermark was saved")
        return acknowledged


def _poller(settings, url, table, publisher, tmp_path) -> TablePoller:
    schema = load_schemas(settings.schemas_dir)[DATASET]
    publisher.prepare(schema, load_dead_letter_schema(settings.schemas_dir))
    spec = PollSpec(url, table, "updated_at", DATASET, "id", BATCH)
    return TablePoller(create_engine(url), spec, schema,
                       Source("hotline", "city", "350100", "producers.sql"), publisher,
                       WatermarkStore(tmp_path / "state.sqlite"),
                       state_key(url, table, DATASET, settings.topic_prefix),
                       ZH_MAPPING)


def _rows(start: int, stop: int) -> list[dict]:
    # Three rows per timestamp, so batch boundaries fall inside runs of equal watermarks.
    return [order_row(i, BASE_TIME + timedelta(minutes=i // 3)) for i in range(start, stop)]


def test_crash_mid_poll_then_restart_loses_nothing(broker, tmp_path, unique, department_db):
    url, table_name = department_db
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}")
    serde = Serde.from_settings(settings)
    rows = _rows(0, 25)
    rows[2]["channel"] = "fax"  # one bad row, in the first (confirmed) batch
    table = orders_table(create_engine(url), table_name, rows, chinese=True)

    crashing = CrashingPublisher(settings, serde, new_metrics(), crash_on=2)
    with pytest.raises(DeliveryFailed):
        _poller(settings, url, table_name, crashing, tmp_path).drain()
    restarted = _poller(settings, url, table_name, Publisher(settings, serde, new_metrics()),
                        tmp_path)
    first = restarted.drain()
    assert (first.read, first.rejected) == (15, 0)  # the unconfirmed batch again, then the rest
    insert_rows(create_engine(url), table, _rows(25, 30))
    assert restarted.drain().read == 5

    valid = {r["order_no"] for r in rows + _rows(25, 30) if r["channel"] == "phone"}
    received = consume(settings, topic_names(settings).raw(DATASET), expected=len(valid) + BATCH)
    ids = defaultdict(set)
    for message in received:
        ids[message.key].add(str(message.value["envelope"]["event_id"]))  # fastavro: a UUID
    assert set(ids) == valid  # nothing missing, nothing extra
    assert all(len(found) == 1 for found in ids.values())  # a re-sent row kept its event id
    assert len(received) - len(valid) <= BATCH  # duplicates: at most the unconfirmed batch

    (letter,) = consume(settings, topic_names(settings).dlq(DATASET), expected=1, settle=1)
    assert (letter.value["field_path"], letter.value["reason"]) == ("channel", "bad_enum")
    assert "GD2025030100002" in letter.value["original_value"].decode()


def _cli_env(settings) -> dict[str, str]:
    return os.environ | {**connection_env(settings),
                         "GOVBUS_TOPIC_PREFIX": settings.topic_prefix,
                         "GOVBUS_STATE_DIR": str(settings.state_dir), "GOVBUS_METRICS_PORT": "-1",
                         "COLUMNS": "200"}  # rich wraps error boxes at 80 columns otherwise


def _govbus(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "commands.main", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_poll_command_resumes_where_it_stopped(broker, tmp_path, unique):
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}", state_dir=tmp_path / "state")
    url = f"sqlite:///{tmp_path / 'department.db'}"
    table = orders_table(create_engine(url), "orders", _rows(0, 7), chinese=True)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(yaml.safe_dump({"dataset": DATASET, "columns": ZH_COLUMNS,
                                       "ignore": ["internal_note"]}, allow_unicode=True), "utf-8")
    args = ["poll", "--url", url, "--table", "orders", "--watermark", "updated_at",
            "--dataset", DATASET, "--department", "hotline", "--mapping", str(mapping),
            "--batch", "3", "--once"]
    env = _cli_env(settings)

    first = _govbus(args, env)
    assert first.returncode == 0, first.stderr
    assert "read 7  published 7  rejected 0" in first.stderr
    insert_rows(create_engine(url), table, _rows(7, 9))
    second = _govbus(args, env)
    assert "read 2  published 2" in second.stderr, second.stderr

    received = consume(settings, topic_names(settings).raw(DATASET), expected=9)
    assert sorted(m.key for m in received) == sorted(r["order_no"] for r in _rows(0, 9))


def test_poll_command_refuses_another_departments_dataset(broker, tmp_path, unique):
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}", state_dir=tmp_path / "state")
    url = f"sqlite:///{tmp_path / 'department.db'}"
    orders_table(create_engine(url), "orders", _rows(0, 1))
    result = _govbus(["poll", "--url", url, "--table", "orders", "--watermark", "updated_at",
                      "--dataset", DATASET, "--department", "fire", "--once"], _cli_env(settings))
    assert result.returncode == 2 and "names 'hotline' as its provider" in result.stderr
