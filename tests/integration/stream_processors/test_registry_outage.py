"""A registry outage mid-run: the processor waits it out; it never skips the record it could not
decode, and never commits past it.

The processor reaches the registry through a small loopback TCP relay owned by this test. Once
the processor is running, the relay is closed and a record written with a schema version the
processor has not seen is produced: decoding it needs the registry, so the worker must wait (one
WARNING line), deliver nothing past it and not commit its offset, and stay the same process.
When the relay opens again on the same port, the record is delivered.
"""
from __future__ import annotations

import copy
import os
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlparse

from confluent_kafka import Consumer, Producer, TopicPartition

from commands.demo_counts import distinct_keys, topic_count
from govbus.core.serde import Serde
from govbus.core.settings import kafka_config, topic_names
from govbus.core.topics import value_subject
from tests.support.helpers import hotline_schema, work_order

POLICE = "public_security_350100"


class Relay:
    """Forwards loopback connections to ``target`` until closed (then refuses new ones)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target, self.server = target, socket.create_server(("127.0.0.1", 0))
        self.port, self.open = self.server.getsockname()[1], True
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def reopen(self) -> None:
        """Listen again on the same port (the registry is back)."""
        self.server, self.open = socket.create_server(("127.0.0.1", self.port)), True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.open:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.close()
                except OSError:
                    pass

    def close(self) -> None:
        """Refuse new connections and cut the kept-alive ones (an outage, not a slow drain)."""
        self.open = False
        # shutdown, not just close: a thread blocked in accept() keeps a closed listening
        # socket alive (and new connections would wait in its backlog instead of failing).
        try:
            self.server.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.server.close()
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass


def _start(env: dict[str, str], log) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "commands.main", "process"], env=env,
                            stdout=log, stderr=subprocess.STDOUT)


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


def _processor_env(broker, settings, relayed_url: str, unique: str, tmp_path) -> dict:
    return os.environ | {
        **broker.env(), "GOVBUS_REGISTRY_URL": relayed_url,
        "GOVBUS_TOPIC_PREFIX": settings.topic_prefix, "GOVBUS_PROCESSOR_GROUP": f"p{unique}",
        "GOVBUS_METRICS_PORT": "-1", "GOVBUS_STATE_DIR": str(tmp_path / "state")}


def _committed(settings, group: str, topic: str) -> int:
    """The group's committed offset of the topic's partition 0 (-1001: none yet)."""
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": group}))
    try:
        return consumer.committed([TopicPartition(topic, 0)], timeout=30)[0].offset
    finally:
        consumer.close()


def _evolved_record(first: dict) -> tuple[dict, dict]:
    """A second schema version (one optional field more, so its id is new to the processor)
    and a record written with it."""
    evolved = copy.deepcopy(hotline_schema().schema)
    evolved["fields"].append({"name": "outage_probe", "type": ["null", "string"],
                              "default": None})
    envelope = first["envelope"] | {"event_id": "5f0c7a52-0b0e-4c1a-9d59-0f6f1b2a3c4d"}
    return evolved, first | {"order_no": "GD-OUTAGE-2", "outage_probe": "x",
                             "envelope": envelope}


def test_the_processor_waits_out_a_registry_outage_without_skipping(broker, tmp_path, unique):
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}")
    topics = topic_names(settings)
    raw, shared = topics.raw("hotline.work_order"), topics.shared(POLICE, "hotline.work_order")
    registry = urlparse(broker.registry_url)
    relay = Relay((registry.hostname, registry.port))
    env = _processor_env(broker, settings, broker.registry_url.replace(
        f":{registry.port}", f":{relay.port}"), unique, tmp_path)
    log_path = tmp_path / "process.log"
    log = log_path.open("wb")
    serde = Serde.connect(broker.registry_url, broker.registry_identity())
    producer = Producer(kafka_config(settings, "producer"))
    first = work_order(order_no="GD-OUTAGE-1")
    first["envelope"] = first["envelope"] | {"region_code": "350102001001"}
    serde.prepare(value_subject(raw), hotline_schema().schema)
    producer.produce(raw, serde.encode(value_subject(raw),
                                       first | {"region_code": "350102001001"}), b"1")
    producer.flush(30)
    child = _start(env, log)
    try:
        assert _wait(lambda: topic_count(settings, shared) == 1, 90), \
            log_path.read_text()[-2000:]
        relay.close()
        evolved, second = _evolved_record(first)
        writer = Serde.connect(broker.registry_url, broker.registry_identity())
        writer.prepare(value_subject(raw), evolved)
        producer.produce(raw, writer.encode(value_subject(raw), second), b"2")
        producer.flush(30)
        assert _wait(lambda: b"registry unreachable" in log_path.read_bytes(), 60), log_path.read_text()[-2000:]
        time.sleep(10)  # the worker keeps waiting, and commits nothing past the record
        assert child.poll() is None, log_path.read_text()[-2000:]
        assert topic_count(settings, shared) == 1  # nothing delivered past the outage
        assert _committed(settings, f"p{unique}", raw) <= 1  # the second record's not committed
        relay.reopen()
        # The same process delivers it once the registry answers again (count work orders: the
        # first may be delivered twice, at least once).
        assert _wait(lambda: distinct_keys(settings, shared) == 2, 90), log_path.read_text()[-2000:]
        assert child.poll() is None
        text = log_path.read_text()
        assert text.count("registry unreachable") == 1 and "registry reachable again" in text, text[-2000:]
        assert "Traceback" not in text
    finally:
        child.terminate()
        child.wait(30)
