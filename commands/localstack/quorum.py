"""What ``govbus stack status`` says about a three-node stack: each node, the KRaft controller
quorum and the partitions' replication.

confluent-kafka (2.16) has no DescribeMetadataQuorum, so the quorum comes from Kafka's own
``kafka-metadata-quorum.sh`` (``org.apache.kafka.tools.MetadataQuorumCommand``, the kafka-tools
jar, fetched once beside the broker's classpath) connected as bus-admin. Its output is parsed
here by pure functions (tests/unit/commands/localstack/test_cluster.py).
"""
from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from confluent_kafka.admin import AdminClient

from commands.localstack.cluster import KafkaNode
from commands.localstack.secure import LISTENER, MECHANISM
from commands.localstack.tools import BROKER_MIN_JAVA, KAFKA_VERSION, StackError, fetch_kafka, fetch_once, find_java
from govbus.core.credentials import IdentityFile, write_private

QUORUM_TOOL = "org.apache.kafka.tools.MetadataQuorumCommand"
TOOL_TIMEOUT_SECONDS = 90.0


@dataclass(frozen=True)
class Voter:
    node_id: int
    log_end_offset: int
    lag: int      # records of the metadata log it is behind the leader
    status: str   # Leader, Follower or Observer


@dataclass(frozen=True)
class Quorum:
    leader_id: int
    leader_epoch: int
    high_watermark: int
    voters: tuple[Voter, ...]


def parse_status(text: str) -> dict[str, str]:
    """``describe --status``: one ``Key:  value`` per line."""
    pairs = (line.split(":", 1) for line in text.splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs if key.strip() and " " not in key.strip()}


def parse_replication(text: str) -> tuple[Voter, ...]:
    """``describe --replication``: a tab-separated table with a header row naming its columns."""
    rows = [[cell.strip() for cell in line.split("\t")] for line in text.splitlines() if "\t" in line]
    header = next((row for row in rows if row and row[0] == "NodeId"), None)
    if header is None:
        return ()
    at = {name: header.index(name) for name in ("NodeId", "LogEndOffset", "Lag", "Status")}
    return tuple(Voter(int(row[at["NodeId"]]), int(row[at["LogEndOffset"]]), int(row[at["Lag"]]), row[at["Status"]])
                 for row in rows if row is not header and len(row) > max(at.values()) and row[0].isdigit())


def quorum_of(status_text: str, replication_text: str) -> Quorum | None:
    """The quorum the two outputs describe, or None where either lacks what it should hold."""
    status, voters = parse_status(status_text), parse_replication(replication_text)
    try:
        return Quorum(int(status["LeaderId"]), int(status["LeaderEpoch"]), int(status["HighWatermark"]), voters)
    except (KeyError, ValueError):
        return None


def replication_health(partitions: Iterable[tuple[Sequence[int], Sequence[int], int]]) -> tuple[int, int, int]:
    """(partitions, under-replicated, offline) of (replicas, in-sync replicas, leader) triples:
    under-replicated has fewer in-sync replicas than replicas; offline has no leader (-1)."""
    total = under = offline = 0
    for replicas, isrs, leader in partitions:
        total += 1
        under += len(isrs) < len(replicas)
        offline += leader < 0
    return total, under, offline


def node_line(node: KafkaNode, up: bool, pid: int | None, several: bool) -> str:
    label = f"kafka {node.node_id}" if several else "kafka"
    return f"{label:<9} {'up' if up else 'down'}  {node.endpoint}  pid {pid}"


def quorum_line(quorum: Quorum | None, problem: str = "") -> str:
    if quorum is None:
        return f"quorum    unknown: {problem or 'no answer from kafka-metadata-quorum'}"
    voters = ", ".join(f"{v.node_id} {v.status.lower()} lag {v.lag}" for v in quorum.voters)
    return (f"quorum    leader {quorum.leader_id} (epoch {quorum.leader_epoch}), high watermark "
            f"{quorum.high_watermark}; voters: {voters or 'none listed'}")


def partitions_line(health: tuple[int, int, int] | None) -> str:
    if health is None:
        return "partitions unknown: no broker answered a metadata request"
    total, under, offline = health
    return f"partitions {total}: {under} under-replicated, {offline} offline"


def _client_properties(admin: IdentityFile) -> str:
    jaas = (f'org.apache.kafka.common.security.scram.ScramLoginModule required '
            f'username="{admin.user}" password="{admin.password}";')
    return (f"security.protocol={LISTENER}\nsasl.mechanism={MECHANISM}\nsasl.jaas.config={jaas}\n"
            f"ssl.truststore.type=PEM\nssl.truststore.location={admin.ca_file}\n")


def describe_quorum(bootstrap: str, admin: IdentityFile, cache_dir: Path) -> tuple[Quorum | None, str]:
    """The quorum as bus-admin sees it through ``bootstrap``, or (None, what failed)."""
    try:
        tools = fetch_once(cache_dir, "kafka-tools", KAFKA_VERSION, "kafka-tools-pom.xml") / "libs"
        java = find_java(BROKER_MIN_JAVA)
        classpath = f"{fetch_kafka(cache_dir)}/*{os.pathsep}{tools}/*"
    except StackError as exc:
        return None, str(exc)
    with tempfile.TemporaryDirectory(prefix="govbus-quorum-") as folder:
        config = Path(folder) / "admin.properties"
        write_private(config, _client_properties(admin))  # bus-admin's password: 0600, deleted after
        base = [str(java), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", classpath, QUORUM_TOOL,
                "--bootstrap-server", bootstrap, "--command-config", str(config), "describe"]
        # Both at once: each is a JVM start of a few seconds.
        runs = [subprocess.Popen([*base, flag], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for flag in ("--status", "--replication")]
        try:
            (status, status_err), (replication, _) = (run.communicate(timeout=TOOL_TIMEOUT_SECONDS) for run in runs)
        except subprocess.TimeoutExpired:
            for run in runs:
                run.kill()
            return None, f"kafka-metadata-quorum did not answer in {TOOL_TIMEOUT_SECONDS:.0f}s"
    quorum = quorum_of(status, replication)
    return quorum, "" if quorum else (status_err.strip().splitlines() or ["no output"])[-1]


def partition_health(admin: AdminClient, timeout: float = 10.0) -> tuple[int, int, int] | None:
    """``replication_health`` of every partition in one metadata request, or None unanswered."""
    try:
        metadata = admin.list_topics(timeout=timeout)
    except Exception:  # noqa: BLE001 - any failure to answer is "unknown" on a status line
        return None
    return replication_health((p.replicas, p.isrs, p.leader)
                              for topic in metadata.topics.values() for p in topic.partitions.values())
