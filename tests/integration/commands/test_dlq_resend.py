"""Fix and resend on the real broker and registry: a hotline work order the processor refused
(bad ID check character) is exported with `govbus dlq export` (as bus-admin: masked), corrected
in the file, and sent back with `govbus dlq resend`. A record still holding a mask is refused
first, naming line and field; once every masked field is typed in, the real processor pipeline
takes the resent record to the province's pool, whose row's lineage names the letter, while a
second record, corrected wrongly, comes back as a new dead letter with its new reason. The
re-drive is on audit.redrives and on the audit chain (actions sink) under the operator."""
from __future__ import annotations

import json

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from sqlalchemy import column, create_engine, select
from typer.testing import CliRunner

from commands.dlq_cmd import read_letters
from commands.exits import REFUSED
from commands.main import app
from consumers.audit.actions_sink import ActionsSink
from consumers.audit.main import open_audit_stores
from consumers.pool.pools import pool_table_ref
from consumers.pool.sink import PoolSink
from govbus.core.deadletter import Origin
from govbus.core.kafka_admin import create_missing_topics
from govbus.core.metrics import new_metrics
from govbus.core.serde import Serde
from govbus.core.settings import kafka_config, topic_names
from stream_processors.main import build_pipeline
from tests.integration.consumers.pool.shared_bus import bus_signer
from tests.support.helpers import poll_messages
from tests.support.samples import SAMPLES

DATASET = "hotline.work_order"
PROVINCE = "emergency_management_350000"  # receives every clean work order (its agreement)
BAD_ID, GOOD_ID = "350102198503121230", "35010219850312123X"  # a Fuzhou caller: the province's agreement
IDLE = 3.0
runner = CliRunner()


def _produce(settings, outs) -> None:
    create_missing_topics(AdminClient(kafka_config(settings, "admin")),
                          [NewTopic(t, 1, -1) for t in {out.topic for out in outs}])
    producer = Producer(kafka_config(settings, "producer"))
    for out in outs:
        producer.produce(out.topic, out.value, out.key, headers=out.headers)
    assert producer.flush(30) == 0


def _raw_count(settings) -> int:
    """Records on the raw topic (0 when it does not exist yet)."""
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": f"{settings.topic_prefix}-count"}))
    topic = topic_names(settings).raw(DATASET)
    try:
        meta = consumer.list_topics(topic, timeout=10).topics.get(topic)
        if meta is None or meta.error is not None:
            return 0
        return sum(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in meta.partitions)
    finally:
        consumer.close()


def _pool_lineage(settings) -> dict[str, str]:
    table = pool_table_ref(settings, PROVINCE, DATASET).clause()
    engine = create_engine(settings.pool_url)
    try:
        with engine.connect() as conn:
            return {r[0]: r[1] for r in conn.execute(select(column("order_no"), column("env_lineage"))
                                                     .select_from(table))}
    finally:
        engine.dispose()


def _export(env, out) -> list[dict]:
    exported = runner.invoke(app, ["dlq", "export", DATASET, "--out", str(out), "--note", "fix ticket 88"], env=env)
    assert exported.exit_code == 0 and "exported 2 letters" in exported.output, exported.output
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_export_correct_resend_reaches_the_pool_with_lineage_and_the_audit_chain(broker, tmp_path, unique):
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}", sink_group=f"t{unique}-sink",
                               sink_batch_seconds=0.5)
    env = broker.env() | {"GOVBUS_TOPIC_PREFIX": f"t{unique}", "GOVBUS_METRICS_PORT": "-1", "COLUMNS": "250"}
    pipeline, topics = build_pipeline(settings), topic_names(settings)
    raw, dlq = topics.raw(DATASET), topics.dlq(DATASET)
    sample = SAMPLES[DATASET]
    originals = {n: sample | {"order_no": n, "caller_id_no": BAD_ID, "envelope": sample["envelope"]
                              | {"event_id": f"00000000-0000-4000-8000-00000000000{i}"}}
                 for i, n in enumerate(["GDR1", "GDR2"])}
    encoded = [(n.encode(), pipeline.serde.encode(f"{raw}-value", record)) for n, record in originals.items()]
    letters = [out for i, (key, value) in enumerate(encoded) for out in pipeline.process(Origin(raw, 0, i, key, value))]
    _produce(settings, letters)

    path = tmp_path / "letters.jsonl"
    lines = _export(env, path)
    assert all(line["masked"] and "caller_name" in line["masked_fields"] for line in lines)
    assert BAD_ID not in path.read_text(encoding="utf-8") and "13800138000" not in path.read_text(encoding="utf-8")

    lines[0]["record"]["caller_id_no"] = GOOD_ID  # only the refused field corrected: masks remain
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    refused = runner.invoke(app, ["dlq", "resend", str(path), "--note", "fix ticket 88"], env=env)
    assert refused.exit_code != 0 and refused.exception.code == REFUSED, refused.output
    assert "line 1 (" in refused.output and "still masked as exported" in refused.output and "caller_name" in refused.output
    assert _raw_count(settings) == 0  # nothing was sent

    for line in lines:  # the steward types in what export masked
        name = line["record"]["order_no"]
        line["record"] |= {f: originals[name][f] for f in line["masked_fields"]} | {"caller_id_no": GOOD_ID}
    lines[1]["record"]["caller_phone"] = "12345"  # a wrong correction: refused again, for the phone
    path.write_text("".join(json.dumps(line, ensure_ascii=False, default=str) + "\n" for line in lines),
                    encoding="utf-8")
    resent = runner.invoke(app, ["dlq", "resend", str(path), "--note", "fix ticket 88"], env=env)
    assert resent.exit_code == 0 and "resent 2 corrected records" in resent.output, resent.output

    offsets = {line["record"]["order_no"]: line["letter"]["offset"] for line in lines}
    messages = _consume(settings, raw, 2)
    marks = {dict(m.headers())["govbus.redrive.dlq_offset"] for m in messages}
    assert marks == {str(o).encode() for o in offsets.values()}
    outs = [out for m in messages
            for out in pipeline.process(Origin(raw, m.partition(), m.offset(), m.key(), m.value(), tuple(m.headers())))]
    bus_signer(settings)
    _produce(settings, pipeline.sign(outs))

    PoolSink(settings, PROVINCE, Serde.from_settings(settings), new_metrics()).run(idle_exit_seconds=IDLE)
    landed = _pool_lineage(settings)
    assert set(landed) == {"GDR1"}
    hops = json.loads(landed["GDR1"])
    assert [h["stage"] for h in hops][-2:] == ["redrive", "route"]
    assert hops[-2]["component"] == f"commands.dlq_resend:{dlq}@{offsets['GDR1']}"

    letters_now = [letter for _, letter in read_letters(settings, Serde.from_settings(settings), dlq)]
    assert [(x["original_key"], x["reason"], x["field_path"]) for x in letters_now[2:]] == [
        (b"GDR2", "bad_format", "caller_phone")]

    serde = Serde.from_settings(settings)
    events = [serde.decode(m.value()).value for m in _consume(settings, topics.audit_redrives, 2)]
    assert {(e["operator"], e["dlq_offset"]) for e in events} == {(settings.kafka_user, o) for o in offsets.values()}
    store, actions = open_audit_stores(settings)
    try:
        sink = ActionsSink(settings, Serde.from_settings(settings), actions)
        sink.run(idle_exit_seconds=IDLE)
        redrives = [a for a in actions.by_operator(settings.kafka_user) if a["action"] == "dlq.redrive"]
        assert {a["target"] for a in redrives} == {f"{dlq}@{o}" for o in offsets.values()}
        assert all(a["reason"] == "fix ticket 88" for a in redrives)
        assert store.verify().ok
    finally:
        store.close()


def _consume(settings, topic: str, expected: int) -> list:
    return poll_messages(settings, topic, f"{settings.topic_prefix}-{topic}", expected, attempts=20)
