"""The poison suite, straight on the raw topic: poisoned records published by a hand-made client
between good ones, through the real processor (as svc.processor) and the PostgreSQL pool sink (as
svc.sink), under the ACLs compiled for this run's topic prefix.

None stops a role; each poisoned record ends as a dead letter with its reason and field; the good
records around them reach the pools. Then, defence in depth: a record the processor would never
deliver (a NUL character), put straight on a shared topic, becomes a sink dead letter and the
sink goes on.
"""
from __future__ import annotations

import copy
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer
from sqlalchemy import column, create_engine, select

from commands.acl_cmd import sync_prefix
from commands.demo import _child_env, _start, _stop, _wait_processor
from commands.dlq_cmd import read_letters
from commands.localstack.stack import free_port
from commands.roles import as_identity
from consumers.pool.pools import pool_table_ref
from govbus.core.identities import Service
from govbus.core.schemas import load_schemas
from govbus.core.serde import AvroBody, Serde, varint
from govbus.core.settings import kafka_config, topic_names
from govbus.core.signing import load_signing_key, signature_headers
from govbus.core.topics import value_subject
from tests.support.samples import SAMPLES

DATASET = "hotline.work_order"
POLICE, URBAN, PROVINCE = "public_security_350100", "urban_management_350102", "emergency_management_350000"
MARKER = "NAME-MARKER-1234"
ACCEPTED = datetime(2026, 11, 30, 9, 41, 27, 123_000, tzinfo=timezone.utc)  # its varint occurs once


def _order(order_no: str, **fields: Any) -> dict[str, Any]:
    record = copy.deepcopy(SAMPLES[DATASET]) | {"order_no": order_no, "accepted_at": ACCEPTED} | fields
    record["envelope"] = record["envelope"] | {"event_id": str(uuid.uuid4()),
                                               "event_time": ACCEPTED + timedelta(milliseconds=1)}
    return record


def _spliced(body: bytes, old: bytes, new: bytes) -> bytes:
    assert body.count(old) == 1, old
    return body.replace(old, new)


def _poison(encode) -> dict[str, tuple[bytes, str, str]]:
    """order_no -> (value bytes, expected reason, expected field path)."""
    named = encode(_order("P-SURROGATE", caller_name=MARKER))
    bad_byte = encode(_order("P-BADBYTE", caller_name=MARKER))
    huge = encode(_order("P-HUGE"))
    millis = varint(int(ACCEPTED.timestamp() * 1000))
    return {
        "P-NUL": (encode(_order("P-NUL", content="噪音\x00很吵")), "control_character", "content"),
        # A lone surrogate as UTF-8 (ED A0 80) and a byte that is no UTF-8 at all: what no Avro
        # library writes from a valid string, but a hand-made client can.
        "P-SURROGATE": (_spliced(named, MARKER.encode(), b"\xed\xa0\x80" + MARKER.encode()[3:]),
                        "invalid_encoding", "caller_name"),
        "P-BADBYTE": (_spliced(bad_byte, MARKER.encode(), b"\xff" + MARKER.encode()[1:]),
                      "invalid_encoding", "caller_name"),
        "P-" + "K" * 4998: (encode(_order("P-" + "K" * 4998)), "too_long", "order_no"),
        "P-LONGADDR": (encode(_order("P-LONGADDR", address="路" * 600)), "too_long", "address"),
        "P-100K": (encode(_order("P-100K", content="话" * 100_000)), "too_long", "content"),
        "P-EMPTY": (encode(_order("P-EMPTY", category_code="")), "missing_field", "category_code"),
        # A timestamp beyond any 64-bit number: the whole record is unreadable.
        "P-HUGE": (_spliced(huge, millis, b"\xff" * 12 + b"\x01"), "undecodable", ""),
    }


def _produce(settings, topic: str, items: list[tuple[str, bytes]], headers: list | None = None) -> None:
    producer = Producer(kafka_config(settings, "producer"))
    failures: list = []
    for key, value in items:
        producer.produce(topic, value, key.encode(), headers=headers,
                         on_delivery=lambda err, _m: err and failures.append(err))
    assert producer.flush(30) == 0 and not failures, failures


def _wait(check, timeout: float, children, logs) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        for child, log in zip(children, logs, strict=True):
            assert child.poll() is None, f"a role stopped (exit {child.returncode}):\n{log.read_text()[-3000:]}"
        time.sleep(1)


def _pool_keys(settings, recipient: str) -> set[str]:
    engine = create_engine(settings.pool_url)
    try:
        with engine.connect() as conn:
            ref = pool_table_ref(settings, recipient, DATASET)
            return {row[0] for row in conn.execute(select(column("order_no")).select_from(ref.clause()))}
    except Exception:  # noqa: BLE001 - the table does not exist until the first row
        return set()
    finally:
        engine.dispose()


def _letters(settings) -> dict[str, dict]:
    serde = Serde.from_settings(settings)
    return {(letter["original_key"] or b"").decode(): letter
            for _offset, letter in read_letters(settings, serde, topic_names(settings).dlq(DATASET))}


def _at_least(letters: dict[str, dict], count: int) -> dict[str, dict] | None:
    return letters if len(letters) >= count else None


def _one_delivery(settings, topic: str) -> Any:  # a confluent_kafka Message
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": f"{settings.topic_prefix}-peek",
                                                             "auto.offset.reset": "earliest"}))
    consumer.subscribe([topic])
    try:
        for _ in range(30):
            message = consumer.poll(1.0)
            if message is not None and not message.error():
                return message
    finally:
        consumer.close()
    raise AssertionError(f"nothing delivered on {topic}")


@pytest.fixture
def pool_url(postgres_url):
    from bench.databases import fresh_database

    with fresh_database(postgres_url, "poison") as url:
        yield url


def test_poison_on_the_raw_topic_ends_in_dead_letters_and_stops_no_role(broker, tmp_path, unique, pool_url):
    prefix = f"poison{unique}"
    settings = broker.settings(tmp_path, topic_prefix=prefix, pool_url=pool_url, processor_group=f"{prefix}-processor",
                               sink_group=f"{prefix}-sink", state_dir=tmp_path / "state")
    topics = topic_names(settings)
    sync_prefix(settings, "tests/e2e/poison: this run's topic prefix")
    metrics_port = free_port()
    logs = [tmp_path / "process.log", tmp_path / "sink.log"]
    processor, sink = (as_identity(settings, role) for role in (Service.PROCESSOR, Service.SINK))
    children = [_start(["process"], _child_env(processor, metrics_port) | {"GOVBUS_STATE_DIR": str(tmp_path / "state")},
                       logs[0]),
                _start(["sink", "--all"], _child_env(sink, -1), logs[1])]
    try:
        _wait_processor(f"http://127.0.0.1:{metrics_port}/readyz", children, logs, 120)
        schema = load_schemas(settings.schemas_dir)[DATASET]
        serde = Serde.from_settings(settings)
        raw = topics.raw(DATASET)
        serde.prepare(value_subject(raw), schema.schema)
        poison = _poison(lambda record: serde.encode(value_subject(raw), record))
        good = {f"GOOD-{n}": serde.encode(value_subject(raw), _order(f"GOOD-{n}")) for n in range(len(poison) + 1)}
        mixed = [item for pair in zip(good.items(), [(k, v[0]) for k, v in poison.items()], strict=False)
                 for item in pair] + [list(good.items())[-1]]
        _produce(settings, raw, mixed)

        letters = _wait(lambda: _at_least(_letters(settings), len(poison)), 120, children, logs)
        assert letters is not None and set(letters) == set(poison), sorted(_letters(settings))
        for key, (_value, reason, field) in poison.items():
            letter = letters[key]
            assert (letter["reason"], letter["field_path"], letter["stage"]) == (reason, field, "process"), letter
            assert letter["message"] and letter["original_value"] == poison[key][0]
        for recipient in (POLICE, URBAN, PROVINCE):
            assert _wait(lambda r=recipient: _pool_keys(settings, r) == set(good), 90, children, logs), \
                (recipient, _pool_keys(settings, recipient))

        # Defence in depth: a poisoned copy of a delivery straight on the police's shared topic.
        shared = topics.shared(POLICE, DATASET)
        message = _one_delivery(settings, shared)
        delivered, agreement = message.value(), dict(message.headers())
        writer_id = int.from_bytes(delivered[1:5], "big")
        record = serde.decode(delivered).value | {"order_no": "SHARED-NUL", "content": "夜间\x00噪音"}
        poisoned = AvroBody(serde.reader(writer_id).parsed, writer_id).framed(record)
        # Signed with the bus's own key, as if the processor had delivered it: the signature
        # check passes and the database is what refuses it.
        signer = load_signing_key(settings.signing_key_file.read_bytes()).value
        signed = signature_headers(signer, shared, b"SHARED-NUL", poisoned, agreement["govbus-agreement-id"].decode(),
                                   agreement["govbus-agreement-version"].decode())
        _produce(settings, shared, [("SHARED-NUL", poisoned)], signed)
        _produce(settings, raw, [("GOOD-AFTER", serde.encode(value_subject(raw), _order("GOOD-AFTER")))])
        sink_letter = _wait(lambda: _letters(settings).get("SHARED-NUL"), 90, children, logs)
        assert sink_letter is not None, (tmp_path / "sink.log").read_text()[-3000:]
        assert (sink_letter["stage"], sink_letter["reason"], sink_letter["recipient"], sink_letter["pool_column"]) == (
            "sink", "pool_refused", POLICE, "content")
        assert sink_letter["rule"] == "pool.postgresql.22021" and sink_letter["source_topic"] == shared
        assert _wait(lambda: "GOOD-AFTER" in _pool_keys(settings, POLICE), 60, children, logs)
        assert "SHARED-NUL" not in _pool_keys(settings, POLICE)
        assert all(child.poll() is None for child in children)  # no role stopped
    finally:
        _stop(children)
        sync_prefix(settings, "tests/e2e/poison finished", withdraw=True)
