"""Issue 14: every long-running role scales by consumer group, and a killed member loses nothing.

Two `govbus process` workers share six raw partitions, two `govbus sink --all` workers the
shared topics' partitions, and two `govbus audit sink` members the audit topic's single
partition (one active, one standby). 20,000 work orders arrive while they run, each matching
three agreements. Mid-stream one processor, one sink and the active audit member are killed
with SIGKILL (no commit, no leaving the group). Their partitions move to the survivors after the
session timeout, and at the end every record is in each of the three pools exactly once, every
delivery in the audit chain exactly once, and the chain verifies.

A second test adds a processor to a running one mid-stream (a rebalance, not a death) and finds
every record delivered, and at most the batches in hand of the moved partitions delivered twice
(faust-streaming issue #502: a clean rebalance does not always commit what was processed before
the new owner reads the offsets; downstream takes each record once by key and audit id).

Bounded: both together took 2 minutes on the 2-core machine at load average ~3, and up to 5
at load average ~14 (session timeout 6 s).
"""
from __future__ import annotations

import os
import re
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from sqlalchemy import column, create_engine, func, select

from bench.databases import fresh_database
from bench.groups import group_assignment
from bench.processor_bench import DATASET, bench_records
from consumers.audit.actions_store import ActionsStore
from consumers.audit.sink import ensure_audit_topic
from consumers.audit.store import AuditStore, audit_group
from consumers.pool.pools import pool_table_ref
from govbus.core.settings import GovbusSettings, kafka_config, topic_names
from govbus.core.topics import value_subject
from stream_processors.app import BATCH_SIZE
from stream_processors.main import build_pipeline, ensure_topics
from tests.support.workers import Worker, Workers, free_port_run, wait_for_group

RECORDS = 20_000
PARTITIONS = 6
# The three agreements every bench record matches (bench/processor_bench.py: Gulou complaints).
RECIPIENTS = ("public_security_350100", "urban_management_350102", "emergency_management_350000")
WATCHED = "emergency_management_350000"
RATE = 1000                 # records a second: the stream lasts ~20 s, long enough to kill into
KILL_PROCESSOR_AT = 0.2     # of the watched recipient's deliveries on its shared topic
KILL_SINK_AT = 0.3          # of the watched recipient's pool rows
KILL_AUDIT_AT = 0.35        # of the audit chain's rows
SESSION_SECONDS = 6         # the broker's group.min.session.timeout.ms
TAKEOVER = re.compile(r"audit sink: writing the chain from offset (?P<offset>\d+)")


class Load(threading.Thread):
    """Produces the encoded records at RATE; ``error`` holds the first refusal."""

    def __init__(self, settings: GovbusSettings, records: list[tuple[bytes, bytes]], rate: int = RATE) -> None:
        super().__init__(daemon=True)
        self.settings, self.records, self.error, self.rate = settings, records, None, rate
        self.topic = topic_names(settings).raw(DATASET)

    def run(self) -> None:
        producer = Producer(kafka_config(self.settings, "producer"))
        chunk = self.rate // 10
        for start in range(0, len(self.records), chunk):
            for key, value in self.records[start:start + chunk]:
                producer.produce(self.topic, value, key, on_delivery=self._delivered)
            producer.poll(0)
            time.sleep(0.1)
        if producer.flush(120) != 0:
            self.error = self.error or "records not acknowledged within 120 s"

    def _delivered(self, error, _message) -> None:  # noqa: ANN001 - librdkafka's callback
        if error is not None and self.error is None:
            self.error = str(error)


def _encoded_records(settings: GovbusSettings, pipeline) -> list[tuple[bytes, bytes]]:  # noqa: ANN001
    subject = value_subject(topic_names(settings).raw(DATASET))
    schema = pipeline.schemas[DATASET]
    return [(r["order_no"].encode(), pipeline.serde.encode(subject, r)) for r in bench_records(schema, RECORDS)]


def _topic_messages(consumer: Consumer, topic: str) -> int:
    """Messages in ``topic`` (sum over its partitions of high − low)."""
    try:
        return sum(high - low for low, high in (consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                                                for p in range(PARTITIONS)))
    except KafkaException:
        return 0


def _keys_on(settings: GovbusSettings, topic: str) -> tuple[int, set[bytes]]:
    """(messages read, their distinct keys) from every partition of ``topic``, start to end."""
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": f"keys-{topic}"}))
    try:
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10) for p in range(PARTITIONS)}
        consumer.assign([TopicPartition(topic, p, low) for p, (low, _high) in ends.items()])
        wanted, read, keys = sum(high - low for low, high in ends.values()), 0, set()
        deadline = time.monotonic() + 60
        while read < wanted and time.monotonic() < deadline:
            for message in consumer.consume(1000, 1):
                if message.error() is None:
                    read += 1
                    keys.add(message.key())
        return read, keys
    finally:
        consumer.close()


def _pool_counts(settings: GovbusSettings, recipient: str) -> tuple[int, int, int]:
    """(rows, distinct order numbers, distinct event ids) in the recipient's work-order pool."""
    engine = create_engine(settings.pool_url)
    table = pool_table_ref(settings, recipient, DATASET).clause()
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count(), func.count(func.distinct(column("order_no"))),
                                       func.count(func.distinct(column("env_event_id")))).select_from(table)).one()
    except Exception:  # noqa: BLE001 - the table appears with the first stored record
        return 0, 0, 0
    finally:
        engine.dispose()


def _audit_counts(store: AuditStore) -> tuple[int, int, int]:
    """(rows, distinct audit ids, distinct event ids) in the audit chain."""
    table = store.deliveries
    with store.engine.connect() as conn:
        return conn.execute(select(func.count(), func.count(func.distinct(table.c.audit_id)),
                                   func.count(func.distinct(table.c.event_id)))).one()


def _processed(worker: Worker) -> float:
    """Records this processor has handled, from its /metrics (govbus_records_total, stages clean and route)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{worker.metrics_port}/metrics", timeout=5) as answer:  # noqa: S310
        lines = answer.read().decode().splitlines()
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines
               if line.startswith("govbus_records_total{") and ('stage="clean"' in line or 'stage="route"' in line))


def _wait_until(what: str, condition, workers: Workers, timeout: float) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            print(f"{time.strftime('%H:%M:%S')} {what}", flush=True)  # shown with -s or on failure
            return
        workers.assert_running(*[w for w in workers.started if w.process.returncode is None])
        time.sleep(0.3)
    pytest.fail(f"{what}: not within {timeout:.0f}s")


def _setup(settings: GovbusSettings):  # noqa: ANN202 - a Pipeline
    """Topics with six partitions (the audit topic with its one) and the subjects registered."""
    pipeline = build_pipeline(settings)
    audit_topic = topic_names(settings).audit_deliveries
    ensure_audit_topic(settings, audit_topic)
    ensure_topics(settings, pipeline, [topic_names(settings).raw(DATASET)]  # six each, by the plan
                  + [t for t in pipeline.output_topics() if t != audit_topic])
    return pipeline


def _kill_one_processor(settings: GovbusSettings, workers: Workers, processors: list[Worker]) -> None:
    shared = topic_names(settings).shared(WATCHED, DATASET)
    watermarks = Consumer(kafka_config(settings, "consumer", **{"group.id": "scale-test-watermarks"}))
    try:
        _wait_until("processors mid-stream",
                    lambda: _topic_messages(watermarks, shared) >= KILL_PROCESSOR_AT * RECORDS, workers, 120)
    finally:
        watermarks.close()
    assert all(_processed(w) > 0 for w in processors), "both processors should have handled records"
    workers.kill(processors[0])
    owners = wait_for_group(settings, settings.processor_group, {processors[1].pid}, workers, 60)
    raw = topic_names(settings).raw(DATASET)
    moved = {tp for tp in owners[processors[1].pid] if tp[0] == raw}
    assert len(moved) == PARTITIONS, owners  # the dead worker's partitions moved to the survivor


def _kill_one_sink(settings: GovbusSettings, workers: Workers, sinks: list[Worker]) -> None:
    _wait_until("sinks mid-stream", lambda: _pool_counts(settings, WATCHED)[0] >= KILL_SINK_AT * RECORDS,
                workers, 120)
    workers.kill(sinks[0])
    owners = wait_for_group(settings, settings.sink_group, {sinks[1].pid}, workers, 60)
    shared = {topic_names(settings).shared(r, DATASET) for r in RECIPIENTS}
    moved = {tp for tp in owners[sinks[1].pid] if tp[0] in shared}
    assert len(moved) == PARTITIONS * len(RECIPIENTS), owners


def _kill_active_audit_member(settings: GovbusSettings, workers: Workers, audits: list[Worker],
                              store: AuditStore) -> None:
    _wait_until("audit sink mid-stream",
                lambda: _audit_counts(store)[0] >= KILL_AUDIT_AT * RECORDS * len(RECIPIENTS), workers, 120)
    owners = group_assignment(settings, audit_group(settings)) or {}
    active = [w for w in audits if owners.get(w.pid)]
    assert len(active) == 1, f"one audit member should write the chain: {owners}"
    standby = next(w for w in audits if w is not active[0])
    # The standby may have written first and lost the partition when the other member joined.
    def takeovers() -> list[str]:
        return TAKEOVER.findall(standby.log.read_text(errors="replace"))

    before = len(takeovers())
    workers.kill(active[0])
    wait_for_group(settings, audit_group(settings), {standby.pid}, workers, 60)  # the standby took it
    _wait_until("the standby writes the chain", lambda: len(takeovers()) > before, workers, 30)
    assert int(takeovers()[-1]) > 0, standby.tail()  # from where the dead member stopped


def _everything_once(settings: GovbusSettings, workers: Workers, store: AuditStore) -> None:
    deliveries = RECORDS * len(RECIPIENTS)
    _wait_until("every record in every pool", lambda: all(_pool_counts(settings, r)[1] >= RECORDS for r in RECIPIENTS),
                workers, 300)
    _wait_until("every delivery in the chain", lambda: _audit_counts(store)[1] >= deliveries, workers, 300)
    for recipient in RECIPIENTS:
        assert _pool_counts(settings, recipient) == (RECORDS, RECORDS, RECORDS), recipient
    assert _audit_counts(store) == (deliveries, deliveries, RECORDS)
    verdict = store.verify()
    with store.engine.connect() as conn:  # the processors' agreement activations, once each
        actions = conn.execute(select(func.count()).select_from(store.linked[0])).scalar_one()
    assert verdict.ok and verdict.rows == deliveries + actions, (verdict, actions)


def test_workers_share_partitions_and_a_killed_one_loses_nothing(broker, postgres_url, tmp_path: Path, unique):
    with fresh_database(postgres_url, "scale") as pool_url:
        settings = broker.settings(tmp_path, topic_prefix=f"scale{unique}", pool_url=pool_url,
                                   processor_group=f"scale{unique}-p", sink_group=f"scale{unique}-s",
                                   group_session_timeout_seconds=SESSION_SECONDS)
        pipeline = _setup(settings)
        env = os.environ | broker.env() | {
            "GOVBUS_TOPIC_PREFIX": settings.topic_prefix, "GOVBUS_POOL_URL": pool_url,
            "GOVBUS_PROCESSOR_GROUP": settings.processor_group, "GOVBUS_SINK_GROUP": settings.sink_group,
            "GOVBUS_GROUP_SESSION_TIMEOUT_SECONDS": str(SESSION_SECONDS),
            "GOVBUS_STATE_DIR": str(tmp_path / "state")}  # one host: the worker index keeps states apart
        workers = Workers(env, tmp_path)
        store: AuditStore | None = None
        try:
            metrics_port = free_port_run(2)  # worker 1 serves the next one (GOVBUS_WORKER_INDEX)
            processors = [workers.start("process", i, metrics_port) for i in range(2)]
            sinks = [workers.start("sink", i) for i in range(2)]  # both create the pool's tables
            audits = [workers.start("audit", i) for i in range(2)]
            records = _encoded_records(settings, pipeline)  # while the workers start
            store = AuditStore(pool_url)
            ActionsStore(store)  # the processors' agreement activations are links of the chain too
            wait_for_group(settings, settings.processor_group, {w.pid for w in processors}, workers, 120)
            wait_for_group(settings, settings.sink_group, {w.pid for w in sinks}, workers, 120)
            wait_for_group(settings, audit_group(settings), {w.pid for w in audits}, workers, 120,
                           every_member_busy=False)
            load = Load(settings, records)
            load.start()
            _kill_one_processor(settings, workers, processors)
            _kill_one_sink(settings, workers, sinks)
            _kill_active_audit_member(settings, workers, audits, store)
            load.join(120)
            assert load.error is None, load.error
            _everything_once(settings, workers, store)
            survivors = [w for w in workers.started if w.process.returncode is None]
            workers.assert_running(*survivors)
            for worker in survivors:
                assert "Traceback" not in worker.log.read_text(errors="replace"), worker.tail(80)
        finally:
            workers.stop_all()
            if store is not None:
                store.close()


JOIN_RECORDS = RECORDS
JOIN_RATE = 500             # a 40 s stream: the second worker joins well within it


def test_a_worker_joining_mid_stream_takes_partitions_and_loses_nothing(broker, tmp_path: Path, unique):
    """A rebalance that is not a death: the first worker finishes and commits the batch in hand
    before it gives partitions up (stream_processors/faust_group.py). The watched recipient's
    shared topic holds every record; a record twice only from a batch in hand when the partitions
    moved (faust-streaming #502: the commit can land after the new owner has read the offsets),
    so at most a batch per partition; and the second worker did part of the work."""
    settings = broker.settings(tmp_path, topic_prefix=f"join{unique}", processor_group=f"join{unique}-p")
    pipeline = _setup(settings)
    env = os.environ | broker.env() | {"GOVBUS_TOPIC_PREFIX": settings.topic_prefix,
                                       "GOVBUS_PROCESSOR_GROUP": settings.processor_group,
                                       "GOVBUS_STATE_DIR": str(tmp_path / "state")}
    workers = Workers(env, tmp_path)
    shared = topic_names(settings).shared(WATCHED, DATASET)
    watermarks = Consumer(kafka_config(settings, "consumer", **{"group.id": "scale-test-watermarks"}))
    try:
        metrics_port = free_port_run(2)  # worker 1 serves the next one
        first = workers.start("process", 0, metrics_port)
        records = _encoded_records(settings, pipeline)[:JOIN_RECORDS]
        wait_for_group(settings, settings.processor_group, {first.pid}, workers, 120)
        load = Load(settings, records, JOIN_RATE)
        load.start()
        _wait_until("first worker mid-stream", lambda: _topic_messages(watermarks, shared) >= 0.1 * JOIN_RECORDS,
                    workers, 120)
        second = workers.start("process", 1, metrics_port)
        wait_for_group(settings, settings.processor_group, {first.pid, second.pid}, workers, 120)
        assert _topic_messages(watermarks, shared) < JOIN_RECORDS, "the second worker joined after the stream"
        load.join(120)
        assert load.error is None, load.error
        _wait_until("every record delivered", lambda: _topic_messages(watermarks, shared) >= JOIN_RECORDS, workers, 240)
        time.sleep(3)  # a duplicate would arrive now, with the last batches
        delivered, keys = _keys_on(settings, shared)
        assert keys == {key for key, _ in records}, "a record was lost in the rebalance"
        assert delivered - JOIN_RECORDS <= BATCH_SIZE * PARTITIONS, "more redone than the batches in hand"
        assert _processed(second) > 0, "the joining worker should have taken partitions and records"
    finally:
        watermarks.close()
        workers.stop_all()
