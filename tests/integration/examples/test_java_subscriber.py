"""The subscriber examples of docs/subscribers.md, run against the real broker and registry.

Records are made the way the processor makes them (a real agreement's plan, ``route``, govbus's
serde) and written to a shared topic of this test's own; then the Java example
(examples/java-subscriber, built with Maven) and the Python snippet copied out of
docs/subscribers.md must each read back exactly those records.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from govbus.core.agreements import load_agreement
from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import PROJECT_ROOT, kafka_config, topic_names
from govbus.core.topics import value_subject
from stream_processors.route.logic import route
from stream_processors.route.plan import compile_plan
from tests.support.helpers import work_order

EXAMPLE = PROJECT_ROOT / "examples" / "java-subscriber"
JAR = EXAMPLE / "target" / "java-subscriber.jar"
DOC = PROJECT_ROOT / "docs" / "subscribers.md"
AGREEMENT = PROJECT_ROOT / "catalogue" / "agreements" / "hotline-to-public-security-fz.yaml"
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
ORDERS = ["GD202611260000101", "GD202611260000102", "GD202611260000103"]
LINE = re.compile(r"^(\d+):(\d+) key=(\S+) (\{.*\})$")


def _publish_shared(broker, tmp_path: Path, unique: str) -> tuple[str, dict[str, dict[str, Any]]]:
    """Three work orders on ``t<unique>.shared.public_security_350100.hotline.work_order``,
    masked by the real agreement; returns the topic and the delivered records by key."""
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}")
    schema = load_schemas(settings.schemas_dir)["hotline.work_order"]
    plan = compile_plan(load_agreement(AGREEMENT), schema, "city", b"test-master-key")
    topic = topic_names(settings).shared(plan.recipient_id, schema.dataset)
    admin = AdminClient(kafka_config(settings, "admin"))
    for future in admin.create_topics([NewTopic(topic, 2, 1)]).values():
        future.result(30)
    serde = Serde.from_settings(settings)
    serde.prepare(value_subject(topic), plan.shared_schema)
    producer = Producer(kafka_config(settings, "producer"))
    delivered = {}
    for i, order_no in enumerate(ORDERS):
        record = work_order(order_no=order_no, region_code="350102001001",
                            caller_name=["张三", None, "欧阳娜娜"][i])
        record["envelope"] = record["envelope"] | {"region_code": "350102001001",
                                                   "event_id": f"00000000-0000-5000-8000-00000000010{i}"}
        [delivery] = route(record, [plan], NOW, "tests.examples", "1")
        producer.produce(topic, serde.encode(value_subject(topic), delivery.record), order_no.encode())
        delivered[order_no] = delivery.record
    assert producer.flush(30) == 0
    return topic, delivered


def _as_avro_json(value: Any) -> Any:
    """A decoded record as Avro's GenericRecord.toString() renders it: timestamps as epoch
    milliseconds, enums and UUIDs as strings."""
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, dict):
        return {k: _as_avro_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_avro_json(v) for v in value]
    return value


def _build_example() -> None:
    """``mvn -q -B package``, unless the jar is newer than the pom and every source file."""
    sources = [EXAMPLE / "pom.xml", *(p for p in (EXAMPLE / "src").rglob("*") if p.is_file())]
    if JAR.exists() and JAR.stat().st_mtime > max(p.stat().st_mtime for p in sources):
        return
    mvn = shutil.which("mvn")
    assert mvn, "Maven (mvn) is needed to build examples/java-subscriber"
    subprocess.run([mvn, "-q", "-B", "package"], cwd=EXAMPLE, check=True, timeout=900)
    assert JAR.exists()


def test_java_subscriber_prints_exactly_the_shared_records(broker, tmp_path, unique):
    topic, delivered = _publish_shared(broker, tmp_path, unique)
    _build_example()
    java = shutil.which("java")
    assert java, "Java 17+ is needed to run examples/java-subscriber"
    done = subprocess.run(
        [java, "-jar", str(JAR), broker.bootstrap, broker.registry_url, topic, f"g{unique}",
         str(len(delivered)), "90", *_identity_arg(broker)],
        capture_output=True, timeout=150)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]
    lines = done.stdout.decode("utf-8").splitlines()
    assert len(lines) == len(delivered), lines
    printed = {}
    for line in lines:
        match = LINE.match(line)
        assert match, line
        printed[match.group(3)] = json.loads(match.group(4))
    assert printed == {key: _as_avro_json(record) for key, record in delivered.items()}
    # The masking reached the Java side as masked text, not as the original values.
    assert printed["GD202611260000101"]["caller_phone"] == "138****8000"
    assert printed["GD202611260000102"]["caller_name"] is None


def _identity_arg(broker) -> list[str]:
    """The identity file a recipient is handed (here bus-admin's: the ACLs come separately)."""
    return [str(broker.kafka_password_file)] if broker.kafka_password_file else []


def _python_snippet() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    snippet = next((b for b in blocks if "def read_shared" in b), None)
    assert snippet, "docs/subscribers.md has no Python block defining read_shared"
    return snippet


def test_python_snippet_in_the_docs_reads_the_same_records(broker, tmp_path, unique):
    topic, delivered = _publish_shared(broker, tmp_path, unique)
    namespace: dict[str, Any] = {}
    exec(compile(_python_snippet(), str(DOC), "exec"), namespace)  # noqa: S102 - our own doc
    got = namespace["read_shared"](broker.bootstrap, broker.registry_url, topic, f"g{unique}",
                                   max_records=len(delivered), timeout=60,
                                   identity_file=broker.kafka_password_file)
    # fastavro hands the envelope's uuid-typed event id back as a uuid.UUID.
    assert {key: _uuid_as_text(record) for key, record in got} == delivered


def _uuid_as_text(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: _uuid_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_uuid_as_text(v) for v in value]
    return value
