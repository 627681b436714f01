"""Issue 15, part 2: one audit event per delivery, whatever the crashes.

One `govbus process`, one `govbus sink --all` (PostgreSQL pools) and one `govbus audit sink`
run as child processes while work orders stream in, every 150th replaced by bytes that are not
Avro (a dead letter each). The processor is killed with SIGKILL three times mid-stream and
started again each time: what it processed since its last commit is processed again, so shared
topics, the audit topic and the dead-letter topic receive copies. Afterwards:
- the audit store holds exactly one event per (record, recipient, agreement version), the
  chain verifies, and the audit topic did hold copies (the crashes were real);
- every pool holds each record once;
- the dead letters, read as `govbus dlq list` reads them, are each there once.

Bounded: about two minutes on the 2-core machine (session timeout 6 s).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from confluent_kafka import Consumer, TopicPartition
from sqlalchemy import func, select

from bench.databases import fresh_database
from bench.processor_bench import DATASET
from commands.dlq_cmd import read_letters
from consumers.audit.store import AuditStore, audit_group
from govbus.core.deadletter import DistinctLetters
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, kafka_config, topic_names
from consumers.audit.sink import ensure_audit_topic
from stream_processors.main import build_pipeline, ensure_topics
from tests.e2e.scale.test_workers import (RECIPIENTS, WATCHED, Load, _audit_counts, _encoded_records,
                                          _pool_counts, _wait_until)
from tests.support.workers import Workers, wait_for_group

RECORDS = 9_000
RATE = 600                 # records a second: a 15 s stream, the kills fall inside it
GARBAGE_EVERY = 150        # every 150th input is not Avro: 60 dead letters
KILLS_AT = (0.15, 0.35, 0.55)  # of RECORDS, as messages on the watched recipient's shared topic
SESSION_SECONDS = 6


def _with_garbage(records: list[tuple[bytes, bytes]]) -> tuple[list[tuple[bytes, bytes]], int]:
    out = [(key, b"not avro %d" % n if n % GARBAGE_EVERY == GARBAGE_EVERY - 1 else value)
           for n, (key, value) in enumerate(records)]
    return out, sum(1 for n in range(len(records)) if n % GARBAGE_EVERY == GARBAGE_EVERY - 1)


def _setup(settings: GovbusSettings):  # noqa: ANN202 - a Pipeline
    """The topics as the plan sizes them, the subjects registered."""
    pipeline = build_pipeline(settings)
    audit_topic = topic_names(settings).audit_deliveries
    ensure_audit_topic(settings, audit_topic)
    ensure_topics(settings, pipeline, [topic_names(settings).raw(DATASET)]
                  + [t for t in pipeline.output_topics() if t != audit_topic])
    return pipeline


def _topic_messages(consumer: Consumer, topic: str) -> int:
    """Messages in ``topic``, summed over its partitions."""
    meta = consumer.list_topics(topic, timeout=10).topics[topic]
    return sum(high - low for low, high in (consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                                            for p in meta.partitions))


def _messages(settings: GovbusSettings, topic: str) -> int:
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": "kill-test-watermarks"}))
    try:
        return _topic_messages(consumer, topic)
    finally:
        consumer.close()


def _deliveries_per_key(store: AuditStore) -> tuple[int, int]:
    """(rows, distinct (event, recipient, agreement version)) in the audit store."""
    table = store.deliveries
    keys = select(table.c.event_id, table.c.recipient, table.c.agreement_version).distinct().subquery()
    with store.engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(table)).scalar_one()
        return rows, conn.execute(select(func.count()).select_from(keys)).scalar_one()


def _kill_three_times(settings: GovbusSettings, workers: Workers) -> None:
    """Kill the running processor at each share of the stream and start another in its place."""
    shared = topic_names(settings).shared(WATCHED, DATASET)
    watermarks = Consumer(kafka_config(settings, "consumer", **{"group.id": "kill-test-watermarks"}))
    try:
        for n, share in enumerate(KILLS_AT):
            processor = workers.started[-1]
            _wait_until(f"kill {n + 1} at {share:.0%}",
                        lambda s=share: _topic_messages(watermarks, shared) >= s * RECORDS, workers, 120)
            workers.kill(processor)
            replacement = workers.start("process", 0)
            wait_for_group(settings, settings.processor_group, {replacement.pid}, workers, 120)
    finally:
        watermarks.close()


def _each_delivery_once(settings: GovbusSettings, workers: Workers, store: AuditStore, valid: int) -> None:
    """Every valid record once in each pool, every delivery once in the chain, though the
    audit topic holds copies."""
    deliveries = valid * len(RECIPIENTS)
    _wait_until("every record in every pool",
                lambda: all(_pool_counts(settings, r)[1] >= valid for r in RECIPIENTS), workers, 300)
    _wait_until("every delivery in the chain", lambda: _audit_counts(store)[1] >= deliveries, workers, 300)
    time.sleep(3)  # a late copy would be stored now
    for recipient in RECIPIENTS:
        assert _pool_counts(settings, recipient) == (valid, valid, valid), recipient
    assert _audit_counts(store) == (deliveries, deliveries, valid)
    assert _deliveries_per_key(store) == (deliveries, deliveries)
    assert store.verify().ok
    audit_copies = _messages(settings, topic_names(settings).audit_deliveries)
    assert audit_copies > deliveries, "the kills should have made the processor redo deliveries"
    print(f"audit topic: {audit_copies} messages for {deliveries} deliveries", flush=True)


def _each_letter_once(settings: GovbusSettings, letters: int) -> None:
    """The dead letters as `govbus dlq list` reads them: each input's letter once."""
    dlq = topic_names(settings).dlq(DATASET)
    distinct = DistinctLetters()
    shown = list(distinct.of(read_letters(settings, Serde.from_settings(settings), dlq)))
    assert len(shown) == letters, (len(shown), distinct.repeats)
    assert len({(letter["source_partition"], letter["source_offset"]) for _, letter in shown}) == letters
    print(f"dlq: {len(shown)} letters shown, {distinct.repeats} repeated copies passed over", flush=True)


def test_a_processor_killed_three_times_leaves_one_audit_event_per_delivery(broker, postgres_url,
                                                                            tmp_path: Path, unique):
    with fresh_database(postgres_url, "kills") as pool_url:
        settings = broker.settings(tmp_path, topic_prefix=f"kill{unique}", pool_url=pool_url,
                                   processor_group=f"kill{unique}-p", sink_group=f"kill{unique}-s",
                                   group_session_timeout_seconds=SESSION_SECONDS)
        pipeline = _setup(settings)
        env = os.environ | broker.env() | {
            "GOVBUS_TOPIC_PREFIX": settings.topic_prefix, "GOVBUS_POOL_URL": pool_url,
            "GOVBUS_PROCESSOR_GROUP": settings.processor_group, "GOVBUS_SINK_GROUP": settings.sink_group,
            "GOVBUS_GROUP_SESSION_TIMEOUT_SECONDS": str(SESSION_SECONDS),
            "GOVBUS_STATE_DIR": str(tmp_path / "state")}
        workers = Workers(env, tmp_path)
        store: AuditStore | None = None
        try:
            workers.start("sink", 0)
            audit = workers.start("audit", 0)
            processor = workers.start("process", 0)  # the last started: _kill_three_times kills it
            records, letters = _with_garbage(_encoded_records(settings, pipeline)[:RECORDS])
            store = AuditStore(pool_url)
            wait_for_group(settings, audit_group(settings), {audit.pid}, workers, 120)
            wait_for_group(settings, settings.processor_group, {processor.pid}, workers, 120)
            load = Load(settings, records, RATE)
            load.start()
            _kill_three_times(settings, workers)
            load.join(120)
            assert load.error is None, load.error
            _each_delivery_once(settings, workers, store, RECORDS - letters)
            _each_letter_once(settings, letters)
            for worker in workers.started:
                if worker.process.returncode is None:
                    assert "Traceback" not in worker.log.read_text(errors="replace"), worker.tail(80)
        finally:
            workers.stop_all()
            if store is not None:
                store.close()
