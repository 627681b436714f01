"""One-shot commands against a broker or registry that does not answer, a port in use or a key
file that is missing: one line naming what failed and what to do, and the exit code that says so
(commands/exits.py), never a traceback. The broker is real; what is unreachable is a closed port."""
from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from confluent_kafka import Producer

from commands import exits
from govbus.core.settings import GovbusSettings, topic_names


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _govbus(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GOVBUS_")}
    return subprocess.run([sys.executable, "-m", "commands.main", *args], capture_output=True, text=True,
                          env=clean | {"COLUMNS": "400"} | env, timeout=120)


def _one_line(done: subprocess.CompletedProcess[str], code: int, words: str) -> None:
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    lines = [line for line in done.stderr.splitlines() if line.startswith("govbus:")]
    assert len(lines) == 1 and words in lines[0], done.stderr


@pytest.fixture
def letter_topic_env(broker, unique) -> dict[str, str]:
    """A topic prefix of the test's own whose hotline DLQ holds one framed letter."""
    prefix = f"outage_{unique}"
    topic = topic_names(GovbusSettings(topic_prefix=prefix)).dlq("hotline.work_order")
    producer = Producer(broker.client_config())
    producer.produce(topic, b"\x00\x00\x00\x00\x01letter")  # framed: reading it needs schema 1
    assert producer.flush(30) == 0
    return broker.env() | {"GOVBUS_TOPIC_PREFIX": prefix}


def test_dlq_list_with_the_registry_down(letter_topic_env):
    env = letter_topic_env | {"GOVBUS_REGISTRY_URL": f"http://127.0.0.1:{_closed_port()}/apis/ccompat/v7"}
    _one_line(_govbus(env, "dlq", "list", "hotline.work_order"), exits.UNAVAILABLE,
              "the schema registry did not answer")


@pytest.mark.parametrize("args", [("dlq", "list", "hotline.work_order"), ("incident", "list")], ids=" ".join)
def test_one_shot_commands_with_the_broker_down(broker, args):
    env = broker.env() | {"GOVBUS_BOOTSTRAP_SERVERS": f"127.0.0.1:{_closed_port()}"}
    _one_line(_govbus(env, *args), exits.UNAVAILABLE, "no broker answers")


def test_serve_feed_on_a_port_in_use(broker):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _govbus(broker.env(), "serve-feed", "--port", str(port))
    _one_line(done, exits.UNAVAILABLE, "port is already in use")


def test_a_missing_pseudonym_key_file(broker, tmp_path):
    env = broker.env() | {"GOVBUS_PSEUDONYM_KEY_FILE": str(tmp_path / "missing.key")}
    _one_line(_govbus(env, "process"), exits.REFUSED, "GOVBUS_PSEUDONYM_KEY_FILE")
