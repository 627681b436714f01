"""kill -9 of the sink mid-batch, then a restart: exactly the expected rows (issue 6).

The sink runs as the real CLI (``govbus sink --all``) in a child process over a few thousand
records in small batches. It is SIGKILLed twice while it is writing (in the middle of a pool
transaction where the database lets us see one: a PostgreSQL backend inside a transaction, the
SQLite rollback journal on disk), restarted each time, and at the end every key has exactly one
row holding its latest state, nothing is missing and nothing was rejected.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pytest
from sqlalchemy import column, create_engine, func, make_url, select, text

from consumers.pool.pools import pool_table_ref
from consumers.pool.store import OFFSETS_TABLE, REJECTS_TABLE, PoolStore
from govbus.core.settings import PROJECT_ROOT, connection_env
from tests.integration.consumers.pool.shared_bus import Bus, work_order

RECIPIENTS = ("police", "urban_mgmt")
KEYS = 1500                          # per recipient
UPDATED = range(0, KEYS, 4)          # keys updated once more after every key was sent
TOTAL = len(RECIPIENTS) * (KEYS + len(UPDATED))
KILL_AT = (0.25, 0.6)                # fractions of TOTAL stored when the two kills come
APP_NAME = "govbus-sink-killtest"


def expected_rows() -> dict[str, str]:
    return {f"WO-{k}": "update" if k in UPDATED else "first" for k in range(KEYS)}


def produce(settings) -> None:
    for recipient in RECIPIENTS:
        firsts = [work_order(f"WO-{k}", "first") for k in range(KEYS)]
        updates = [work_order(f"WO-{k}", "update", 5) for k in UPDATED]
        Bus(settings, recipient=recipient).produce(*firsts, *updates)


@pytest.fixture
def children():
    """Sink processes started by the test; any still running at its end are killed."""
    started: list[subprocess.Popen] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def start_sink(children: list, settings, pool_url: str, log: Path) -> subprocess.Popen:
    env = os.environ | {
        **connection_env(settings),
        "GOVBUS_TOPIC_PREFIX": settings.topic_prefix, "GOVBUS_POOL_URL": pool_url,
        "GOVBUS_SINK_GROUP": settings.sink_group, "GOVBUS_SINK_BATCH_SIZE": "25",
        "GOVBUS_SINK_BATCH_SECONDS": "0.2", "GOVBUS_METRICS_PORT": "-1",
        # A killed member holds its partitions until its session expires: keep that short.
        "GOVBUS_KAFKA_EXTRA": json.dumps({"session.timeout.ms": 6000, "heartbeat.interval.ms": 500})}
    with log.open("ab") as out:
        children.append(subprocess.Popen([sys.executable, "-m", "commands.main", "sink", "--all"],
                                         env=env, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT))
    return children[-1]


class Pool:
    """Reads the pool while the sink writes it."""

    def __init__(self, settings, url: str) -> None:
        self.settings, self.url = settings, url
        PoolStore(url).close()  # the bookkeeping tables, so that progress() can read before the sink
        self.engine = create_engine(url)

    def progress(self) -> int:
        """Records stored so far: the stored next offsets summed (every topic starts at 0)."""
        query = text(f"SELECT coalesce(sum(next_offset), 0) FROM {OFFSETS_TABLE} WHERE group_id = :g")
        with self.engine.connect() as conn:
            return int(conn.execute(query, {"g": self.settings.sink_group}).scalar_one())

    def writing(self) -> bool:
        """Whether the sink is inside a pool transaction right now."""
        if self.engine.dialect.name == "sqlite":
            return Path(f"{make_url(self.url).database}-journal").exists()
        query = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :a "
                     "AND xact_start IS NOT NULL AND state <> 'idle'")
        with self.engine.connect() as conn:
            return conn.execute(query, {"a": APP_NAME}).scalar_one() > 0

    def rows(self, recipient: str) -> list[tuple[str, str]]:
        ref = pool_table_ref(self.settings, recipient, "hotline.work_order")
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(
                select(column("order_no"), column("content")).select_from(ref.clause()))]

    def rejects(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(text(REJECTS_TABLE))).scalar_one()


def wait_for(condition: Callable[[], bool], timeout: float, what: str, poll: float = 0.005) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(poll)


def kill_while_writing(proc: subprocess.Popen, pool: Pool, at_least: int) -> bool:
    """SIGKILL the sink once ``at_least`` records are stored, inside a transaction if one is
    seen within 5 s. Returns whether it was."""
    wait_for(lambda: proc.poll() is not None or pool.progress() >= at_least, 120, f"{at_least} records stored")
    assert proc.poll() is None, "the sink exited by itself"
    deadline, in_transaction = time.monotonic() + 5, False
    while not in_transaction and time.monotonic() < deadline:
        in_transaction = pool.writing()
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    return in_transaction


def test_kill_9_mid_batch_then_restart_leaves_exactly_the_expected_rows(broker, tmp_path, unique, pool_url,
                                                                        children):
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}", sink_group=f"sink-{unique}", pool_url=pool_url)
    if make_url(pool_url).get_backend_name() == "postgresql":  # to find the sink's backend
        pool_url = make_url(pool_url).update_query_dict({"application_name": APP_NAME}).render_as_string(False)
    produce(settings)
    pool, log = Pool(settings, pool_url), tmp_path / "sink.log"
    try:
        mid_transaction = []
        for fraction in KILL_AT:
            proc = start_sink(children, settings, pool_url, log)
            mid_transaction.append(kill_while_writing(proc, pool, int(TOTAL * fraction)))
            assert pool.progress() < TOTAL, "the sink finished before it was killed: nothing was tested"
        assert any(mid_transaction), "no kill came while the sink was inside a pool transaction"
        proc = start_sink(children, settings, pool_url, log)
        wait_for(lambda: pool.progress() >= TOTAL, 120, "every record stored", poll=0.2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log.read_text(errors="replace")[-3000:]
        assert pool.progress() == TOTAL
        for recipient in RECIPIENTS:
            rows = pool.rows(recipient)
            assert len(rows) == KEYS and dict(rows) == expected_rows()
        assert pool.rejects() == 0
    finally:
        pool.engine.dispose()
