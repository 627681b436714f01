"""The local stack's Kafka nodes: one combined KRaft node (the default), or three for
``govbus stack up --brokers 3``, each a broker and a controller, the three controllers one quorum.

Every node has the same security as the single node (SASL_SSL with SCRAM for clients and
between brokers, the controller listener TLS with the stack's broker certificate, ACLs): they
share one certificate (CN govbus-broker, names 127.0.0.1) and bus-admin's credential, which the
format step writes into each node's bootstrap metadata. Three nodes replicate everything three
times with ``min.insync.replicas=2``, so any one node may stop (docs/cluster.md).

Node 1 keeps the single node's file names (``kafka-data/``, ``server.properties``, pid key
``kafka``), so a stack folder from before clusters reads the same; node N adds ``-N``.
"""
from __future__ import annotations

import functools
import uuid
from base64 import urlsafe_b64encode
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from commands.localstack.probe import broker_ids, wait_until
from commands.localstack.procs import log_tail, render, spawn
from commands.localstack.secure import broker_values, format_storage
from commands.localstack.tls import ensure_tls
from commands.localstack.tools import BROKER_MIN_JAVA, StackError, fetch_kafka, find_java
from govbus.core import identities
from govbus.core.credentials import IdentityFile
from govbus.core.settings import GovbusSettings

if TYPE_CHECKING:
    from commands.localstack.stack import StackState

HOST = "127.0.0.1"
# One node for the demo and the main CI run; three for replication. Two would be a quorum that
# stops with either node, so it is not offered.
BROKER_COUNTS = (1, 3)
# How long the nodes get to answer after they are started (three JVMs share two cores here).
START_TIMEOUT_SECONDS = {1: 90.0, 3: 180.0}


@dataclass(frozen=True)
class KafkaNode:
    node_id: int
    kafka_port: int       # the SASL_SSL listener clients and the other brokers use
    controller_port: int  # the CONTROLLER listener (TLS, client certificate required)
    directory_id: str = ""  # its metadata directory's id in the initial quorum (KIP-853); "" for one node

    @property
    def name(self) -> str:
        """Its key in the state's pids and the stem of its files."""
        return "kafka" if self.node_id == 1 else f"kafka-{self.node_id}"

    @property
    def endpoint(self) -> str:
        return f"{HOST}:{self.kafka_port}"

    def _suffix(self) -> str:
        return self.name.removeprefix("kafka")

    def data_dir(self, root: Path) -> Path:
        return root / f"kafka-data{self._suffix()}"

    def properties(self, root: Path) -> Path:
        return root / f"server{self._suffix()}.properties"

    def log4j(self, root: Path) -> Path:
        return root / f"log4j2{self._suffix()}.properties"

    def log(self, root: Path) -> Path:
        return root / "logs" / f"{self.name}.log"

    def console(self, root: Path) -> Path:
        return root / "logs" / f"{self.name}.out"


@dataclass(frozen=True)
class Replication:
    factor: int       # default.replication.factor and the internal topics' replication factor
    min_insync: int   # min.insync.replicas: acks=all waits for this many copies


def replication_for(brokers: int) -> Replication:
    """One copy on one node; on three, three copies of which two must have a write."""
    check_broker_count(brokers)
    return Replication(1, 1) if brokers == 1 else Replication(3, 2)


def check_broker_count(brokers: int) -> None:
    if brokers not in BROKER_COUNTS:
        raise StackError(f"the local stack runs 1 or 3 brokers, not {brokers}: a quorum of 2 "
                         f"controllers stops when either stops")


def new_kafka_uuid() -> str:
    """A Kafka Uuid in its text form (URL-safe base64 of 16 random bytes, no padding), for a
    cluster id or a metadata directory id. Like Kafka's own ``Uuid.randomUuid`` it never starts
    with "-": ``kafka-storage format -t -abc…`` reads such an id as an option and refuses to
    format (1 id in 64; it failed a CI run)."""
    while True:
        text = urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def new_nodes(brokers: int, kafka_port: int, controller_port: int, pick_port: Callable[[], int]) -> list[KafkaNode]:
    """``brokers`` nodes on loopback: node 1 on the configured ports (0: free ones), the rest on
    free ports."""
    check_broker_count(brokers)
    nodes = [KafkaNode(1, kafka_port or pick_port(), controller_port or pick_port())]
    nodes += [KafkaNode(n, pick_port(), pick_port()) for n in range(2, brokers + 1)]
    if brokers == 1:
        return nodes
    return [KafkaNode(n.node_id, n.kafka_port, n.controller_port, new_kafka_uuid()) for n in nodes]


def bootstrap_of(nodes: list[KafkaNode]) -> str:
    return ",".join(n.endpoint for n in nodes)


def initial_quorum_args(nodes: list[KafkaNode]) -> list[str]:
    """The quorum the format step writes: this node alone, or every node as an initial voter."""
    if len(nodes) == 1:
        return ["--standalone"]
    voters = ",".join(f"{n.node_id}@{HOST}:{n.controller_port}:{n.directory_id}" for n in nodes)
    return ["--initial-controllers", voters]


def node_values(nodes: list[KafkaNode], node: KafkaNode) -> dict[str, object]:
    """The topology placeholders of deploy/local/server.properties.template for ``node``."""
    replication = replication_for(len(nodes))
    return {"node_id": node.node_id, "kafka_port": node.kafka_port, "controller_port": node.controller_port,
            "quorum_bootstrap": ",".join(f"{HOST}:{n.controller_port}" for n in nodes),
            "replication_factor": replication.factor, "min_insync_replicas": replication.min_insync}


def admin_file(state: "StackState", root: Path) -> IdentityFile:
    """bus-admin's identity, refusing a folder formatted before the stack had security (its
    metadata holds no SCRAM credential, so the broker could not log in to itself)."""
    path = state.identity_store.path(identities.ADMIN)
    if (state.kafka_nodes[0].data_dir(root) / "meta.properties").exists() and not path.exists():
        raise StackError(f"{state.stack_dir} was formatted without security (no {path}): "
                         f"run `govbus stack down --purge` and `govbus stack up` to start it afresh")
    return state.identity_store.ensure_admin_file()


def node_answers(node: KafkaNode, security: dict[str, object], timeout: float = 5.0) -> bool:
    """The node answers a metadata request on its own port and is among the brokers it lists
    (a node the controllers have fenced is not)."""
    ids = broker_ids(node.endpoint, security, timeout)
    return ids is not None and node.node_id in ids


def start_nodes(state: "StackState", settings: GovbusSettings, nodes: list[KafkaNode]) -> None:
    """Start ``nodes`` (formatting a node's storage the first time), all before waiting: a
    node's broker waits for a controller quorum, which needs a majority of the nodes."""
    libs = fetch_kafka(settings.cache_dir)
    java = find_java(BROKER_MIN_JAVA)
    root = Path(state.stack_dir)
    (root / "logs").mkdir(parents=True, exist_ok=True)
    admin = admin_file(state, root)
    security = broker_values(ensure_tls(root / "tls"), admin)
    classpath = f"{libs}/*"
    for node in nodes:
        render("server.properties.template", node.properties(root), data_dir=node.data_dir(root),
               **node_values(state.kafka_nodes, node), **security)
        render("log4j2.properties.template", node.log4j(root), log_file=node.log(root))
    fresh = [n for n in nodes if not (n.data_dir(root) / "meta.properties").exists()]
    quorum = initial_quorum_args(state.kafka_nodes)
    with ThreadPoolExecutor(max_workers=len(fresh) or 1) as pool:  # a JVM each: at once, not in turn
        for formatted in [pool.submit(format_storage, java, classpath, n.properties(root), state.cluster_id,
                                      admin, quorum) for n in fresh]:
            formatted.result()
    for node in nodes:
        state.pids[node.name] = spawn(
            [str(java), "-Xms128m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
             f"-Dlog4j2.configurationFile={node.log4j(root)}", "-cp", classpath, "kafka.Kafka",
             str(node.properties(root))], node.console(root), root)
    state.save()
    _wait_for_nodes(state, nodes, START_TIMEOUT_SECONDS[len(state.kafka_nodes)])


def _wait_for_nodes(state: "StackState", nodes: list[KafkaNode], timeout: float) -> None:
    root, security = Path(state.stack_dir), state.admin_security()
    for node in nodes:
        if not wait_until(functools.partial(node_answers, node, security), timeout, state.pids[node.name]):
            raise StackError(f"Kafka node {node.node_id} did not become ready on {node.endpoint}; log tail:\n"
                             f"{log_tail(node.log(root))}\n{log_tail(node.console(root), 10)}")
