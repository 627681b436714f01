"""Issue 17: every metric of the contract a role owns is exported by the running role after real
traffic (docs/architecture.md#metrics).

`govbus process`, `govbus sink --all` (SQLite pools) and `govbus audit sink` run as child
processes against the real broker, with JSON log lines. Work orders go to the raw topic, a few of
them bytes that are not Avro (dead letters). Then each role's /metrics is scraped until the
traffic has flowed through all three, and every contract series it owns must be there with a
value that fits what was sent: delivered = sent − dead-lettered, each delivery stored and
audited once, freshness observed once per delivery and per stored record, lag back to 0, the
role ready and no outage, the chain verified and anchored. One order has a mobile typed into its
address (an agreement keeps the address in clear): it is counted once as an identifier found in
a field not tagged for it.
"""
from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path

from confluent_kafka import Producer
from prometheus_client.parser import text_string_to_metric_families

from commands.localstack.procs import free_port
from consumers.audit.checkpoint import create_key_files
from govbus.core.settings import kafka_config, topic_names
from bench.processor_bench import bench_records
from govbus.core.topics import value_subject
from tests.e2e.scale.test_workers import DATASET, _setup
from tests.support.workers import Worker, Workers

SENT = 40
GARBAGE = (7, 19, 33)  # these inputs are not Avro: three dead letters
PHONE_IN_ADDRESS = 3   # this order's address holds a mobile number
RECIPIENTS = ("public_security_350100", "urban_management_350102", "emergency_management_350000")
TIMEOUT = 90.0

Samples = dict[tuple[str, frozenset], float]


def _scrape(port: int) -> Samples:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _values(samples: Samples, name: str, **labels: str) -> list[float]:
    wanted = set(labels.items())
    return [v for (n, found), v in samples.items() if n == name and wanted <= found]


def _total(samples: Samples, name: str, **labels: str) -> float:
    return sum(_values(samples, name, **labels))


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=3):
            return True
    except OSError:
        return False


def _wait(what: str, check, workers: Workers, timeout: float = TIMEOUT):  # noqa: ANN001, ANN202
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        workers.assert_running(*workers.started)
        try:
            last = check()
        except OSError:  # not listening yet
            last = None
        if last:
            return last
        time.sleep(0.5)
    logs = "\n".join(f"--- {w.role}\n{w.tail()}" for w in workers.started)
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


def _orders(settings, pipeline) -> list[tuple[bytes, bytes]]:  # noqa: ANN001
    """SENT encoded work orders; one has a mobile typed into its address."""
    subject = value_subject(topic_names(settings).raw(DATASET))
    orders = bench_records(pipeline.schemas[DATASET], SENT)
    orders[PHONE_IN_ADDRESS]["address"] = f"{orders[PHONE_IN_ADDRESS]['address'] or ''}，电话13800138000"
    return [(r["order_no"].encode(), pipeline.serde.encode(subject, r)) for r in orders]


def _produce(settings, records: list[tuple[bytes, bytes]]) -> None:  # noqa: ANN001
    producer = Producer(kafka_config(settings, "producer"))
    for n, (key, value) in enumerate(records):
        producer.produce(topic_names(settings).raw(DATASET), b"not avro %d" % n if n in GARBAGE else value, key)
    assert producer.flush(30) == 0


def test_every_role_exports_its_contract_series_after_real_traffic(broker, tmp_path: Path, unique):
    started = time.time()
    key = tmp_path / "secrets" / "audit-signing.key"
    create_key_files(key)
    settings = broker.settings(tmp_path, topic_prefix=f"ops{unique}", processor_group=f"ops{unique}-p",
                               sink_group=f"ops{unique}-s", audit_signing_key_file=key)
    pipeline = _setup(settings)
    env = os.environ | broker.env() | {
        "GOVBUS_TOPIC_PREFIX": settings.topic_prefix, "GOVBUS_POOL_URL": settings.pool_url,
        "GOVBUS_PROCESSOR_GROUP": settings.processor_group, "GOVBUS_SINK_GROUP": settings.sink_group,
        "GOVBUS_STATE_DIR": str(tmp_path / "state"), "GOVBUS_AUDIT_SIGNING_KEY_FILE": str(key),
        "GOVBUS_AUDIT_CHECKPOINT_SECONDS": "1", "GOVBUS_AUDIT_VERIFY_SECONDS": "2",
        "GOVBUS_SINK_BATCH_SECONDS": "0.5", "GOVBUS_LOG_FORMAT": "json"}
    workers = Workers(env, tmp_path)
    try:
        process, sink, audit = (workers.start(role, 0, free_port()) for role in ("process", "sink", "audit"))
        records = _orders(settings, pipeline)
        _wait("the processor ready", lambda: _ready(process.metrics_port), workers)
        _produce(settings, records)
        delivered = (SENT - len(GARBAGE)) * len(RECIPIENTS)  # every bench order matches all three agreements
        scrapes = _wait("the traffic through all three roles", lambda: _settled(process, sink, audit, delivered),
                        workers)
        _check_processor(scrapes[0], settings, delivered)
        _check_sink(scrapes[1], settings, delivered)
        _check_audit(scrapes[2], delivered, started)
        workers.assert_running(process, sink, audit)
    finally:
        workers.stop_all()
    for worker in (process, sink, audit):
        _check_log(worker)


def _settled(process: Worker, sink: Worker, audit: Worker, delivered: int) -> tuple[Samples, ...] | None:
    """The three scrapes once every delivery is stored, audited and verified and every lag is 0."""
    scrapes = tuple(_scrape(w.metrics_port) for w in (process, sink, audit))
    p, s, a = scrapes
    done = (_total(p, "govbus_deliveries_total") == delivered
            and _total(s, "govbus_records_total", stage="sink", outcome="stored") == delivered
            and _total(a, "govbus_records_total", stage="audit", outcome="stored") == delivered
            and _total(a, "govbus_audit_verify_ok") == 1
            and _values(a, "govbus_audit_chain_length") and _values(a, "govbus_audit_chain_length")[0] >= delivered
            and _values(a, "govbus_audit_checkpoint_timestamp_seconds"))
    lags = [_values(x, name) for x in scrapes for name in ("govbus_consumer_lag_records", "govbus_consumer_lag_seconds")]
    return scrapes if done and all(lag and set(lag) == {0.0} for lag in lags) else None


def _check_processor(p: Samples, settings, delivered: int) -> None:  # noqa: ANN001
    garbage = len(GARBAGE)
    assert _total(p, "govbus_records_total", stage="route", dataset=DATASET, outcome="delivered") == SENT - garbage
    assert _total(p, "govbus_records_total", stage="clean", dataset=DATASET, outcome="dead_lettered") == garbage
    dlq = {dict(labels)["reason"]: v for (n, labels), v in p.items() if n == "govbus_dlq_records_total"}
    assert sum(dlq.values()) == garbage and all(dict(l)["stage"] == "clean" and dict(l)["department"] == "hotline"
                                                for (n, l) in p if n == "govbus_dlq_records_total"), dlq
    for recipient in RECIPIENTS:
        assert _total(p, "govbus_deliveries_total", recipient=recipient) == SENT - garbage
        assert _total(p, "govbus_freshness_seconds_count", stage="delivered", recipient=recipient) == SENT - garbage
    assert _total(p, "govbus_freshness_seconds_sum", stage="delivered") > 0
    raw = topic_names(settings).raw(DATASET)
    assert _values(p, "govbus_consumer_lag_records", role="process", group=settings.processor_group, topic=raw)
    assert _values(p, "govbus_consumer_lag_seconds", role="process", group=settings.processor_group, topic=raw) == [0.0]
    _check_health(p, "process", ("broker", "registry"))
    assert _values(p, "govbus_agreements_active")[0] >= len(RECIPIENTS)
    assert _total(p, "govbus_pii_found_in_untagged_field_total", dataset=DATASET, field="address",
                  kind="mobile") == 1
    expiry = _values(p, "govbus_agreement_expiry_seconds")
    assert len(expiry) >= len(RECIPIENTS) and all(v > 0 for v in expiry)  # the shipped agreements hold for years


def _check_sink(s: Samples, settings, delivered: int) -> None:  # noqa: ANN001
    assert _total(s, "govbus_freshness_seconds_count", stage="stored", dataset=DATASET) == delivered
    for recipient in RECIPIENTS:
        assert _total(s, "govbus_records_total", stage="sink", department=recipient, outcome="stored") == SENT - len(GARBAGE)
    assert _total(s, "govbus_dlq_records_total", stage="sink") == 0  # the pool refused nothing
    shared = {dict(l)["topic"] for (n, l) in s if n == "govbus_consumer_lag_seconds"}
    assert shared >= {topic_names(settings).shared(r, DATASET) for r in RECIPIENTS}  # and other datasets' (empty)
    assert {dict(l)["role"] for (n, l) in s if n.startswith("govbus_consumer_lag")} == {"sink"}
    _check_health(s, "sink", ("broker", "registry", "database"))


def _check_audit(a: Samples, delivered: int, started: float) -> None:
    assert _values(a, "govbus_audit_chain_length", pool="audit.deliveries")[0] >= delivered
    assert _values(a, "govbus_audit_verify_ok", pool="audit.deliveries") == [1.0]
    assert _values(a, "govbus_audit_verify_timestamp_seconds", pool="audit.deliveries")[0] > started
    assert _values(a, "govbus_audit_checkpoint_timestamp_seconds", pool="audit.deliveries")[0] > started
    assert _values(a, "govbus_consumer_lag_records", role="audit-sink") == [0.0]
    _check_health(a, "audit-sink", ("broker", "registry", "database"))


def _check_health(samples: Samples, role: str, needs: tuple[str, ...]) -> None:
    assert _values(samples, "govbus_role_ready", role=role) == [1.0]
    for dependency in needs:
        assert _values(samples, "govbus_outage", role=role, dependency=dependency) == [0.0]
        assert len(_values(samples, "govbus_dependency_errors_total", role=role, dependency=dependency)) == 1
    assert not _values(samples, "govbus_stage_latency_seconds_count")  # replaced by govbus_freshness_seconds


def _check_log(worker: Worker) -> None:
    """GOVBUS_LOG_FORMAT=json: every log line of the role is a JSON line with the contract's fields."""
    text = worker.log.read_text(errors="replace")
    assert "Traceback" not in text, worker.tail(80)
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    for parsed in lines:
        assert {"time", "level", "role", "event", "topic", "partition", "offset", "event_id",
                "message"} <= set(parsed), parsed
    if worker.role == "audit":  # the one writer says where it starts the chain: a line every run
        assert any(line["event"] == "audit_writer" and line["role"] == "audit-sink" for line in lines), text
