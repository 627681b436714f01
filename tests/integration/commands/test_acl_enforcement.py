"""The ACLs hold against attacks and follow the agreements, on the secure broker:

- a forged delivery (an adapter or a recipient producing into another recipient's shared topic)
  is refused with TOPIC_AUTHORIZATION_FAILED, and no adapter or recipient reads a raw topic;
- revoking an agreement and applying takes the recipient's read away from a consumer that is
  reading; restoring it and applying gives it back. The seconds the loss takes are printed.

Each test has a topic prefix of its own and applies the ACLs for it (`govbus acl apply`); the
prefix's ACLs are removed at the end (the ``bus`` fixture of test_acl_cmd).
"""
from __future__ import annotations

import shutil
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition

from govbus.core.settings import PROJECT_ROOT
from govbus.core.topics import TopicNames
from tests.integration.commands.test_acl_cmd import acl, bus, seed  # noqa: F401 - bus is a fixture
from tests.support.acl_probe import reads, writes

POLICE, URBAN = "public_security_350100", "urban_management_350102"
HOTLINE = "hotline.work_order"


def test_forged_deliveries_and_raw_reads_are_refused(broker, bus) -> None:
    topics = TopicNames(bus["GOVBUS_TOPIC_PREFIX"])
    assert acl(bus, "apply").exit_code == 0
    police_topic, raw = topics.shared(POLICE, HOTLINE), topics.raw(HOTLINE)
    seed(broker, {police_topic, raw})
    for forger in (f"recv.{URBAN}", "dept.hotline", "dept.market"):
        refused = writes(broker.client_config(forger), [police_topic])[police_topic]
        assert refused is not None and refused.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, (forger, refused)
    for reader in ("dept.hotline", f"recv.{POLICE}", f"recv.{URBAN}"):
        assert reads(broker.client_config(reader), [raw]) == {raw: False}, reader
    assert reads(broker.client_config(f"recv.{POLICE}"), [police_topic]) == {police_topic: True}


def _consumer(config: dict, topic: str) -> Consumer:
    consumer = Consumer(config | {"group.id": f"recv.{POLICE}.revocation", "enable.auto.commit": False,
                                  "log_level": 0})
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    return consumer


def _seconds_until(consumer: Consumer, producer: Producer, topic: str, readable: bool,
                   timeout: float = 60.0) -> float:
    """Produce a marker every half second and poll; the seconds until the consumer's reads
    become refused (``readable`` False: a TOPIC_AUTHORIZATION_FAILED, or markers stop arriving
    for 5 s) or allowed again (a marker arrives)."""
    started = last_seen = time.monotonic()
    while time.monotonic() - started < timeout:
        producer.produce(topic, b"marker")
        producer.flush(5)
        message = consumer.poll(0.5)
        now = time.monotonic()
        if message is not None and message.error() is None:
            last_seen = now
            if readable:
                return now - started
        elif message is not None and message.error().code() == KafkaError.TOPIC_AUTHORIZATION_FAILED:
            if not readable:
                return now - started
        if not readable and now - last_seen > 5:
            return last_seen - started
    raise AssertionError(f"the read did not become {'allowed' if readable else 'refused'} in {timeout}s")


def test_revoking_an_agreement_takes_the_read_away_and_restoring_gives_it_back(broker, bus, tmp_path) -> None:
    catalogue = tmp_path / "catalogue"
    shutil.copytree(PROJECT_ROOT / "catalogue", catalogue)
    env = bus | {"GOVBUS_CATALOGUE_DIR": str(catalogue)}
    agreement = catalogue / "agreements" / "hotline-to-public-security-fz.yaml"
    active = agreement.read_text(encoding="utf-8")
    topic = TopicNames(bus["GOVBUS_TOPIC_PREFIX"]).shared(POLICE, HOTLINE)
    assert acl(env, "apply").exit_code == 0
    seed(broker, {topic})
    producer = Producer(broker.client_config())
    consumer = _consumer(broker.client_config(f"recv.{POLICE}"), topic)
    try:
        assert _seconds_until(consumer, producer, topic, readable=True) < 30

        agreement.write_text(active.replace("status: active", "status: revoked"), encoding="utf-8")
        applied = acl(env, "apply", "--reason", "revoked")
        assert applied.exit_code == 0 and f"- User:recv.{POLICE} READ TOPIC {topic}" in applied.output
        lost = _seconds_until(consumer, producer, topic, readable=False)
        assert reads(broker.client_config(f"recv.{POLICE}"), [topic]) == {topic: False}

        agreement.write_text(active, encoding="utf-8")
        assert acl(env, "apply", "--reason", "restored").exit_code == 0
        regained = _seconds_until(consumer, producer, topic, readable=True)
    finally:
        consumer.close()
    print(f"revocation took effect in {lost:.1f}s, restoration in {regained:.1f}s")
    assert lost < 10
