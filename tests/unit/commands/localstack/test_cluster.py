"""The three-node stack's plan (ports, quorum, replication, file names), the state file it
keeps, and the parsing of kafka-metadata-quorum's answers: no broker."""
from __future__ import annotations

import itertools
import json
import uuid

import pytest

from commands.localstack.cluster import (
    KafkaNode,
    Replication,
    bootstrap_of,
    initial_quorum_args,
    new_kafka_uuid,
    new_nodes,
    node_values,
    replication_for,
)
from commands.localstack.quorum import (
    Quorum,
    Voter,
    node_line,
    parse_replication,
    parse_status,
    partitions_line,
    quorum_line,
    quorum_of,
    replication_health,
)
from commands.localstack.stack import StackState
from commands.localstack.tools import StackError

# What kafka-metadata-quorum.sh (Kafka 4.1.1) printed for a three-node stack of this project.
STATUS = """ClusterId:              o7JCMyvgQWCAG_MONH57sQ
LeaderId:               1
LeaderEpoch:            1
HighWatermark:          600
MaxFollowerLag:         0
MaxFollowerLagTimeMs:   0
CurrentVoters:          [{"id": 1, "directoryId": "VD5NOLMaQgmmlbCaPj88aA", "endpoints": ["CONTROLLER://127.0.0.1:38843"]}]
CurrentObservers:       []
"""
REPLICATION = (
    "NodeId\tDirectoryId           \tLogEndOffset\tLag\tLastFetchTimestamp\tLastCaughtUpTimestamp\tStatus  \t\n"
    "1     \tVD5NOLMaQgmmlbCaPj88aA\t610         \t0  \t1796259067516     \t1796259067516        \tLeader  \t\n"
    "2     \t7XN3O9n8QkKDfIJTnx4ZIg\t556         \t54 \t1796259067295     \t1796259067295        \tFollower\t\n"
    "3     \tjAfYysgEQD-EyVFfVYeWdw\t610         \t0  \t1796259067293     \t1796259067293        \tFollower\t\n")


def _ports():
    counter = itertools.count(40001)
    return lambda: next(counter)


@pytest.mark.parametrize(("brokers", "expected"), [(1, Replication(1, 1)), (3, Replication(3, 2))])
def test_replication_one_copy_on_one_node_three_with_two_in_sync_on_three(brokers, expected):
    assert replication_for(brokers) == expected


@pytest.mark.parametrize("brokers", [0, 2, 4, 5])
def test_other_node_counts_are_refused_with_the_reason(brokers):
    with pytest.raises(StackError, match="1 or 3 brokers"):
        new_nodes(brokers, 0, 0, _ports())


@pytest.mark.parametrize(("brokers", "kafka_port", "controller_port", "first"), [
    (1, 0, 0, KafkaNode(1, 40001, 40002)),
    (1, 9092, 9093, KafkaNode(1, 9092, 9093)),
    (3, 9092, 0, (1, 9092, 40001)),
])
def test_node_one_takes_the_configured_ports_the_rest_free_ones(brokers, kafka_port, controller_port, first):
    nodes = new_nodes(brokers, kafka_port, controller_port, _ports())
    assert len(nodes) == brokers
    head = nodes[0] if brokers == 1 else (nodes[0].node_id, nodes[0].kafka_port, nodes[0].controller_port)
    assert head == first
    ports = [p for n in nodes for p in (n.kafka_port, n.controller_port)]
    assert len(set(ports)) == len(ports)


def test_three_nodes_each_have_a_directory_id_and_are_every_initial_voter():
    nodes = new_nodes(3, 0, 0, _ports())
    assert [n.node_id for n in nodes] == [1, 2, 3]
    assert all(len(n.directory_id) == 22 for n in nodes) and len({n.directory_id for n in nodes}) == 3
    flag, voters = initial_quorum_args(nodes)
    assert flag == "--initial-controllers"
    assert voters.split(",") == [f"{n.node_id}@127.0.0.1:{n.controller_port}:{n.directory_id}" for n in nodes]
    assert initial_quorum_args(nodes[:1]) == ["--standalone"]


def test_node_values_name_the_node_every_controller_and_the_replication():
    nodes = [KafkaNode(1, 9001, 9101, "a"), KafkaNode(2, 9002, 9102, "b"), KafkaNode(3, 9003, 9103, "c")]
    values = node_values(nodes, nodes[1])
    assert values == {"node_id": 2, "kafka_port": 9002, "controller_port": 9102,
                      "quorum_bootstrap": "127.0.0.1:9101,127.0.0.1:9102,127.0.0.1:9103",
                      "replication_factor": 3, "min_insync_replicas": 2}
    assert bootstrap_of(nodes) == "127.0.0.1:9001,127.0.0.1:9002,127.0.0.1:9003"


@pytest.mark.parametrize(("node_id", "name", "data", "props", "log"), [
    (1, "kafka", "kafka-data", "server.properties", "logs/kafka.log"),  # the single node's names
    (3, "kafka-3", "kafka-data-3", "server-3.properties", "logs/kafka-3.log"),
])
def test_node_one_keeps_the_single_nodes_file_names(tmp_path, node_id, name, data, props, log):
    node = KafkaNode(node_id, 1, 2)
    assert (node.name, node.data_dir(tmp_path), node.properties(tmp_path), node.log(tmp_path)) == \
        (name, tmp_path / data, tmp_path / props, tmp_path / log)


def test_server_template_takes_every_value_the_stack_gives(tmp_path):
    from commands.localstack.procs import render
    from commands.localstack.secure import broker_values
    from commands.localstack.tls import TlsFiles
    from govbus.core.credentials import IdentityFile

    nodes = new_nodes(3, 0, 0, _ports())
    admin = IdentityFile("bus-admin", "pw", "SCRAM-SHA-512", "ca.pem", "")
    render("server.properties.template", tmp_path / "s.properties", data_dir=tmp_path,
           **node_values(nodes, nodes[2]), **broker_values(TlsFiles.under(tmp_path), admin))
    lines = dict(line.split("=", 1) for line in (tmp_path / "s.properties").read_text().splitlines()
                 if line and not line.startswith("#"))
    assert (lines["node.id"], lines["default.replication.factor"], lines["min.insync.replicas"]) == ("3", "3", "2")
    assert lines["unclean.leader.election.enable"] == "false"
    assert lines["offsets.topic.replication.factor"] == lines["transaction.state.log.replication.factor"] == "3"
    assert lines["controller.quorum.bootstrap.servers"].count(",") == 2


def test_state_file_keeps_node_one_in_kafka_port_and_lists_every_node(tmp_path):
    nodes = new_nodes(3, 0, 0, _ports())
    state = StackState(str(tmp_path), nodes[0].kafka_port, nodes[0].controller_port, 1, "cid", nodes=nodes)
    state.save()
    raw = json.loads((tmp_path / "state.json").read_text())
    assert raw["kafka_port"] == nodes[0].kafka_port and len(raw["nodes"]) == 3
    assert raw["bootstrap"] == state.bootstrap and state.bootstrap.count(",") == 2
    assert StackState.load(tmp_path) == state


def test_a_state_file_from_before_clusters_reads_as_one_node(tmp_path):
    (tmp_path / "state.json").write_text(json.dumps({
        "stack_dir": str(tmp_path), "kafka_port": 9092, "controller_port": 9093, "registry_port": 8080,
        "cluster_id": "cid", "pids": {"kafka": 12}, "keycloak_port": 0, "acls": ""}))
    state = StackState.load(tmp_path)
    assert state is not None and state.kafka_nodes == [KafkaNode(1, 9092, 9093)]
    assert state.bootstrap == "127.0.0.1:9092"


def test_quorum_from_the_tools_two_answers():
    quorum = quorum_of(STATUS, REPLICATION)
    assert quorum == Quorum(1, 1, 600, (Voter(1, 610, 0, "Leader"), Voter(2, 556, 54, "Follower"),
                                        Voter(3, 610, 0, "Follower")))
    assert quorum_line(quorum) == ("quorum    leader 1 (epoch 1), high watermark 600; voters: "
                                   "1 leader lag 0, 2 follower lag 54, 3 follower lag 0")


@pytest.mark.parametrize(("status", "replication"), [
    ("", REPLICATION),                                    # no answer at all
    ("LeaderId: -1\nLeaderEpoch: x\n", REPLICATION),      # not numbers
    ("Error while describing: TimeoutException", ""),  # what the tool prints when no node answers
])
def test_an_answer_without_a_leader_is_no_quorum(status, replication):
    assert quorum_of(status, replication) is None
    assert quorum_line(None, "timed out").endswith("unknown: timed out")


def test_status_keys_and_an_empty_table():
    assert parse_status(STATUS)["HighWatermark"] == "600"
    assert parse_replication("nothing here") == ()


@pytest.mark.parametrize(("partitions", "expected"), [
    ([], (0, 0, 0)),
    ([([1, 2, 3], [1, 2, 3], 1)], (1, 0, 0)),
    ([([1, 2, 3], [1, 3], 1), ([2, 3, 1], [2, 3, 1], 2)], (2, 1, 0)),
    ([([1], [], -1), ([1, 2, 3], [3], 3)], (2, 2, 1)),
])
def test_replication_health_counts_under_replicated_and_offline(partitions, expected):
    assert replication_health(partitions) == expected


def test_status_lines():
    node = KafkaNode(2, 9002, 9102)
    assert node_line(node, True, 42, several=True) == "kafka 2   up  127.0.0.1:9002  pid 42"
    assert node_line(KafkaNode(1, 9001, 0), False, None, several=False) == "kafka     down  127.0.0.1:9001  pid None"
    assert partitions_line((6, 2, 0)) == "partitions 6: 2 under-replicated, 0 offline"
    assert partitions_line(None).startswith("partitions unknown")


def test_a_new_stack_takes_brokers_else_the_setting_an_existing_one_keeps_its_number(tmp_path):
    from commands.localstack.stack import _wanted_state
    from govbus.core.settings import GovbusSettings

    settings = GovbusSettings(stack_dir=tmp_path, stack_brokers=3)
    assert len(_wanted_state(settings, None, None).kafka_nodes) == 3
    assert len(_wanted_state(settings, None, 1).kafka_nodes) == 1
    three = _wanted_state(settings, None, None)
    assert _wanted_state(settings, three, None) is three and _wanted_state(settings, three, 3) is three
    with pytest.raises(StackError, match=r"has 3 Kafka node\(s\), not 1: `govbus stack down --purge`"):
        _wanted_state(settings, three, 1)
    with pytest.raises(StackError, match="1 or 3 brokers"):
        _wanted_state(settings, three, 2)


def test_a_kafka_uuid_never_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    """0xF8 as the first byte encodes as "-" (62): kafka-storage would read "-t -…" as an option."""
    draws = iter([uuid.UUID(bytes=b"\xf8" + bytes(15)), uuid.UUID(bytes=b"\x01" * 16)])
    monkeypatch.setattr(uuid, "uuid4", lambda: next(draws))
    made = new_kafka_uuid()
    assert made == "AQEBAQEBAQEBAQEBAQEBAQ"
    assert len(made) == 22 and not made.startswith("-")
