"""`govbus status --json` against the real test broker, with a real `govbus process` serving
/metrics: the processor listed through a file_sd targets file (the format roles write into
`<stack dir>/targets/`), up and ready, its group's lag from the broker, its deliveries, and the
dead letters of the last hour by department; a broker that does not answer is one line, exit 3.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from confluent_kafka import ConsumerGroupTopicPartitions
from confluent_kafka.admin import AdminClient

from commands import exits
from commands.localstack.stack import free_port
from tests.support.workers import Workers

DATASET = "hotline.work_order"
DEPARTMENT = "hotline"  # the catalogue's provider of the dataset


def _govbus(env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "commands.main", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:  # noqa: S310
            return answer.status == 200
    except OSError:
        return False


def _metric(port: int, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as answer:  # noqa: S310
        lines = answer.read().decode().splitlines()
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith(name + "{"))


def _committed(broker, group: str) -> bool:  # noqa: ANN001 - the session's broker fixture
    admin = AdminClient(broker.client_config())
    answer = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group].result(timeout=30)
    return any(tp.offset >= 0 for tp in answer.topic_partitions or [])


def _wait(what: str, check, workers: Workers, timeout: float) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers.assert_running(*workers.started)
        if check():
            return
        time.sleep(1)
    raise AssertionError(f"{what}: not within {timeout}s\n" + "\n".join(w.tail() for w in workers.started))


def test_status_json_shows_a_running_processor(broker, tmp_path: Path, unique) -> None:
    prefix, group, port = f"st{unique}", f"st{unique}-p", free_port()
    env = os.environ | broker.env() | {"GOVBUS_TOPIC_PREFIX": prefix, "GOVBUS_PROCESSOR_GROUP": group,
                                       "GOVBUS_STATE_DIR": str(tmp_path / "state"), "GOVBUS_METRICS_PORT": "-1"}
    workers = Workers(env, tmp_path)
    try:
        processor = workers.start("process", 0, port)
        _wait("the processor ready", lambda: _ready(port), workers, 180)
        published = _govbus(env, "generate", "--dataset", DATASET, "--count", "60", "--dirty", "0.3", "--publish")
        assert published.returncode in (exits.OK, exits.FINDINGS), published.stdout + published.stderr
        _wait("deliveries and dead letters", lambda: _metric(port, "govbus_deliveries_total") > 0
              and _metric(port, "govbus_dlq_records_total") > 0, workers, 180)
        # Faust commits after the outputs are acknowledged, every few seconds: the group's lag is
        # on the broker only from its first commit.
        _wait("the processor's first commit", lambda: _committed(broker, group), workers, 120)
        targets = tmp_path / "targets"
        targets.mkdir()
        (targets / f"process-{processor.pid}.json").write_text(json.dumps([{
            "targets": [f"127.0.0.1:{port}"], "labels": {"role": "process", "instance_name": f"process-{processor.pid}"}}]))
        done = _govbus(env, "status", "--json", "--targets", str(targets), "--sample", "1")
        shown = _govbus(env | {"COLUMNS": "160"}, "status", "--targets", str(targets), "--sample", "0")
    finally:
        workers.stop_all()
    assert done.returncode == exits.OK, done.stdout + done.stderr
    view = json.loads(done.stdout)
    (role,) = view["roles"]
    assert (role["role"], role["up"], role["ready"], role["outages"]) == ("process", True, True, [])
    assert role["lag_records"] is not None and role["lag_records"] >= 0
    lags = {(lag["group"], lag["topic"]): lag for lag in view["group_lags"]}
    assert (group, f"{prefix}.raw.{DATASET}") in lags, sorted(lags)
    assert sum(view["deliveries_total"].values()) > 0
    assert view["deliveries_per_second"] is not None and view["records_per_second"] is not None
    assert view["dead_letters_last_hour"].get(DEPARTMENT, 0) > 0, view["dead_letters_last_hour"]
    assert view["problems"] == []
    assert shown.returncode == exits.OK, shown.stdout + shown.stderr  # the screen: the same view, as tables
    assert f"process-{processor.pid}" in shown.stdout and "hotline" in shown.stdout, shown.stdout


def test_status_with_the_broker_down_is_one_line_and_unavailable(broker, tmp_path: Path) -> None:
    env = os.environ | broker.env() | {"GOVBUS_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}"}
    done = _govbus(env, "status", "--json", "--targets", str(tmp_path), "--sample", "0", timeout=120)
    assert done.returncode == exits.UNAVAILABLE, done.stdout + done.stderr
    assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr
