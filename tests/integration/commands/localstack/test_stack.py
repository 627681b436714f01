"""The local stack itself: idempotent `up`, schemas surviving a registry restart, clean `down`.

Starts its own stack in a temporary folder (not the session's broker), because it stops it.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from commands.localstack import StackState, stack_down, stack_status, stack_up
from commands.localstack.keycloak import identity_path
from commands.localstack.stack import pid_alive
from govbus.core.registry_auth import load_identity
from govbus.core.serde import registry_client
from govbus.core.settings import GovbusSettings


def _java_pids_under(stack_dir: Path) -> list[int]:
    """Live (non-zombie) Java processes working in this stack's folder (the stack starts the
    broker, the registry and its identity provider there)."""
    pids = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
            cwd = (proc / "cwd").resolve()
        except OSError:
            continue
        if "java" in cmdline and cwd == stack_dir.resolve() and pid_alive(int(proc.name)):
            pids.append(int(proc.name))
    return pids


def _prometheus_answers(state: StackState) -> bool:
    """Prometheus is ready and has loaded the alert rules."""
    with urllib.request.urlopen(f"http://127.0.0.1:{state.prometheus_port}/api/v1/rules", timeout=10) as answer:  # noqa: S310
        groups = json.load(answer)["data"]["groups"]
    return any(rule["name"] == "GovbusRoleDown" for group in groups for rule in group["rules"])


def test_up_is_idempotent_schemas_persist_and_down_leaves_nothing(tmp_path):
    """With ``--monitoring``: Prometheus too, kept by a second `up`, named by `status`, stopped by `down`."""
    settings = GovbusSettings(stack_dir=tmp_path / "stack")
    try:
        first = stack_up(settings, monitoring=True)
        assert stack_up(settings).pids == first.pids  # a second up starts nothing
        assert len(_java_pids_under(settings.stack_dir)) == 3
        assert _prometheus_answers(first) and stack_status(settings)[1]["prometheus"]
        status = subprocess.run([sys.executable, "-m", "commands.main", "stack", "status"], capture_output=True,
                                text=True, timeout=120, env=os.environ | {"GOVBUS_STACK_DIR": str(settings.stack_dir)})
        assert f"prometheus up  http://127.0.0.1:{first.prometheus_port}" in status.stdout, status.stdout
        client = registry_client(first.registry_url, load_identity(identity_path(settings.stack_dir)))
        schema = Schema('{"type":"record","name":"P","fields":[{"name":"a","type":"string"}]}', "AVRO")
        schema_id = client.register_schema("persist-value", schema)
        os.killpg(first.pids["registry"], signal.SIGTERM)  # restart only the registry
        restarted = stack_up(settings)
        assert restarted.pids["kafka"] == first.pids["kafka"]
        assert restarted.pids["keycloak"] == first.pids["keycloak"]
        assert restarted.pids["registry"] != first.pids["registry"]
        fresh = SchemaRegistryClient({"url": restarted.registry_url})
        assert fresh.get_latest_version("persist-value").schema_id == schema_id
    finally:
        stack_down(settings)
    assert _java_pids_under(settings.stack_dir) == []
    assert not pid_alive(first.pids["prometheus"])
    state, running = stack_status(settings)
    assert state is not None and not any(running.values())
    assert StackState.load(settings.stack_dir).pids == {}
