"""A record the pool database refuses, published straight onto a shared topic between good ones:
the good ones land, the refused one becomes a sink dead letter on dlq.<dataset> (read back with
`govbus dlq`'s own code), and the sink goes on; on PostgreSQL and on SQLite, real broker.

What each database refuses: PostgreSQL a NUL character (CharacterNotInRepertoire) and a key
too large for its btree index (index row size); SQLite stores both, so its pool here runs with a
length cap (SQLITE_LIMIT_LENGTH, which an operator may set) that a 100k-character text exceeds.
"""
from __future__ import annotations

import secrets
import sqlite3

import pytest
from confluent_kafka.admin import AdminClient, NewTopic
from sqlalchemy import create_engine, event, text

from commands.dlq_cmd import letter_row, read_letters
from consumers.pool.sink import PoolSink
from consumers.pool.store import REJECTS_TABLE, PoolStore
from govbus.core.metrics import new_metrics
from govbus.core.serde import Serde
from govbus.core.settings import kafka_config, topic_names
from tests.integration.consumers.pool.shared_bus import DATASET, RECIPIENT, Bus, work_order
from tests.integration.consumers.pool.test_sink import IDLE, pool_rows

SQLITE_LENGTH_CAP = 50_000
LONG_KEY = "GD" + secrets.token_hex(2500)  # random: a repetitive key would compress under the limit


def _store(url: str) -> PoolStore:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _cap(dbapi_connection, _record):  # noqa: ANN001 - SQLAlchemy's event signature
            dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, SQLITE_LENGTH_CAP)
    return PoolStore(url, engine)


def _dlq_topic(settings) -> str:
    """dlq.<dataset> as the processor creates it at start (the sink only writes to it)."""
    topic = topic_names(settings).dlq(DATASET)
    admin = AdminClient(kafka_config(settings, "admin"))
    for future in admin.create_topics([NewTopic(topic, 1, 1)]).values():
        future.result(30)
    return topic


@pytest.fixture
def settings(broker, tmp_path, unique, pool_url):
    return broker.settings(tmp_path, topic_prefix=f"t{unique}", sink_group=f"sink-{unique}",
                           sink_batch_seconds=0.5, sink_batch_size=500, pool_url=pool_url)


def test_refused_records_become_sink_letters_and_the_rest_lands(settings):
    dialect = create_engine(settings.pool_url).dialect.name
    dlq = _dlq_topic(settings)
    poison = {"WO-NUL": work_order("WO-NUL", "noise\x00at night"),
              LONG_KEY: work_order(LONG_KEY),
              "WO-BIG": work_order("WO-BIG", "话" * 100_000)}
    refused = {"postgresql": {"WO-NUL": ("content", "pool.postgresql.22021"),
                              LONG_KEY: ("order_no", "pool.postgresql.54000")},
               "sqlite": {"WO-BIG": ("content", "pool.sqlite.SQLITE_TOOBIG")}}[dialect]
    good = [work_order(f"WO-{n}", f"good {n}") for n in range(6)]
    bus = Bus(settings)
    bus.produce(good[0], poison["WO-NUL"], good[1], poison[LONG_KEY], good[2], poison["WO-BIG"], good[3])

    store = _store(settings.pool_url)
    first = PoolSink(settings, RECIPIENT, Serde.from_settings(settings), new_metrics(), store).run(
        idle_exit_seconds=IDLE)
    landed = pool_rows(settings)
    assert set(landed) == {f"WO-{n}" for n in range(4)} | (set(poison) - set(refused))
    assert (first.records, first.rejects) == (7 - len(refused), len(refused))

    letters = {letter["original_key"].decode(): (offset, letter)
               for offset, letter in read_letters(settings, Serde.from_settings(settings), dlq)}
    assert set(letters) == set(refused)
    for key, (column, rule) in refused.items():
        offset, letter = letters[key]
        assert (letter["stage"], letter["reason"], letter["rule"]) == ("sink", "pool_refused", rule)
        assert (letter["recipient"], letter["pool_column"], letter["field_path"]) == (RECIPIENT, column, column)
        assert letter["pool_table"].endswith("pool_police__hotline_work_order")
        assert letter["source_topic"] == bus.topic and letter["source_offset"] >= 0
        assert bus.serde.decode(letter["original_value"]).value["order_no"] == key  # the original bytes
        row = letter_row(offset, letter)
        assert row[1] == "sink" and f"{RECIPIENT}: " in row[5]
    with store.engine.connect() as conn:
        pool_rejects = conn.execute(text(f"SELECT reason, field FROM {REJECTS_TABLE}")).all()
    assert sorted(pool_rejects) == sorted(("pool_refused", column) for column, _rule in refused.values())

    # The sink goes on: later records land, and a restart does not redo the refused batch.
    bus.produce(good[4], good[5])
    second = PoolSink(settings, RECIPIENT, Serde.from_settings(settings), new_metrics(), _store(settings.pool_url)).run(
        idle_exit_seconds=IDLE)
    assert (second.records, second.rejects) == (2, 0)
    assert {"WO-4", "WO-5"} <= set(pool_rows(settings))
    assert len(list(read_letters(settings, Serde.from_settings(settings), dlq))) == len(refused)
