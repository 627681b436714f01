"""Routing under agreements against the real broker, with the processor running as a child
process: a mixed load of three datasets — one upward flow (hotline → province), one recipient
limited to one county (Gulou urban management), one agreement revoked mid-run (population →
health) — ends with exactly the expected records on each shared topic and the invalid ones in
the DLQ with reasons.
"""
from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

from confluent_kafka.admin import AdminClient

from commands.demo_counts import topic_count
from govbus.core.deadletter import load_dead_letter_schema
from govbus.core.metrics import new_metrics
from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import PROJECT_ROOT, kafka_config, topic_names
from producers.sdk import Publisher
from tests.support.samples import SAMPLES

POLICE, URBAN, PROVINCE, HEALTH = ("public_security_350100", "urban_management_350102",
                                   "emergency_management_350000", "health_350100")


def _variant(dataset: str, n: int, **fields) -> dict:
    record = copy.deepcopy(SAMPLES[dataset]) | fields
    schema_key = {"hotline.work_order": "order_no", "population.resident": "person_no",
                  "market.enterprise_registration": "uscc"}[dataset]
    if schema_key != "uscc":
        record[schema_key] = f"{record[schema_key]}-{n}"
    record["envelope"] = record["envelope"] | {
        "event_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{dataset}/{n}")),
        "region_code": fields.get("region_code", record["envelope"]["region_code"])}
    return record


def _hotline_batch(start: int) -> list[dict]:
    """12 orders: 4 Gulou complaints, 4 Taijiang suggestions, 2 Gulou reports, 2 bad IDs.
    Police (complaint/report/help): 6; Gulou urban management: 6; province (all valid): 10."""
    batch = [_variant("hotline.work_order", start + i, region_code="350102001001") for i in range(4)]
    batch += [_variant("hotline.work_order", start + 4 + i, region_code="350103001001",
                       demand_type="suggestion") for i in range(4)]
    batch += [_variant("hotline.work_order", start + 8 + i, demand_type="report") for i in range(2)]
    batch += [_variant("hotline.work_order", start + 10 + i, caller_id_no="350102198503121231")
              for i in range(2)]
    return batch


def _publish(settings, records: list[dict]) -> None:
    schemas = load_schemas(settings.schemas_dir)
    publisher = Publisher(settings, Serde.from_settings(settings), new_metrics())
    for record in records:
        schema = schemas[record["envelope"]["dataset"]]
        publisher.prepare(schema, load_dead_letter_schema(settings.schemas_dir))
        publisher.publish(schema, record, str(record[schema.key_field]))
    publisher.flush()


def _wait_counts(settings, expected: dict[str, int], timeout: float = 90) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        counts = {topic: topic_count(settings, topic) for topic in expected}
        if counts == expected or time.monotonic() > deadline:
            return counts
        time.sleep(0.5)


def _partitions(settings, topic: str) -> int:
    admin = AdminClient(kafka_config(settings, "admin"))
    return len(admin.list_topics(topic, timeout=10).topics[topic].partitions)


def _revoke(path: Path) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace("status: active", "status: revoked"),
                    encoding="utf-8")


def test_mixed_load_routes_exactly(broker, tmp_path, unique):
    catalogue = tmp_path / "catalogue"
    shutil.copytree(PROJECT_ROOT / "catalogue", catalogue)
    hotline_entry = catalogue / "resources" / "hotline.work_order.yaml"  # sized off the default
    hotline_entry.write_text(hotline_entry.read_text(encoding="utf-8") + "partitions: 4\n", encoding="utf-8")
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}", catalogue_dir=catalogue)
    topics = topic_names(settings)
    env = os.environ | broker.env() | {
                        "GOVBUS_TOPIC_PREFIX": f"t{unique}", "GOVBUS_CATALOGUE_DIR": str(catalogue),
                        "GOVBUS_PROCESSOR_GROUP": f"p{unique}", "GOVBUS_METRICS_PORT": "-1",
                        "GOVBUS_AGREEMENTS_RELOAD_SECONDS": "1", "GOVBUS_STATE_DIR": str(tmp_path / "state")}
    child = subprocess.Popen([sys.executable, "-m", "commands.main", "process"], env=env,
                             stdout=(tmp_path / "process.log").open("wb"), stderr=subprocess.STDOUT)
    try:
        phase1 = _hotline_batch(0) + [_variant("population.resident", i) for i in range(5)]
        phase1 += [_variant("market.enterprise_registration", 0)]
        _publish(settings, phase1)
        expected = {topics.shared(POLICE, "hotline.work_order"): 6, topics.shared(URBAN, "hotline.work_order"): 6,
                    topics.shared(PROVINCE, "hotline.work_order"): 10, topics.shared(HEALTH, "population.resident"): 5,
                    topics.shared(POLICE, "market.enterprise_registration"): 1,
                    topics.dlq("hotline.work_order"): 2}
        assert _wait_counts(settings, expected) == expected, (tmp_path / "process.log").read_text()[-3000:]
        # The processor created the topics it writes as the catalogue sizes them (topic plan).
        assert _partitions(settings, topics.shared(POLICE, "hotline.work_order")) == 4
        assert _partitions(settings, topics.shared(HEALTH, "population.resident")) == 6
        assert _partitions(settings, topics.audit_deliveries) == 1

        _revoke(catalogue / "agreements" / "population-to-health-fz.yaml")
        time.sleep(3)  # reload runs every second; revocation must hold within 10 s
        _publish(settings, _hotline_batch(100) + [_variant("population.resident", 100 + i) for i in range(5)])
        expected |= {topics.shared(POLICE, "hotline.work_order"): 12, topics.shared(URBAN, "hotline.work_order"): 12,
                     topics.shared(PROVINCE, "hotline.work_order"): 20, topics.dlq("hotline.work_order"): 4}
        assert _wait_counts(settings, expected) == expected
        time.sleep(2)  # nothing late may arrive on the revoked agreement's topic
        assert topic_count(settings, topics.shared(HEALTH, "population.resident")) == 5
    finally:
        child.terminate()
        child.wait(30)
