"""Running `govbus detect` as a child process against the real broker, publishing records the
way department adapters do, and reading every incident version back."""
from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from govbus.core.deadletter import load_dead_letter_schema
from govbus.core.metrics import new_metrics
from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, connection_env, kafka_config, topic_names
from producers.sdk import Publisher, Source, envelope_for
from stream_processors.detect.feed import read_incidents

PARTITIONS = 3  # more than one, so that repartitioning and command routing are exercised


def publish(settings: GovbusSettings, records: list[tuple[str, dict[str, Any]]]) -> dict[str, str]:
    """Publish (dataset, record) pairs to their raw topics; returns business key → event id."""
    schemas = load_schemas(settings.schemas_dir)
    publisher = Publisher(settings, Serde.from_settings(settings), new_metrics())
    for dataset in {d for d, _ in records}:
        publisher.prepare(schemas[dataset], load_dead_letter_schema(settings.schemas_dir))
    ids = {}
    for dataset, record in records:
        schema = schemas[dataset]
        source = Source(dataset.split(".")[0], "city", "350100", "tests.detect")
        full = dict(record) | {"envelope": envelope_for(schema, record, source)}
        publisher.publish(schema, full, str(record[schema.key_field]))
        ids[str(record[schema.key_field])] = full["envelope"]["event_id"]
    publisher.flush()
    del publisher
    gc.collect()  # the producer and its delivery callback form a cycle: close it while the broker is up
    return ids


class Detector:
    """One `govbus detect` child process; its output goes to a log file for failure messages."""

    def __init__(self, settings: GovbusSettings, workdir: Path, metrics_port: int, tick_seconds: float = 2) -> None:
        self.tick_seconds = tick_seconds
        self.env = os.environ | {
            **connection_env(settings),
            "GOVBUS_TOPIC_PREFIX": settings.topic_prefix, "GOVBUS_METRICS_PORT": str(metrics_port),
            "GOVBUS_STATE_DIR": str(workdir / "state"),
            # Faust's rebalance and recovery lines, for the failure messages (``rebalance_lines``).
            "GOVBUS_LOG_LEVEL": "INFO"}
        self.workdir = workdir
        self.metrics_port = metrics_port
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        self.log = self.workdir / f"detect-{self.starts}.log"
        with self.log.open("wb") as handle:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "commands.main", "detect", "--partitions", str(PARTITIONS),
                 "--idle-clock", "0", "--tick-seconds", str(self.tick_seconds)],
                env=self.env, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def stop(self) -> None:
        """SIGTERM: Faust commits offsets and flushes changelogs and sends on the way out."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def kill(self) -> None:
        """SIGKILL: nothing is flushed or committed; the group notices after the session timeout."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"detector exited {self.process.returncode}:\n{self.log.read_text()[-4000:]}")

    def rebalance_lines(self, last: int = 40, width: int = 240) -> str:
        """The last of this worker's lines (at INFO: partitions taken and revoked, seeks, recovery,
        readiness, registry look-ups, warnings), without the recovery's offset tables, the
        services' start-up lines and the health probe's registry requests, for failure messages."""
        noise = ("Starting...", "Stopping...", "subjects?deleted=")
        lines = [line[:width] for line in self.log.read_text(errors="replace").splitlines()
                 if line.startswith("[") and not any(word in line for word in noise)]
        return f"--- {self.log.name} (pid {self.process and self.process.pid}):\n" + "\n".join(lines[-last:])

    def metric(self, family: str, **labels: str) -> float:
        text = urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5).read().decode()
        return sum(s.value for f in text_string_to_metric_families(text) for s in f.samples
                   if s.name == family and all(s.labels.get(k) == v for k, v in labels.items()))

    def counters(self) -> str:
        """The detector's own counters, for failure messages."""
        text = urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5).read().decode()
        return "\n".join(line for line in text.splitlines()
                         if line.startswith(("govbus_records_total", "govbus_rule_", "govbus_late", "govbus_incident")))

    def operator(self, action: str, incident_id: str) -> str:
        done = subprocess.run([sys.executable, "-m", "commands.main", "incident", action, incident_id,
                               "--wait", "60", "--note", "detect scenario"], env=self.env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout


def wait_metric(detector: Detector, family: str, expected: float, timeout: float = 60.0, **labels: str) -> None:
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        detector.check_alive()
        value = detector.metric(family, **labels)
        if value == expected:
            return
        time.sleep(0.5)
    raise AssertionError(f"{family}{labels} is {value}, not {expected}\n{detector.log.read_text()[-3000:]}")


def wait_for(settings: GovbusSettings, detector: Detector, done: Callable[[dict[str, dict]], bool],
             timeout: float = 120.0) -> dict[str, dict]:
    serde = Serde.from_settings(settings)
    deadline = time.monotonic() + timeout
    latest: dict[str, dict] = {}
    while time.monotonic() < deadline:
        detector.check_alive()
        latest = read_incidents(settings, serde)
        if done(latest):
            return latest
        time.sleep(1.0)
    raise AssertionError(f"timed out; newest versions: {_brief(latest)}\n{detector.counters()}\n"
                         f"{detector.log.read_text()[-3000:]}")


def _brief(latest: dict[str, dict]) -> list[tuple]:
    return sorted((i, r["version"], r["state"], r["grade"]) for i, r in latest.items())


def all_versions(settings: GovbusSettings) -> list[dict[str, Any]]:
    """Every message on the incidents topic, in offset order per partition."""
    serde = Serde.from_settings(settings)
    topic = topic_names(settings).emergency_incidents
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": f"{settings.topic_prefix}-check"}))
    out = []
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions}
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        deadline = time.monotonic() + 30
        while any(ends.values()) and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            out.append(serde.decode(message.value()).value)
            if message.offset() >= ends[message.partition()] - 1:
                ends[message.partition()] = 0
    finally:
        consumer.close()
    return out
