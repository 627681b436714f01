"""Chaos: the processor, a PostgreSQL pool sink and the detector run as child processes under a
steady load while the test stack's broker is stopped for 10 s, the registry for 30 s and the
broker for 90 s (real stops: the processes are killed and started again on the same ports and
data folders, commands/localstack/services.py). Afterwards every record sent is in the pool
exactly once, every role still runs as the same process, and each answers /readyz with 200.

Bounded: about four minutes. The stack is restored whatever happens (tests/support/outages.py),
and the test fails, never skips, when it cannot find or restore it.
"""
from __future__ import annotations

import functools
import json
import logging
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Producer
from sqlalchemy import column, create_engine, func, select

from bench.databases import fresh_database
from commands.localstack.stack import free_port
from consumers.pool.pools import pool_table_ref
from govbus.core.serde import Serde
from govbus.core.settings import kafka_config, topic_names
from govbus.core.topics import value_subject
from tests.support.helpers import hotline_schema, work_order
from tests.support.outages import outage, restore_stack, stack_settings

DATASET = "hotline.work_order"
PROVINCE = "emergency_management_350000"  # receives every work order of Fujian (upward flow)
ROLES = {"process": ["process"], "sink": ["sink", "--all"], "detect": ["detect", "--tick-seconds", "5"]}
RATE = 20  # records a second


class Load(threading.Thread):
    """Produces valid work orders, each with a new key, until stopped; counts the acknowledged."""

    def __init__(self, settings, serde: Serde) -> None:
        super().__init__(daemon=True)
        self.settings, self.serde, self.stop = settings, serde, threading.Event()
        self.topic = topic_names(settings).raw(DATASET)
        self.subject = value_subject(self.topic)
        self.acked: set[str] = set()
        self.failed: list[str] = []
        self.producer = Producer(kafka_config(settings, "producer", **{"logger": _quiet()}))

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            key = f"GDCHAOS{n:010d}"
            record = work_order(order_no=key, region_code="350102001001")
            record["envelope"] = record["envelope"] | {"event_id": str(uuid.uuid4()), "region_code": "350102001001"}
            self.producer.produce(self.topic, self.serde.encode(self.subject, record), key.encode(),
                                  on_delivery=functools.partial(self._delivered, key))
            self.producer.poll(0)
            time.sleep(1 / RATE)

    def _delivered(self, key: str, error, _message) -> None:  # noqa: ANN001 - librdkafka's callback
        if error is None:
            self.acked.add(key)
        else:
            self.failed.append(f"{key}: {error}")

    def finish(self) -> None:
        self.stop.set()
        self.join(10)
        assert self.producer.flush(300) == 0, "the load's records were not all acknowledged"


def _quiet() -> logging.Logger:
    logger = logging.getLogger("chaos.load")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    return logger


def _ready(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"{}")
    except OSError as exc:
        return 0, {"error": str(exc)}


def _wait_ready(ports: dict[str, int], children: dict[str, subprocess.Popen], logs: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    answers: dict[str, tuple[int, dict]] = {}
    while time.monotonic() < deadline:
        for role, child in children.items():
            assert child.poll() is None, f"{role} exited {child.returncode}:\n{_tail(logs / f'{role}.log')}"
        answers = {role: _ready(port) for role, port in ports.items()}
        if all(code == 200 for code, _ in answers.values()):
            return
        time.sleep(1)
    pytest.fail(f"not ready after {timeout:.0f}s: {answers}")


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def _pool_keys(settings) -> tuple[int, int]:
    """(rows, distinct order numbers) in the province's pool table; (0, 0) before it exists."""
    engine = create_engine(settings.pool_url)
    table = pool_table_ref(settings, PROVINCE, DATASET).clause()
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(func.count()).select_from(table)).scalar_one()
            keys = conn.execute(select(func.count(func.distinct(column("order_no")))).select_from(table)).scalar_one()
            return rows, keys
    except Exception:  # noqa: BLE001 - the table appears with the first stored record
        return 0, 0
    finally:
        engine.dispose()


def _start(role: str, env: dict[str, str], logs: Path) -> subprocess.Popen:
    handle = (logs / f"{role}.log").open("wb")
    return subprocess.Popen([sys.executable, "-m", "commands.main", *ROLES[role]], env=env,
                            stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


@pytest.fixture
def stack(broker):
    """The test stack's folder; whatever the test did, the broker and registry answer afterwards."""
    settings = stack_settings(broker)
    restore_stack(settings)
    yield settings
    restore_stack(settings)


def _role_env(broker, settings, pool_url: str, unique: str, tmp_path: Path) -> dict[str, str]:  # noqa: ANN001
    return os.environ | broker.env() | {
        "GOVBUS_TOPIC_PREFIX": settings.topic_prefix, "GOVBUS_POOL_URL": pool_url,
        "GOVBUS_PROCESSOR_GROUP": f"chaos{unique}-p", "GOVBUS_SINK_GROUP": f"chaos{unique}-s",
        "GOVBUS_HEALTH_PROBE_SECONDS": "2"}


def _drills(stack, ports: dict[str, int], children: dict[str, subprocess.Popen], logs: Path) -> None:  # noqa: ANN001
    """The outages, a few seconds of load apart; every role ready again after each."""
    for service, seconds in (("kafka", 10), ("registry", 30), ("kafka", 90)):
        time.sleep(5)
        with outage(stack, service):
            time.sleep(seconds)
        _wait_ready(ports, children, logs, 120)


def _every_record_once(settings, sent: int) -> None:  # noqa: ANN001
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and _pool_keys(settings)[1] < sent:
        time.sleep(2)
    rows, keys = _pool_keys(settings)
    assert (rows, keys) == (sent, sent), f"sent {sent}, the pool has {rows} rows, {keys} keys"


def _still_the_same(children: dict[str, subprocess.Popen], pids: dict[str, int], logs: Path) -> None:
    for role, child in children.items():
        assert child.poll() is None and child.pid == pids[role], f"{role} is not the process it was:\n" + \
            _tail(logs / f"{role}.log")
        text = (logs / f"{role}.log").read_text(errors="replace")
        assert "Traceback" not in text, f"{role}:\n{_tail(logs / f'{role}.log', 80)}"


def test_roles_ride_out_broker_and_registry_outages(broker, stack, postgres_url, tmp_path, unique):
    with fresh_database(postgres_url, "chaos") as pool_url:
        settings = broker.settings(tmp_path, topic_prefix=f"chaos{unique}", pool_url=pool_url)
        ports = {role: free_port() for role in ROLES}
        env = _role_env(broker, settings, pool_url, unique, tmp_path)
        children = {role: _start(role, env | {"GOVBUS_METRICS_PORT": str(ports[role]),
                                              "GOVBUS_STATE_DIR": str(tmp_path / f"state-{role}")}, tmp_path)
                    for role in ROLES}
        pids = {role: child.pid for role, child in children.items()}
        serde = Serde.connect(broker.registry_url, broker.registry_identity())
        serde.prepare(value_subject(topic_names(settings).raw(DATASET)), hotline_schema().schema)
        load = Load(settings, serde)
        try:
            _wait_ready(ports, children, tmp_path, 120)
            load.start()
            _drills(stack, ports, children, tmp_path)
            time.sleep(5)
            load.finish()
            assert not load.failed, load.failed[:5]
            _every_record_once(settings, len(load.acked))
            _still_the_same(children, pids, tmp_path)
            _wait_ready(ports, children, tmp_path, 30)
        finally:
            load.stop.set()
            _stop(children)


def _stop(children: dict[str, subprocess.Popen]) -> None:
    for child in children.values():
        child.terminate()
    for child in children.values():
        try:
            child.wait(30)
        except subprocess.TimeoutExpired:
            child.kill()
