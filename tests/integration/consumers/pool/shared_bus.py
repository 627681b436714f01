"""Hotline work orders on a recipient's shared topic: what the pool sink tests feed it."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from govbus.core.key_topic import publish_now
from govbus.core.result import Ok
from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import kafka_config, signing_key_pem, topic_names
from govbus.core.signing import SigningKey, load_signing_key, published, signature_headers
from govbus.core.topics import value_subject

RECIPIENT = "police"
DATASET = "hotline.work_order"
T0 = datetime(2025, 3, 1, 8, 30, tzinfo=timezone.utc)
AGREEMENT = ("agr-test", 1)


def bus_signer(settings) -> SigningKey:
    """The session's signing key (the processor's under test), published on this test's bus.keys
    so that the sink verifies what ``Bus`` produces as the processor would have signed it."""
    loaded = load_signing_key(signing_key_pem(settings))
    assert isinstance(loaded, Ok), loaded
    publish_now(settings, [published(loaded.value.public_key, T0)])
    return loaded.value


def work_order(order_no, content="noise at night", minutes=0):
    at = T0 + timedelta(minutes=minutes)
    return {
        "envelope": {"event_id": str(uuid.uuid4()), "event_time": at, "dataset": DATASET,
                     "source_department": "hotline", "source_level": "city", "region_code": "330100",
                     "classification": "L3",
                     "lineage": [{"stage": "ingest", "component": "tests", "version": "1",
                                  "agreement_id": None, "agreement_version": None, "time": at}]},
        "order_no": order_no, "channel": "phone", "accepted_at": at, "demand_type": "complaint",
        "category_code": "0301", "content": content, "address": None, "region_code": "330102001001",
        "caller_name": None, "caller_phone": None, "caller_id_no": None, "anonymous": True,
        "urgency": "normal",
    }


class Bus:
    """Produces framed hotline work orders to the recipient's shared topic of one test, signed
    as the processor signs them (its key published on the test's bus.keys)."""

    def __init__(self, settings, dataset=DATASET, schema_dataset=None, recipient=RECIPIENT):
        """``dataset`` names the topic; the hotline schema is registered for it, declaring
        ``schema_dataset`` (default: ``dataset``) as its dataset."""
        self.settings = settings
        self.topic = topic_names(settings).shared(recipient, dataset)
        self.subject = value_subject(self.topic)
        self.serde = Serde.from_settings(settings)
        schema = load_schemas(settings.schemas_dir)[DATASET].schema
        self.serde.prepare(self.subject, schema | {"dataset": schema_dataset or dataset})
        admin = AdminClient(kafka_config(settings, "admin"))
        for future in admin.create_topics([NewTopic(self.topic, 3, 1)]).values():
            future.result(30)
        self.signer = bus_signer(settings)

    def produce(self, *items):
        """Each item is a work-order dict (encoded and keyed by order_no) or raw bytes."""
        producer = Producer(kafka_config(self.settings, "producer", **{"queue.buffering.max.messages": 1_000_000}))
        failures = []
        for item in items:
            value = item if isinstance(item, bytes) else self.serde.encode(self.subject, item)
            key = b"garbage" if isinstance(item, bytes) else item["order_no"].encode()
            headers = signature_headers(self.signer, self.topic, key, value, *AGREEMENT)
            producer.produce(self.topic, value=value, key=key, headers=headers,
                             on_delivery=lambda err, _msg: err and failures.append(err))
        assert producer.flush(30) == 0 and not failures, failures
