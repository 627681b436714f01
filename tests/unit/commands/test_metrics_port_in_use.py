"""A role whose fixed metrics port (GOVBUS_METRICS_PORT) is taken stops at once with one line
and exit code 3 (UNAVAILABLE), no traceback. The port is checked before anything connects, so no
broker is needed: the settings point at closed loopback ports."""
from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from commands.exits import UNAVAILABLE


@pytest.mark.parametrize(("args", "role"), [(["process"], "process"), (["sink", "--all"], "sink"),
                                             (["audit", "sink"], "audit sink")])
def test_a_taken_fixed_metrics_port_is_one_line_and_exit_3(tmp_path, args, role):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("GOVBUS_")} | {
            "GOVBUS_METRICS_PORT": str(port), "GOVBUS_BOOTSTRAP_SERVERS": "127.0.0.1:1",
            "GOVBUS_REGISTRY_URL": "http://127.0.0.1:1", "GOVBUS_STACK_DIR": str(tmp_path / "stack"),
            "GOVBUS_POOL_URL": f"sqlite:///{tmp_path / 'pool.db'}", "GOVBUS_STATE_DIR": str(tmp_path / "state")}
        done = subprocess.run([sys.executable, "-m", "commands.main", *args], env=env, capture_output=True,
                              text=True, timeout=120)
    output = done.stdout + done.stderr
    assert done.returncode == UNAVAILABLE, output
    assert "Traceback" not in output and len(output.strip().splitlines()) == 1, output
    assert f"{role} stopped: metrics port 127.0.0.1:{port} (GOVBUS_METRICS_PORT" in output, output
