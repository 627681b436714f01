"""Three brokers, one lost: the processor and a PostgreSQL pool sink run as child processes
under a steady load of acks=all producers while one Kafka node (the leader of the raw topic's
partition) is killed with SIGKILL. With two of three nodes up (min.insync.replicas=2) the
records go on flowing into the pool; when the node returns the cluster is whole again (every
node answers, no partition under-replicated, `govbus stack status` says so), and every record
acknowledged is in the pool exactly once.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from bench.databases import fresh_database
from commands.localstack import StackState, stack_status
from commands.localstack.probe import wait_until
from commands.localstack.procs import free_port, pid_alive
from commands.localstack.quorum import partition_health
from commands.localstack.services import start_service
from govbus.core.serde import Serde
from govbus.core.settings import topic_names
from govbus.core.topics import value_subject
from tests.e2e.cluster.flow import DATASET, Load, pool_keys, tail, wait_ready
from tests.support.helpers import hotline_schema

ROLES = {"process": ["process"], "sink": ["sink", "--all"]}


def _start(role: str, env: dict[str, str], logs: Path) -> subprocess.Popen:
    handle = (logs / f"{role}.log").open("wb")
    return subprocess.Popen([sys.executable, "-m", "commands.main", *ROLES[role]], env=env,
                            stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def _stop(children: dict[str, subprocess.Popen]) -> None:
    for child in children.values():
        child.terminate()
    for child in children.values():
        try:
            child.wait(30)
        except subprocess.TimeoutExpired:
            child.kill()


def _leader_of(admin: AdminClient, topic: str) -> int:
    return admin.list_topics(topic, timeout=10).topics[topic].partitions[0].leader


def _replicas(admin: AdminClient, prefix: str) -> dict[str, int]:
    """Replicas of partition 0 of every topic of this test."""
    topics = admin.list_topics(timeout=10).topics
    return {name: len(t.partitions[0].replicas) for name, t in topics.items() if name.startswith(prefix)}


def _kill_node(state: StackState, node_id: int) -> None:
    node = next(n for n in state.kafka_nodes if n.node_id == node_id)
    pid = state.pids[node.name]
    os.kill(pid, signal.SIGKILL)
    assert wait_until(lambda: not pid_alive(pid), 10), f"node {node_id} (pid {pid}) outlived SIGKILL"


def _flows_while_down(load: Load, settings, acked_at_kill: int, node_down: int) -> None:  # noqa: ANN001
    """Records acknowledged after the kill reach the pool while the node is still down."""
    target = acked_at_kill + 100  # five seconds of load past the kill
    ok = wait_until(lambda: pool_keys(settings)[1] >= target, 90)
    assert ok, (f"stuck with node {node_down} down: {len(load.acked)} acknowledged, {acked_at_kill} at the kill, "
                f"the pool has {pool_keys(settings)} (rows, keys); failures {load.failed[:3]}")


def _whole_again(cluster, admin: AdminClient) -> None:  # noqa: ANN001
    _, running = stack_status(cluster)
    assert all(running.values()), running
    healthy = wait_until(lambda: (partition_health(admin) or (0, -1, -1))[1:] == (0, 0), 120)
    assert healthy, f"partitions (total, under-replicated, offline): {partition_health(admin)}"
    env = os.environ | {"GOVBUS_STACK_DIR": str(cluster.stack_dir), "COLUMNS": "200"}
    status = subprocess.run([sys.executable, "-m", "commands.main", "stack", "status"], env=env,
                            capture_output=True, text=True, timeout=180, check=False)
    assert status.returncode == 0, status.stdout + status.stderr
    assert [line.split()[2] for line in status.stdout.splitlines() if line.startswith("kafka ")] == ["up"] * 3
    assert ": 0 under-replicated, 0 offline" in status.stdout
    quorum = next(line for line in status.stdout.splitlines() if line.startswith("quorum"))
    assert "leader" in quorum and all(f"{n} " in quorum.split("voters:")[1] for n in (1, 2, 3)), quorum


def test_a_killed_broker_loses_nothing_stalls_nothing_and_rejoins(cluster, cluster_broker, postgres_url,
                                                                  tmp_path, unique):
    state = StackState.load(cluster.stack_dir)
    assert state is not None
    admin = state.identity_store.admin_client()
    with fresh_database(postgres_url, "cluster") as pool_url:
        settings = cluster_broker.settings(tmp_path, topic_prefix=f"cl{unique}", pool_url=pool_url)
        ports = {role: free_port() for role in ROLES}
        env = os.environ | cluster_broker.env() | {
            "GOVBUS_STACK_DIR": str(cluster.stack_dir),  # not the one-node stack .ci/run exported
            "GOVBUS_TOPIC_PREFIX": settings.topic_prefix, "GOVBUS_POOL_URL": pool_url,
            "GOVBUS_PROCESSOR_GROUP": f"cl{unique}-p", "GOVBUS_SINK_GROUP": f"cl{unique}-s",
            "GOVBUS_HEALTH_PROBE_SECONDS": "2"}
        children = {role: _start(role, env | {"GOVBUS_METRICS_PORT": str(ports[role]),
                                              "GOVBUS_STATE_DIR": str(tmp_path / f"state-{role}")}, tmp_path)
                    for role in ROLES}
        pids = {role: child.pid for role, child in children.items()}
        raw = topic_names(settings).raw(DATASET)
        serde = Serde.connect(cluster_broker.registry_url, cluster_broker.registry_identity())
        serde.prepare(value_subject(raw), hotline_schema().schema)
        load = Load(settings, serde)
        try:
            wait_ready(ports, children, tmp_path, 180)
            load.start()
            assert wait_until(lambda: pool_keys(settings)[1] >= 50, 90), "nothing reached the pool"
            replicas = _replicas(admin, settings.topic_prefix)
            assert replicas and set(replicas.values()) == {3}, replicas  # the brokers' default: three copies
            victim = _leader_of(admin, raw)
            acked_at_kill = len(load.acked)
            _kill_node(state, victim)
            _flows_while_down(load, settings, acked_at_kill, victim)
            assert all(child.poll() is None for child in children.values()), "a role exited with a node down"
            start_service(cluster, "kafka")  # the killed node, on its ports and data folder
            _whole_again(cluster, admin)
            time.sleep(5)  # load on the whole cluster again
            load.finish()
            assert not load.failed, load.failed[:5]
            sent = len(load.acked)
            assert wait_until(lambda: pool_keys(settings)[1] >= sent, 120), (sent, pool_keys(settings))
            assert pool_keys(settings) == (sent, sent), f"sent {sent}, the pool has {pool_keys(settings)} (rows, keys)"
            for role, child in children.items():
                log = tmp_path / f"{role}.log"
                assert child.poll() is None and child.pid == pids[role], f"{role} restarted:\n{tail(log)}"
                assert "Traceback" not in log.read_text(errors="replace"), tail(log, 80)
        finally:
            load.stop.set()
            _stop(children)
            _restore(cluster)


def _restore(cluster) -> None:  # noqa: ANN001
    """Every node up again whatever happened, so that a later test finds three."""
    try:
        start_service(cluster, "kafka")
    except Exception as exc:  # noqa: BLE001 - reported, the test's own failure comes first
        pytest.fail(f"the three-node stack could not be restored: {exc}", pytrace=False)
