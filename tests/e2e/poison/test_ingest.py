"""The poison suite at HTTP ingest, over the real path: ingest (as svc.ingest) → raw topic →
processor (child process) → shared topics → pool sink (child process) → PostgreSQL pools.

Each poison record is sent among good ones and ends either as a 4xx naming its field and
reason (400 for what no field can hold; 422 for what the processor's cleaner would dead-letter:
ingest runs the same rules before publishing) or, when the client opted out with
``?validate=false``, as a dead letter naming its field and reason. No role stops, and every good
record sent around the poison reaches the pools.

The limits for NUL, control characters and lengths are the cleaner's (govbus/core/text_rules.py,
the schemas' ``max_length``): ``too_long`` and ``control_character`` below expect them.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from confluent_kafka import Consumer
from sqlalchemy import column, create_engine, select

from commands.acl_cmd import sync_prefix
from commands.demo import _child_env, _start, _stop, _wait_processor
from commands.localstack.stack import free_port
from commands.roles import as_identity
from consumers.pool.pools import pool_table_ref
from govbus.core.identities import Service
from govbus.core.serde import Serde
from govbus.core.settings import kafka_config, topic_names
from producers.http.logic import hashed_token, tokens_from
from producers.http.main import build_ingest_app
from tests.unit.producers.http.test_app import with_client
from tests.unit.producers.http.test_logic import submitted

DATASET = "hotline.work_order"
PROVINCE = "emergency_management_350000"  # receives every clean work order (its agreement)
HOTLINE = {"Authorization": "Bearer hotline-token"}
URL = f"/v1/{DATASET}/records"


def _raw(order_no: str, field: str, raw_json: str) -> bytes:
    body = json.dumps(submitted(order_no=order_no, **{field: "@@"}))
    return body.replace('"@@"', raw_json).encode()


def _json(record: dict) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode()


# name → (body, query, expected HTTP status, field, reason). 202: the processor dead-letters it.
POISON = {
    "nul": (_json(submitted(order_no="GDP0001", content="楼下\x00施工")), "", 422, "content",
            "control_character"),
    "nul_validated": (_json(submitted(order_no="GDP0002", content="楼下\x00施工")), "?validate=true",
                      422, "content", "control_character"),
    "lone_surrogate": (_raw("GDP0003", "content", '"\\ud800噪音"'), "", 400, "content",
                       "invalid_encoding"),
    "long_key": (_json(submitted(order_no="GDP0004" + "9" * 5000)), "?validate=false", 202, "order_no",
                 "too_long"),
    "long_key_validated": (_json(submitted(order_no="GDP0005" + "9" * 5000)), "", 422,
                           "order_no", "too_long"),
    "long_value": (_json(submitted(order_no="GDP0006", address="东街" * 2500)), "", 422, "address",
                   "too_long"),
    "text_100k": (_json(submitted(order_no="GDP0007", content="噪" * 100_000)), "?validate=false", 202,
                  "content", "too_long"),
    "huge_integer": (_raw("GDP0008", "accepted_at", str(10 ** 40)), "", 400, "accepted_at",
                     "out_of_range"),
    "before_year_one": (_raw("GDP0009", "accepted_at", "-1e18"), "", 400, "accepted_at",
                        "out_of_range"),
    "deep_nesting": (_raw("GDP0010", "content", "[" * 50_000 + "]" * 50_000), "", 400, "",
                     "too_deep"),
}


def _good(i: int) -> dict:
    return submitted(order_no=f"GDG{i:04d}")


def _send_all(app) -> dict[str, tuple[int, dict]]:
    async def scenario(client: TestClient) -> dict[str, tuple[int, dict]]:
        answers: dict[str, tuple[int, dict]] = {}
        for number, (name, (body, query, _, _, _)) in enumerate(POISON.items()):
            for good in (_good(2 * number), _good(2 * number + 1)):  # good records around each
                response = await client.post(URL, data=_json(good), headers=HOTLINE)
                answers[good["order_no"]] = (response.status, await response.json())
            response = await client.post(URL + query, data=body, headers=HOTLINE)
            answers[name] = (response.status, await response.json())
        return answers
    return with_client(app, scenario)


def _dead_letters(settings, expected: int, timeout: float = 120) -> dict[str, dict]:
    """Dead letters on dlq.<dataset>, by the key of the record they hold."""
    serde = Serde.from_settings(settings)
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": f"{settings.topic_prefix}-dlq"}))
    consumer.subscribe([topic_names(settings).dlq(DATASET)])
    letters: dict[str, dict] = {}
    deadline = time.monotonic() + timeout
    try:
        while len(letters) < expected and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is not None and not message.error():
                letters[(message.key() or b"").decode()] = serde.decode(message.value()).value
    finally:
        consumer.close()
    return letters


def _pool_orders(settings, wanted: set[str], children, timeout: float = 180) -> set[str]:
    engine = create_engine(settings.pool_url)
    table = pool_table_ref(settings, PROVINCE, DATASET).clause()
    deadline, found = time.monotonic() + timeout, set()
    while time.monotonic() < deadline and not wanted <= found:
        assert all(child.poll() is None for child in children), "a role stopped"
        try:
            with engine.connect() as conn:
                found = {row[0] for row in conn.execute(select(column("order_no")).select_from(table))}
        except Exception:  # noqa: BLE001 - the sink has not created the table yet
            pass
        time.sleep(1)
    engine.dispose()
    return found


@pytest.fixture
def pool_url(postgres_url) -> str:
    from bench.databases import fresh_database

    with fresh_database(postgres_url, "poison") as url:
        yield url


def test_poison_at_ingest_ends_as_4xx_or_dead_letter_and_good_records_reach_the_pools(
        broker, tmp_path: Path, unique, pool_url):
    prefix = f"poison{unique}"
    settings = broker.settings(tmp_path, topic_prefix=prefix, pool_url=pool_url,
                               processor_group=f"{prefix}-processor", sink_group=f"{prefix}-sink")
    sync_prefix(settings, "poison suite: this run's topic prefix")
    processor, sink, ingest = (as_identity(settings, role)
                               for role in (Service.PROCESSOR, Service.SINK, Service.INGEST))
    metrics_port = free_port()
    logs = [tmp_path / "process.log", tmp_path / "sink.log"]
    children = [_start(["process"], _child_env(processor, metrics_port), logs[0]),
                _start(["sink", "--all"], _child_env(sink, -1), logs[1])]
    try:
        _wait_processor(f"http://127.0.0.1:{metrics_port}/readyz", children, logs, 120)
        answers = _send_all(build_ingest_app(ingest, tokens_from({hashed_token("hotline-token"): "hotline"}),
                                             10_000, 100))
        good = {order for order in answers if order.startswith("GDG")}
        assert {order: answers[order][0] for order in good} == dict.fromkeys(good, 202)
        refused = {name: spec for name, spec in POISON.items() if spec[2] != 202}
        for name, (_, _, status, field, reason) in refused.items():
            got, body = answers[name]
            assert got == status, (name, body)
            assert (body["errors"][0]["field"], body["errors"][0]["reason"]) == (field, reason), name
        passed = {name: spec for name, spec in POISON.items() if spec[2] == 202}
        assert {name: answers[name][0] for name in passed} == dict.fromkeys(passed, 202)
        letters = _dead_letters(settings, len(passed))
        keys = {json.loads(POISON[name][0])["order_no"]: name for name in passed}
        found = {keys.get(key, key): (letter["field_path"], letter["reason"]) for key, letter in letters.items()}
        assert found == {name: (spec[3], spec[4]) for name, spec in passed.items()}
        assert _pool_orders(settings, good, children) >= good
        assert all(child.poll() is None for child in children), [log.read_text()[-2000:] for log in logs]
    finally:
        _stop(children)
        sync_prefix(settings, "poison suite finished", withdraw=True)
