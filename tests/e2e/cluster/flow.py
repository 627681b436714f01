"""The load and the checks of the cluster test: acks=all work orders with a new key each, the
province pool's row and key counts, the roles' /readyz."""
from __future__ import annotations

import functools
import json
import logging
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Producer
from sqlalchemy import column, create_engine, func, select

from consumers.pool.pools import pool_table_ref
from govbus.core.serde import Serde
from govbus.core.settings import kafka_config, topic_names
from govbus.core.topics import value_subject
from tests.support.helpers import work_order

DATASET = "hotline.work_order"
PROVINCE = "emergency_management_350000"  # receives every work order of Fujian (upward flow)
RATE = 20  # records a second


class Load(threading.Thread):
    """Produces valid work orders (idempotent, acks=all), each with a new key, until stopped;
    counts the acknowledged."""

    def __init__(self, settings, serde: Serde) -> None:  # noqa: ANN001
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
            key = f"GDCLUSTER{n:09d}"
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
        assert self.producer.flush(120) == 0, "the load's records were not all acknowledged"


def _quiet() -> logging.Logger:
    logger = logging.getLogger("cluster.load")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    return logger


def pool_keys(settings) -> tuple[int, int]:  # noqa: ANN001
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


def _ready(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as answer:  # noqa: S310
            json.loads(answer.read())
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code
    except OSError:
        return 0


def wait_ready(ports: dict[str, int], children: dict[str, subprocess.Popen], logs: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    answers: dict[str, int] = {}
    while time.monotonic() < deadline:
        for role, child in children.items():
            assert child.poll() is None, f"{role} exited {child.returncode}:\n{tail(logs / f'{role}.log')}"
        answers = {role: _ready(port) for role, port in ports.items()}
        if all(code == 200 for code in answers.values()):
            return
        time.sleep(1)
    pytest.fail(f"not ready after {timeout:.0f}s: {answers}")


def tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""
