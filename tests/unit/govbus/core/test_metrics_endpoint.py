"""Metrics ports per role, the start line and the file-based discovery files
(govbus.core.metrics_endpoint): pure decisions in tables, then the binding on loopback."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from govbus.core.metrics_endpoint import (
    NEXT_PORTS,
    MetricsPortInUse,
    instance_name,
    pid_of_target,
    port_plan,
    publish_target,
    remove_target,
    role_label,
    serve_role_metrics,
    stale_targets,
    target_address,
    target_document,
    target_path,
)
from govbus.core.settings import ROLE_METRICS_PORTS, GovbusSettings, served_metrics_port


@pytest.mark.parametrize(("name", "label"), [
    ("processor", "process"), ("detector", "detect"), ("audit sink", "audit-sink"), ("sink", "sink"),
    ("feed", "feed"), ("ingest", "ingest"), ("sql-producer", "sql-producer"), ("process", "process"),
])
def test_role_display_names_become_the_contracts_role_label(name, label):
    assert role_label(name) == label


@pytest.mark.parametrize(("role", "override", "worker", "served"), [
    ("processor", None, 0, 9401), ("detector", None, 0, 9402), ("sink", None, 0, 9403),
    ("audit sink", None, 0, 9404), ("feed", None, 0, 9405), ("ingest", None, 0, 9406),
    ("sql-producer", None, 0, 9407), ("processor", None, 2, 9403),   # worker 2: shifted
    ("processor", 9500, 1, 9501), ("processor", 0, 3, 0), ("processor", -1, 1, -1),
    ("unknown-role", None, 0, 0),                                      # no default: a free port
])
def test_the_served_port_is_the_override_or_the_roles_default_shifted_by_the_worker(role, override, worker, served):
    settings = GovbusSettings(metrics_port=override, worker_index=worker)
    assert served_metrics_port(settings, role_label(role)) == served


def test_every_contract_role_has_a_distinct_default_port():
    assert set(ROLE_METRICS_PORTS) == {"process", "detect", "sink", "audit-sink", "feed", "ingest", "sql-producer",
                                      "quality"}
    assert len(set(ROLE_METRICS_PORTS.values())) == len(ROLE_METRICS_PORTS)


@pytest.mark.parametrize(("override", "first", "count", "fixed"), [
    (None, 9403, NEXT_PORTS, False),   # the default, then the next ones for more workers
    (9600, 9600, 1, True),             # GOVBUS_METRICS_PORT: that one only
    (0, 0, 1, False),                  # a free one
    (-1, -1, 1, False),                # none
])
def test_port_plan_tries_further_ports_only_for_a_default(override, first, count, fixed):
    plan = port_plan(GovbusSettings(metrics_port=override), "sink")
    assert (plan.ports[0], len(plan.ports), plan.fixed) == (first, count, fixed)
    assert list(plan.ports) == list(range(first, first + count))


@pytest.mark.parametrize(("host", "port", "address"), [
    ("127.0.0.1", 9401, "127.0.0.1:9401"), ("0.0.0.0", 9401, "127.0.0.1:9401"),
    ("", 8090, "127.0.0.1:8090"), ("::", 9402, "[::1]:9402"), ("10.1.2.3", 9403, "10.1.2.3:9403"),
])
def test_the_target_address_is_what_a_local_prometheus_can_reach(host, port, address):
    assert target_address(host, port) == address


@pytest.mark.parametrize(("role", "worker", "qualifier", "name"), [
    ("processor", 0, None, "process-0"), ("sink", 1, "health_350100", "sink-health_350100-1"),
    ("audit sink", 0, None, "audit-sink-0"),
])
def test_instance_names(role, worker, qualifier, name):
    assert instance_name(role, worker, qualifier) == name


def test_the_target_document_is_prometheus_file_sd():
    assert target_document("audit sink", "127.0.0.1:9404", "audit-sink-0") == [
        {"targets": ["127.0.0.1:9404"], "labels": {"role": "audit-sink", "instance_name": "audit-sink-0"}}]


@pytest.mark.parametrize(("name", "pid"), [
    ("process-4242.json", 4242), ("audit-sink-17.json", 17), ("sql-producer-9.json", 9),
    (".process-4242.json.tmp", None), ("process.json", None), ("notes.txt", None),
])
def test_the_pid_is_read_from_the_file_name(name, pid):
    assert pid_of_target(Path(name)) == pid


def test_stale_targets_are_those_whose_process_is_gone():
    files = [Path("process-1.json"), Path("sink-2.json"), Path("feed-3.json"), Path("README")]
    assert stale_targets(files, alive=lambda pid: pid == 2) == [Path("process-1.json"), Path("feed-3.json")]


def test_publish_writes_the_file_where_the_stack_is_and_nothing_elsewhere(tmp_path):
    settings = GovbusSettings(stack_dir=tmp_path, worker_index=1)
    path = publish_target(settings, "sink", "0.0.0.0", 9404, "health_350100")  # noqa: S104
    assert path == target_path(tmp_path, "sink", os.getpid()) == tmp_path / "targets" / f"sink-{os.getpid()}.json"
    assert json.loads(path.read_text()) == [{"targets": ["127.0.0.1:9404"], "labels": {
        "role": "sink", "instance_name": "sink-health_350100-1"}}]
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial file left beside it
    remove_target(path)
    remove_target(path)  # twice: a clean stop after a prune
    assert not path.exists()
    assert publish_target(GovbusSettings(stack_dir=tmp_path / "no-stack"), "sink", "127.0.0.1", 1) is None


def _taken() -> socket.socket:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    return holder


def test_a_taken_default_port_gives_the_next_free_one_and_says_so(tmp_path, capsys):
    with _taken() as holder:
        port = holder.getsockname()[1]
        settings = GovbusSettings(stack_dir=tmp_path, metrics_ports={"sink": port})
        bound = serve_role_metrics(settings, "sink", CollectorRegistry(), None)
    assert bound is not None and bound > port
    err = capsys.readouterr().err
    assert f"sink metrics port {port} is in use" in err and f"took {bound}" in err
    assert f"sink metrics on http://127.0.0.1:{bound}/metrics" in err
    written = json.loads((tmp_path / "targets" / f"sink-{os.getpid()}.json").read_text())
    assert written[0]["targets"] == [f"127.0.0.1:{bound}"]


def test_a_taken_fixed_port_is_one_line_naming_the_setting(tmp_path):
    with _taken() as holder:
        port = holder.getsockname()[1]
        with pytest.raises(MetricsPortInUse, match=f"metrics port 127.0.0.1:{port} \\(GOVBUS_METRICS_PORT"):
            serve_role_metrics(GovbusSettings(stack_dir=tmp_path, metrics_port=port), "processor",
                               CollectorRegistry(), None)
    assert not (tmp_path / "targets").exists()


def test_port_minus_one_serves_nothing_and_lists_nothing(tmp_path):
    assert serve_role_metrics(GovbusSettings(stack_dir=tmp_path, metrics_port=-1), "sink",
                              CollectorRegistry(), None) is None
    assert not (tmp_path / "targets").exists()


def test_a_sigterm_before_the_role_handles_it_still_removes_the_file(tmp_path):
    """A Faust role stopped while starting (Python's default SIGTERM action still in place) ends
    as SIGTERM ends it, without leaving its file."""
    script = ("import sys, time\nfrom pathlib import Path\nfrom govbus.core.settings import GovbusSettings\n"
              "from govbus.core.metrics_endpoint import publish_target\n"
              "print(publish_target(GovbusSettings(stack_dir=Path(sys.argv[1])), 'processor', '127.0.0.1', 9401),"
              " flush=True)\ntime.sleep(60)\n")
    child = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    written = Path(child.stdout.readline().strip())
    assert written.exists() and written.parent == tmp_path / "targets"
    child.send_signal(signal.SIGTERM)
    assert child.wait(30) == -signal.SIGTERM
    assert not written.exists()
