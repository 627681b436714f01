"""The poll loop against a SQLite file and a fake publisher: batches, ties across batch
boundaries, the watermark saved only after a confirmed flush, bad rows to the DLQ."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine

from producers.sdk import DeliveryFailed, Source
from producers.sql.logic import ColumnMapping, PollError, PollSpec, Watermark
from producers.sql.poller import TablePoller
from producers.sql.state import WatermarkStore
from tests.support.helpers import hotline_schema
from tests.support.department import (BASE_TIME, PLAIN_MAPPING, ZH_MAPPING,
                                                 FakePublisher, insert_rows, order_row,
                                                 orders_table)

SOURCE = Source("hotline", "city", "350100", "producers.sql")
KEY = "test-key"


@pytest.fixture
def engine(tmp_path):
    """A department database: a SQLite file, so the test needs no server."""
    return create_engine(f"sqlite:///{tmp_path / 'dept.db'}")


def _poller(engine, tmp_path, publisher, batch=4, tiebreak=None, watermark="updated_at",
            mapping=PLAIN_MAPPING):
    spec = PollSpec("sqlite:///dept.db", "orders", watermark, "hotline.work_order", tiebreak, batch)
    store = WatermarkStore(tmp_path / "state.sqlite")
    return TablePoller(engine, spec, hotline_schema(), SOURCE, publisher, store, KEY, mapping)


def _orders(publisher):
    return [key for _, _, key in publisher.published]


def test_ties_across_batch_boundaries_are_neither_repeated_nor_skipped(engine, tmp_path):
    # Ten rows sharing three timestamps, read four at a time: boundaries fall inside ties.
    rows = [order_row(i, BASE_TIME + timedelta(minutes=i // 4)) for i in range(10)]
    orders_table(engine, "orders", rows)
    publisher = FakePublisher()
    summary = _poller(engine, tmp_path, publisher).drain()
    assert _orders(publisher) == [r["order_no"] for r in rows]
    assert (summary.read, summary.published, summary.batches) == (10, 10, 3)
    # SQLite keeps a datetime as text without its offset: the watermark comes back naive.
    assert summary.watermark == Watermark(rows[-1]["updated_at"].replace(tzinfo=None), 9)


def test_primary_key_is_the_default_tiebreak(engine, tmp_path):
    orders_table(engine, "orders", [order_row(1)])
    assert _poller(engine, tmp_path, FakePublisher()).spec.tiebreak == "id"
    by_id = ColumnMapping(ignore=frozenset({"internal_note", "updated_at"}))
    assert _poller(engine, tmp_path, FakePublisher(), watermark="id",
                   mapping=by_id).spec.tiebreak is None


def test_a_second_drain_sends_only_new_rows(engine, tmp_path):
    table = orders_table(engine, "orders", [order_row(i) for i in range(5)])
    publisher = FakePublisher()
    _poller(engine, tmp_path, publisher).drain()
    insert_rows(engine, table, [order_row(i) for i in range(5, 7)])
    again = _poller(engine, tmp_path, publisher).drain()  # a restart: state from the file
    assert _orders(publisher)[5:] == ["GD2025030100005", "GD2025030100006"]
    assert again.read == 2


def test_an_updated_row_is_sent_again_as_a_new_event(engine, tmp_path):
    table = orders_table(engine, "orders", [order_row(1), order_row(2)])
    publisher = FakePublisher()
    _poller(engine, tmp_path, publisher).drain()
    with engine.begin() as conn:
        conn.execute(table.update().where(table.c.id == 1).values(
            urgency="urgent", updated_at=BASE_TIME + timedelta(hours=1)))
    _poller(engine, tmp_path, publisher).drain()
    assert _orders(publisher) == ["GD2025030100001", "GD2025030100002", "GD2025030100001"]
    first, _, update = (r["envelope"]["event_id"] for _, r, _ in publisher.published)
    assert first != update  # else the processor's duplicate filter would drop the update


def test_failed_flush_leaves_the_watermark_at_the_last_confirmed_batch(engine, tmp_path):
    rows = [order_row(i) for i in range(10)]
    orders_table(engine, "orders", rows)
    crashing = FakePublisher(fail_flush=2)
    with pytest.raises(DeliveryFailed):
        _poller(engine, tmp_path, crashing, batch=4).drain()
    saved = WatermarkStore(tmp_path / "state.sqlite").load(KEY)
    assert saved == Watermark(rows[3]["updated_at"].replace(tzinfo=None), 3)
    restarted = FakePublisher()
    _poller(engine, tmp_path, restarted, batch=4).drain()
    # At most the failed batch again, with the same event ids; nothing missing.
    assert _orders(restarted) == [r["order_no"] for r in rows[4:]]
    first_ids = {k: r["envelope"]["event_id"] for _, r, k in crashing.published}
    assert all(first_ids.get(k, r["envelope"]["event_id"]) == r["envelope"]["event_id"]
               for _, r, k in restarted.published)


def test_bad_rows_go_to_the_dead_letter_queue(engine, tmp_path):
    rows = [order_row(1), order_row(2, channel="fax"), order_row(3, content=None)]
    orders_table(engine, "orders", rows)
    publisher = FakePublisher()
    summary = _poller(engine, tmp_path, publisher).drain()
    assert (summary.read, summary.published, summary.rejected) == (3, 1, 2)
    faults = [(fault.field, fault.reason) for fault, _, _ in publisher.rejected]
    assert faults == [("channel", "bad_enum"), ("content", "missing_field")]
    fault, origin, owner = publisher.rejected[0]
    assert owner == "hotline" and b"GD2025030100002" in origin.value and "orders" in origin.topic


def test_chinese_columns_through_a_mapping(engine, tmp_path):
    orders_table(engine, "orders", [order_row(1)], chinese=True)
    publisher = FakePublisher()
    _poller(engine, tmp_path, publisher, mapping=ZH_MAPPING).drain()
    (_, record, key), = publisher.published
    assert key == "GD2025030100001" and record["caller_name"] == "张三"


def test_null_watermarks_are_counted_not_dropped_quietly(engine, tmp_path):
    rows = [order_row(1), order_row(2)]
    table = orders_table(engine, "orders", rows)
    with engine.begin() as conn:
        conn.execute(table.update().where(table.c.id == 2).values(updated_at=None))
    summary = _poller(engine, tmp_path, FakePublisher()).drain()
    assert (summary.read, summary.unplaceable) == (1, 1)


def test_a_column_nobody_maps_stops_the_poller_before_a_row_is_read(engine, tmp_path):
    orders_table(engine, "orders", [order_row(1)], chinese=True)
    with pytest.raises(PollError) as raised:
        _poller(engine, tmp_path, FakePublisher(), mapping=ColumnMapping())
    assert "'internal_note'" in str(raised.value) and "'工单编号'" in str(raised.value)


def test_unknown_table_or_column_is_a_poll_error(engine, tmp_path):
    with pytest.raises(PollError, match="cannot read table"):
        _poller(engine, tmp_path, FakePublisher())
    orders_table(engine, "orders", [])
    with pytest.raises(PollError, match="no column"):
        _poller(engine, tmp_path, FakePublisher(), watermark="changed_at")
