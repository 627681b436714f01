"""Signed deliveries against the real broker (security on): records put straight on a shared topic
with a leaked credential (bus-admin's) are refused by the sink as ``bad_signature`` dead letters
while the bus's own are stored; a key rotation keeps the records signed before it verifiable.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from commands.dlq_cmd import read_letters
from commands.keys_cmd import rotate_key
from commands.localstack.secrets import ensure_signing_key
from consumers.pool.keyring import KeyRing
from consumers.pool.sink import PoolSink, SinkSummary
from govbus.core.key_topic import publish_now, read_published_keys
from govbus.core.metrics import new_metrics
from govbus.core.result import Ok
from govbus.core.serde import Serde
from govbus.core.settings import kafka_config, signing_key_pem, topic_names
from govbus.core.signing import (
    KEY_ID_HEADER,
    SigningKey,
    load_signing_key,
    published,
    signature_headers,
    verify_delivery,
)
from tests.integration.consumers.pool.shared_bus import AGREEMENT, DATASET, RECIPIENT, T0, Bus, work_order
from tests.integration.consumers.pool.test_sink import IDLE, pool_rows


@pytest.fixture
def settings(broker, tmp_path, unique):
    return broker.settings(tmp_path, topic_prefix=f"t{unique}", sink_group=f"sink-{unique}",
                           sink_batch_seconds=0.5)


def _dlq_topic(settings) -> str:
    topic = topic_names(settings).dlq(DATASET)
    admin = AdminClient(kafka_config(settings, "admin"))  # kept alive until the futures resolve
    for future in admin.create_topics([NewTopic(topic, 1, 1)]).values():
        future.result(30)
    return topic


def _put(settings, topic: str, records: list[tuple[bytes, bytes, list | None]]) -> None:
    """Produce straight onto ``topic`` as the settings' identity (bus-admin: a leaked credential)."""
    producer = Producer(kafka_config(settings, "producer"))
    for key, value, headers in records:
        producer.produce(topic, value, key, headers=headers)
    assert producer.flush(30) == 0


def _key(settings) -> SigningKey:
    loaded = load_signing_key(signing_key_pem(settings))
    assert isinstance(loaded, Ok), loaded
    return loaded.value


def test_forged_records_become_bad_signature_letters_and_the_bus_s_own_are_stored(settings) -> None:
    dlq = _dlq_topic(settings)
    bus = Bus(settings)
    bus.produce(work_order("WO-1"))
    forged = bus.serde.encode(bus.subject, work_order("WO-FORGED", "planted"))
    tampered = bus.serde.encode(bus.subject, work_order("WO-2", "changed after signing"))
    honest = bus.serde.encode(bus.subject, work_order("WO-2", "as the bus delivered it"))
    thief = SigningKey.of(Ed25519PrivateKey.generate())
    _put(settings, bus.topic, [
        (b"WO-FORGED", forged, None),                                                    # unsigned
        (b"WO-2", tampered, signature_headers(bus.signer, bus.topic, b"WO-2", honest, *AGREEMENT)),  # bytes changed
        (b"WO-3", forged, signature_headers(thief, bus.topic, b"WO-3", forged, *AGREEMENT)),  # key nobody published
    ])
    bus.produce(work_order("WO-4"))  # the sink goes on after them

    summary = PoolSink(settings, RECIPIENT, Serde.from_settings(settings), new_metrics()).run(idle_exit_seconds=IDLE)

    assert set(pool_rows(settings)) == {"WO-1", "WO-4"}
    assert (summary.records, summary.rejects) == (2, 3)
    letters = {letter["original_key"]: letter for _offset, letter in read_letters(settings, bus.serde, dlq)}
    assert {k: (v["reason"], v["rule"], v["field_path"]) for k, v in letters.items()} == {
        b"WO-FORGED": ("bad_signature", "signature.missing", "headers.govbus-signature"),
        b"WO-2": ("bad_signature", "signature.invalid", "headers.govbus-signature"),
        b"WO-3": ("bad_signature", "signature.unknown_key", f"headers.{KEY_ID_HEADER}"),
    }
    for letter in letters.values():
        assert (letter["stage"], letter["owner_department"], letter["recipient"]) == ("sink", "hotline", RECIPIENT)
        assert letter["source_topic"] == bus.topic
    assert letters[b"WO-2"]["original_value"] == tampered  # the original bytes, as everywhere else


def test_a_rotation_keeps_records_signed_before_it_verifiable(settings, tmp_path) -> None:
    key_file = ensure_signing_key(tmp_path / "stack")  # this test's own key: it rotates it
    settings = settings.model_copy(update={"signing_key_file": key_file})
    old = _key(settings)
    publish_now(settings, [published(old.public_key, T0)])  # as `govbus process` does at start
    bus = Bus(settings)  # signs with the same (old) key
    bus.produce(work_order("WO-OLD"))
    ring = KeyRing(lambda: read_published_keys(settings, settings.sink_group))  # one ring, two sink runs

    def run_sink() -> SinkSummary:
        return PoolSink(settings, RECIPIENT, Serde.from_settings(settings), new_metrics(), keys=ring).run(
            idle_exit_seconds=IDLE)

    run_sink()
    assert set(pool_rows(settings)) == {"WO-OLD"} and ring.loads == 1

    retired, current = rotate_key(settings, datetime.now(timezone.utc))
    new = _key(settings)
    assert (retired.key_id, current.key_id) == (old.key_id, new.key_id) and new.key_id != old.key_id
    bus.signer = new
    bus.produce(work_order("WO-NEW"))
    old_value = bus.serde.encode(bus.subject, work_order("WO-OLD-AGAIN"))
    _put(settings, bus.topic, [(b"WO-OLD-AGAIN", old_value,
                                signature_headers(old, bus.topic, b"WO-OLD-AGAIN", old_value, *AGREEMENT))])
    summary = run_sink()  # the ring learns the new key at the first record that names it

    assert set(pool_rows(settings)) == {"WO-OLD", "WO-NEW", "WO-OLD-AGAIN"}
    assert summary.rejects == 0 and ring.loads == 2
    keys = read_published_keys(settings, settings.sink_group)
    assert set(keys) == {old.key_id, new.key_id}
    assert keys[old.key_id].retired is not None and keys[new.key_id].retired is None
    # What a retired key signed still verifies against the key as read back from bus.keys.
    headers = signature_headers(old, bus.topic, b"WO-OLD-AGAIN", old_value, *AGREEMENT)
    published_old = Ed25519PublicKey.from_public_bytes(keys[old.key_id].public_key.public_bytes_raw())
    assert isinstance(verify_delivery({old.key_id: published_old}, bus.topic, b"WO-OLD-AGAIN", old_value, headers), Ok)
