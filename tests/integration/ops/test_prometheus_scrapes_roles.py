"""Issue 17: a real Prometheus (Debian's, started by the stack's monitoring code) finds the
roles through the files they write into <stack dir>/targets/ and scrapes every one of them.

The processor, a pool sink and the audit sink run as child processes (the real CLI, as
`govbus demo` and the scale tests run them) against the test broker, on their default metrics
ports (another role already on one takes the next: the start line says which). Prometheus'
/api/v1/targets must show all three up with their role labels; after SIGTERM each role has
removed its targets file. Metric values are tests/integration/... of the metrics themselves.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from commands.localstack.monitoring import claim_port, prometheus_url, start_prometheus
from commands.localstack.procs import stop_pid

RECIPIENT = "public_security_350100"
ROLES = {"process": ["process"], "sink": ["sink", "--recipient", RECIPIENT], "audit-sink": ["audit", "sink"]}


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as handle:
        return subprocess.Popen([sys.executable, "-m", "commands.main", *args], env=env, stdout=handle,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def _targets(port: int) -> list[dict]:
    with urllib.request.urlopen(f"{prometheus_url(port)}/api/v1/targets?state=active", timeout=5) as answer:  # noqa: S310
        return json.load(answer)["data"]["activeTargets"]


def _query(port: int, expression: str) -> list[dict]:
    url = f"{prometheus_url(port)}/api/v1/query?{urllib.parse.urlencode({'query': expression})}"
    with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310
        return json.load(answer)["data"]["result"]


def _wait_all_up(port: int, children: dict[str, subprocess.Popen], logs: Path, timeout: float) -> list[dict]:
    deadline, found = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        for role, child in children.items():
            assert child.poll() is None, f"{role} exited {child.returncode}:\n{(logs / f'{role}.log').read_text()}"
        found = _targets(port)
        if len(found) == len(children) and all(t["health"] == "up" for t in found):
            return found
        time.sleep(1)
    raise AssertionError(f"not every role up in Prometheus within {timeout:.0f}s: {found}")


def test_prometheus_scrapes_every_role_through_its_targets_file(broker, tmp_path, unique):
    stack = tmp_path / "stack"
    stack.mkdir()
    settings = broker.settings(tmp_path, topic_prefix=f"prom{unique}")
    env = {k: v for k, v in os.environ.items() if k != "GOVBUS_METRICS_PORT"} | broker.env() | {
        "GOVBUS_STACK_DIR": str(stack), "GOVBUS_TOPIC_PREFIX": settings.topic_prefix,
        "GOVBUS_POOL_URL": settings.pool_url, "GOVBUS_STATE_DIR": str(tmp_path / "state"),
        "GOVBUS_PROCESSOR_GROUP": f"prom{unique}-p", "GOVBUS_SINK_GROUP": f"prom{unique}-s"}
    port = claim_port(0)
    prometheus = start_prometheus(stack, port)
    children: dict[str, subprocess.Popen] = {}
    try:
        children = {role: _start(args, env, tmp_path / f"{role}.log") for role, args in ROLES.items()}
        found = _wait_all_up(port, children, tmp_path, 180)
        files = {path.name for path in (stack / "targets").glob("*.json")}
        assert files == {f"{role}-{child.pid}.json" for role, child in children.items()}
        assert sorted(t["labels"]["role"] for t in found) == sorted(ROLES)
        assert {t["labels"]["instance_name"] for t in found} == {"process-0", f"sink-{RECIPIENT}-0", "audit-sink-0"}
        assert all(t["labels"]["job"] == "govbus" and t["lastError"] == "" for t in found)
        # Each scrape brought samples, and the series carry the file's labels.
        samples = _query(port, 'scrape_samples_scraped{job="govbus"}')
        scraped = {r["metric"]["role"]: float(r["value"][1]) for r in samples}
        assert set(scraped) == set(ROLES) and all(count > 0 for count in scraped.values()), scraped
        for role in ROLES:  # each role said where its metrics are
            log = (tmp_path / f"{role}.log").read_text()
            assert f"{role} metrics on http://127.0.0.1:" in log, log
    finally:
        for child in children.values():
            child.send_signal(signal.SIGTERM)
        for child in children.values():
            try:
                child.wait(60)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(10)
        stop_pid(prometheus)
    stopped = {role: child.returncode for role, child in children.items()}
    assert list((stack / "targets").glob("*.json")) == [], f"targets left after a clean stop: {stopped}"


@pytest.fixture(autouse=True)
def _prometheus_installed() -> None:
    """Debian's prometheus is part of the test environment (.ci/run installs it): its absence
    is a failure, not a skip."""
    from commands.localstack.monitoring import find_prometheus

    find_prometheus()
