"""The pool sink against the real broker and registry, with a SQLite pool in tmp_path.

Effectively-once is checked end to end: updates collapse to one row per key, garbage lands in
the rejects table, a second run stores nothing, a third run stores only what is new, and Kafka's
committed offsets do not matter in either direction.
"""
from __future__ import annotations

import socket
import threading
import time

import pytest
from confluent_kafka import Consumer, TopicPartition
from sqlalchemy import column, create_engine, select, text
from sqlalchemy.exc import OperationalError

from consumers.pool.pools import pool_table_ref
from consumers.pool.sink import PoolSink
from consumers.pool.store import REJECTS_TABLE, PoolStore, SchemaConflict
from govbus.core.metrics import new_metrics
from govbus.core.outage import Service
from govbus.core.probes import start_role_health
from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import kafka_config
from tests.integration.consumers.pool.shared_bus import DATASET, RECIPIENT, Bus, work_order

IDLE = 4.0  # seconds without records before a test run of the sink returns


@pytest.fixture
def settings(broker, tmp_path, unique):
    """Settings with this test's own topics, consumer group and SQLite pool."""
    return broker.settings(tmp_path, topic_prefix=f"t{unique}", sink_group=f"sink-{unique}",
                           sink_batch_seconds=0.5)


def run_sink(settings, metrics=None, **kwargs):
    serde = Serde.from_settings(settings)
    return PoolSink(settings, RECIPIENT, serde, metrics or new_metrics()).run(**kwargs)


def pool_rows(settings, dataset=DATASET, resource_class_of=None):
    """order_no -> content in the pool table the sink uses for ``dataset`` (the catalogue's
    pool unless ``resource_class_of`` says otherwise)."""
    ref = pool_table_ref(settings, RECIPIENT, dataset, resource_class_of)
    engine = create_engine(settings.pool_url)
    try:
        with engine.connect() as conn:
            query = select(column("order_no"), column("content")).select_from(ref.clause())
            return {r.order_no: r.content for r in conn.execute(query)}
    finally:
        engine.dispose()


def rejects(settings):
    engine = create_engine(settings.pool_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(f'SELECT reason, rule, value FROM {REJECTS_TABLE}')).all()
    finally:
        engine.dispose()


def test_sink_stores_each_key_once_rejects_garbage_and_resumes(settings):
    bus = Bus(settings)
    bus.produce(work_order("WO-1"), work_order("WO-2"), work_order("WO-3"),
                work_order("WO-1", "update 1", 5), b"not avro", work_order("WO-1", "update 2", 9))
    metrics = new_metrics()

    first = run_sink(settings, metrics, idle_exit_seconds=IDLE)
    assert pool_rows(settings) == {"WO-1": "update 2", "WO-2": "noise at night", "WO-3": "noise at night"}
    assert rejects(settings) == [("undecodable", "wire.magic", b"not avro")]
    assert (first.records, first.rejects) == (5, 1)
    sample = metrics.registry.get_sample_value
    labels = {"stage": "sink", "dataset": DATASET, "department": RECIPIENT}
    assert sample("govbus_records_total", labels | {"outcome": "stored"}) == 5
    assert sample("govbus_records_total", labels | {"outcome": "rejected"}) == 1
    lag = {p: sample("govbus_consumer_lag_records", {"role": "sink", "group": settings.sink_group, "topic": bus.topic,
                                                     "partition": str(p)}) for p in range(3)}
    assert set(lag.values()) <= {0.0, None} and 0.0 in lag.values()  # caught up where it read

    second = run_sink(settings, idle_exit_seconds=IDLE)
    assert (second.records, second.rejects, second.batches) == (0, 0, 0)
    assert len(pool_rows(settings)) == 3 and len(rejects(settings)) == 1

    bus.produce(work_order("WO-4"), work_order("WO-2", "update 3", 12))
    third = run_sink(settings, idle_exit_seconds=IDLE)
    assert (third.records, third.rejects) == (2, 0)
    assert pool_rows(settings) == {"WO-1": "update 2", "WO-2": "update 3", "WO-3": "noise at night",
                                   "WO-4": "noise at night"}


def test_kafka_committed_offsets_are_not_the_source_of_truth(settings, tmp_path):
    bus = Bus(settings)
    bus.produce(*(work_order(f"WO-{i}") for i in range(6)))
    assert run_sink(settings, idle_exit_seconds=IDLE).records == 6

    # Kafka behind the pool: rewind the group's committed offsets; the sink must not re-store.
    rewind = Consumer(kafka_config(settings, "consumer", **{"group.id": settings.sink_group}))
    rewind.commit(offsets=[TopicPartition(bus.topic, p, 0) for p in range(3)], asynchronous=False)
    rewind.close()
    assert run_sink(settings, idle_exit_seconds=IDLE).records == 0

    # Kafka ahead of the pool: a fresh pool, same group; the sink must read everything again.
    fresh = settings.model_copy(update={"pool_url": f"sqlite:///{tmp_path / 'fresh.db'}"})
    assert run_sink(fresh, idle_exit_seconds=IDLE).records == 6
    assert len(pool_rows(fresh)) == 6


def test_sink_picks_up_a_shared_topic_created_while_it_runs(settings):
    Bus(settings).produce(work_order("WO-1"))
    stop, result = threading.Event(), {}
    worker = threading.Thread(target=lambda: result.update(summary=run_sink(settings, stop=stop)))
    worker.start()
    try:
        later = Bus(settings, dataset="hotline.work_order_copy")  # a new dataset topic for police
        later.produce(work_order("WO-9"))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _has_rows(settings, "hotline.work_order_copy"):
            time.sleep(0.5)
    finally:
        stop.set()
        worker.join(30)
    assert not worker.is_alive()
    assert result["summary"].records == 2
    assert pool_rows(settings) == {"WO-1": "noise at night"}
    assert pool_rows(settings, "hotline.work_order_copy") == {"WO-9": "noise at night"}


def _has_rows(settings, dataset):
    try:
        return bool(pool_rows(settings, dataset))
    except Exception:  # noqa: BLE001 - the table does not exist until its first record
        return False


def test_records_of_another_dataset_schema_are_rejected_not_stored(settings):
    """A producer writing the wrong schema to a topic must not create a table for it."""
    bus = Bus(settings, dataset="fire.alarm", schema_dataset=DATASET)
    bus.produce(work_order("WO-1"))
    summary = run_sink(settings, idle_exit_seconds=IDLE)
    assert (summary.records, summary.rejects) == (0, 1)
    assert [r.reason for r in rejects(settings)] == ["wrong_dataset"]


def _dead_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _in_thread(sink: PoolSink, stop: threading.Event) -> tuple[threading.Thread, dict]:
    result: dict = {}

    def run() -> None:
        try:
            result["summary"] = sink.run(stop)
        except BaseException as exc:  # noqa: BLE001 - the test asserts there was none
            result["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    return worker, result


def test_a_registry_outage_is_waited_out_without_skipping_records(settings):
    bus = Bus(settings)
    bus.produce(work_order("WO-1"), work_order("WO-2"))
    dead = Serde.connect(f"http://127.0.0.1:{_dead_port()}/apis/ccompat/v7")
    health = start_role_health(settings, "sink", new_metrics().registry, (Service.REGISTRY,))
    stop = threading.Event()
    worker, result = _in_thread(PoolSink(settings, RECIPIENT, dead, new_metrics(), health=health), stop)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not health.watch.is_down(Service.REGISTRY):
        time.sleep(0.5)
    assert health.watch.is_down(Service.REGISTRY)
    time.sleep(3)
    assert worker.is_alive() and not _has_rows(settings, DATASET)  # waiting, the batch not stored
    stop.set()
    worker.join(30)
    assert not worker.is_alive() and "error" not in result, result
    assert run_sink(settings, idle_exit_seconds=IDLE).records == 2  # nothing was marked as stored


def test_an_unreachable_broker_is_waited_out(settings):
    unreachable = settings.model_copy(update={"bootstrap_servers": f"127.0.0.1:{_dead_port()}",
                                              "health_probe_seconds": 1.0})
    health = start_role_health(unreachable, "sink", new_metrics().registry, (Service.BROKER,))
    stop = threading.Event()
    sink = PoolSink(unreachable, RECIPIENT, Serde.from_settings(settings), new_metrics(), health=health)
    worker, result = _in_thread(sink, stop)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not health.watch.is_down(Service.BROKER):
        time.sleep(0.5)
    assert health.watch.is_down(Service.BROKER)
    assert health.ready()[0] == 503 and health.live()[0] == 200  # not ready, but alive
    stop.set()
    worker.join(30)
    assert not worker.is_alive() and "error" not in result, result


def test_a_database_outage_at_assignment_is_waited_out(settings):
    """Without the pool's offsets the sink must not fall back to Kafka's: it waits for them."""
    Bus(settings).produce(work_order("WO-1"))
    store = PoolStore(settings.pool_url)
    real, calls = store.stored_offsets, []

    def down_twice(*args):
        calls.append(args)
        if len(calls) <= 2:
            raise OperationalError("SELECT", {}, Exception("database is down"))
        return real(*args)

    store.stored_offsets = down_twice
    summary = PoolSink(settings, RECIPIENT, Serde.from_settings(settings), new_metrics(), store).run(
        idle_exit_seconds=IDLE)
    assert len(calls) >= 3 and summary.records == 1
    assert pool_rows(settings) == {"WO-1": "noise at night"}


def test_each_dataset_goes_to_its_catalogue_pool(broker, tmp_path, unique, pool_url):
    """population.resident is a base resource, city.indicator a theme one, the hotline a
    department one (catalogue/resources); the hotline schema stands in for all three."""
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}", sink_group=f"sink-{unique}",
                               sink_batch_seconds=0.5, pool_url=pool_url)
    datasets = {"population.resident": "base", "city.indicator": "theme", DATASET: "dept"}
    for n, dataset in enumerate(datasets):
        Bus(settings, dataset=dataset).produce(work_order(f"WO-{n}"))
    assert run_sink(settings, idle_exit_seconds=IDLE).records == 3
    for n, (dataset, pool) in enumerate(datasets.items()):
        ref = pool_table_ref(settings, RECIPIENT, dataset)
        assert pool in (ref.schema, ref.name.split("_")[0])
        assert pool_rows(settings, dataset) == {f"WO-{n}": "noise at night"}


def test_a_given_resource_class_overrides_the_catalogue(settings):
    Bus(settings).produce(work_order("WO-1"))
    serde = Serde.from_settings(settings)
    sink = PoolSink(settings, RECIPIENT, serde, new_metrics(), resource_class_of={DATASET: "base"})
    assert sink.run(idle_exit_seconds=IDLE).records == 1
    assert pool_rows(settings, resource_class_of={DATASET: "base"}) == {"WO-1": "noise at night"}
    assert pool_table_ref(settings, RECIPIENT, DATASET, {DATASET: "base"}).name.startswith("base_pool_")


def test_an_incompatible_schema_change_stops_the_sink_and_writes_nothing(settings):
    bus = Bus(settings)
    bus.produce(work_order("WO-1"))
    assert run_sink(settings, idle_exit_seconds=IDLE).records == 1
    # content: string -> long. Registered under a subject of its own: the registry would refuse
    # it under the topic's subject, but a producer with compatibility NONE could still send it.
    schema = load_schemas(settings.schemas_dir)[DATASET].schema
    fields = [f | {"type": "long"} if f["name"] == "content" else f for f in schema["fields"]]
    subject = f"{bus.topic}.incompatible-value"
    bus.serde.prepare(subject, schema | {"fields": fields})
    bus.produce(bus.serde.encode(subject, work_order("WO-2") | {"content": 7}))

    for _attempt in range(2):  # stopped, not skipped: a restart stops at the same record
        with pytest.raises(SchemaConflict) as stopped:
            run_sink(settings, idle_exit_seconds=IDLE)
        ref = pool_table_ref(settings, RECIPIENT, DATASET)
        assert f"pool table {ref}: incompatible schema change" in str(stopped.value)
        assert 'column "content": type change TEXT -> BIGINT' in str(stopped.value)
        assert pool_rows(settings) == {"WO-1": "noise at night"} and rejects(settings) == []
