"""Prometheus of `govbus stack up --monitoring` (commands/localstack/monitoring.py): its
generated configuration, its command line, the pruning of dead roles' targets files, and the
one line when the binary is missing."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from commands.localstack.monitoring import (
    INSTALL_HINT,
    RULES_FILE,
    find_prometheus,
    prometheus_command,
    prometheus_config,
    prune_targets,
)
from commands.localstack.tools import StackError


def test_the_config_discovers_the_stacks_targets_files_every_5_seconds_with_the_alert_rules():
    config = prometheus_config(Path("/s/stack"))
    assert config["global"]["scrape_interval"] == "5s"
    assert config["rule_files"] == [str(RULES_FILE)] and RULES_FILE.is_file()
    [job] = config["scrape_configs"]
    assert job["file_sd_configs"] == [{"files": ["/s/stack/targets/*.json"], "refresh_interval": "5s"}]
    assert job["honor_labels"] is True  # a role's own `role` label is not doubled into exported_role
    assert yaml.safe_load(yaml.safe_dump(config)) == config  # plain YAML, as written


def test_the_command_keeps_data_in_the_stack_and_listens_on_loopback():
    command = prometheus_command("/usr/bin/prometheus", Path("/s/stack/prometheus"), 41234)
    assert "--storage.tsdb.path=/s/stack/prometheus/data" in command
    assert "--config.file=/s/stack/prometheus/prometheus.yml" in command
    assert "--web.listen-address=127.0.0.1:41234" in command


def test_prune_removes_the_files_of_dead_processes_only(tmp_path):
    folder = tmp_path / "targets"
    folder.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    mine, gone, other = folder / f"sink-{os.getpid()}.json", folder / f"process-{dead.pid}.json", folder / "README"
    for path in (mine, gone, other):
        path.write_text("[]")
    assert prune_targets(tmp_path) == [gone]
    assert sorted(p.name for p in folder.iterdir()) == sorted([mine.name, other.name])
    assert prune_targets(tmp_path / "no-stack") == []


def test_a_missing_binary_is_one_line_saying_how_to_install_it(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(StackError) as raised:
        find_prometheus()
    assert str(raised.value) == INSTALL_HINT and "apt-get install prometheus" in INSTALL_HINT


def test_stack_up_monitoring_without_the_binary_says_so_and_starts_nothing(tmp_path, monkeypatch):
    env = os.environ | {"PATH": "/nonexistent", "GOVBUS_STACK_DIR": str(tmp_path / "stack")}
    done = subprocess.run([sys.executable, "-m", "commands.main", "stack", "up", "--monitoring"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "apt-get install prometheus" in done.stdout and "Traceback" not in done.stdout + done.stderr
    assert not (tmp_path / "stack").exists()
