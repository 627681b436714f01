"""Fixtures for the SQL-polling and HTTP-ingest adapters against the real broker."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Iterator

import pytest
from confluent_kafka import Consumer
from sqlalchemy import create_engine, text

from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, kafka_config


@pytest.fixture(scope="session")
def pg_url() -> str:
    """The department database on PostgreSQL, because its row comparison, NULL ordering and
    timestamp types differ from SQLite's. ``GOVBUS_TEST_PG_URL`` names it (.ci/run creates it);
    in CI a missing URL fails the run, elsewhere it skips visibly."""
    url = os.environ.get("GOVBUS_TEST_PG_URL")
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail("GOVBUS_TEST_PG_URL is not set, and CI must poll PostgreSQL")
    pytest.skip("set GOVBUS_TEST_PG_URL to poll PostgreSQL (e.g. postgresql+psycopg://"
                "govbus:govbus@127.0.0.1:5432/govbus)")


@pytest.fixture(params=["sqlite", "postgresql"])
def department_db(request, tmp_path, unique) -> Iterator[tuple[str, str]]:
    """(SQLAlchemy URL, table name) of a department database with no tables yet; the
    PostgreSQL table is dropped afterwards, since that database outlives the test."""
    table = f"orders_{unique}"
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'department.db'}", table
        return
    url = request.getfixturevalue("pg_url")
    yield url, table
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP TABLE IF EXISTS "{table}"'))
    engine.dispose()


@dataclass(frozen=True)
class Received:
    key: str
    value: dict


def consume(settings: GovbusSettings, topic: str, expected: int, timeout: float = 60.0,
            settle: float = 2.0) -> list[Received]:
    """Every record on ``topic`` from the start: waits for ``expected`` of them, then ``settle``
    seconds more so that unexpected extras (duplicates) are caught too."""
    serde = Serde.connect(settings.registry_url)
    consumer = Consumer(kafka_config(settings, "consumer",
                                     **{"group.id": f"{topic}-check-{time.monotonic_ns()}"}))
    consumer.subscribe([topic])
    received: list[Received] = []
    deadline, quiet_until = time.monotonic() + timeout, None
    try:
        while time.monotonic() < (quiet_until or deadline):
            message = consumer.poll(0.5)
            if message is not None and not message.error():
                received.append(Received(message.key().decode(), serde.decode(message.value()).value))
            if quiet_until is None and len(received) >= expected:
                quiet_until = time.monotonic() + settle
    finally:
        consumer.close()
    return received
