"""The HTTP handler's decisions with a stand-in producer (delivery reports decided by the test):
401/404/403/400/413/422/429/202/207/503, idempotent retries, the cleaning rules' 422, metrics."""
from __future__ import annotations

import asyncio
import json
from typing import Any, Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from confluent_kafka import KafkaError

from govbus.core.catalogue import load_catalogue
from govbus.core.metrics import new_metrics
from govbus.core.schemas import load_schemas
from govbus.core.settings import PROJECT_ROOT
from govbus.core.topics import TopicNames
from producers.http.app import Ingest, IngestConfig, create_app
from producers.http.delivery import IngestDelivery
from producers.http.logic import hashed_token, tokens_from
from tests.support.helpers import SCHEMAS_DIR
from tests.support.ingest import FakeProducer, JsonSerde, published_records
from tests.unit.producers.http.test_logic import submitted

TOKENS = {"hotline-token": "hotline", "fire-token": "fire"}
HOTLINE = {"Authorization": "Bearer hotline-token"}
URL = "/v1/hotline.work_order/records"


def ingest_for(producer: FakeProducer, max_in_flight: int = 1000, serde: Any = None,
               max_message_bytes: int = 1_000_000, max_body_bytes: int = 16 << 20) -> Ingest:
    catalogue = load_catalogue(PROJECT_ROOT / "catalogue")
    config = IngestConfig(load_schemas(SCHEMAS_DIR),
                          {d: e.provider for d, e in catalogue.entries.items()},
                          tokens_from({hashed_token(t): d for t, d in TOKENS.items()}),
                          max_records=100, max_body_bytes=max_body_bytes)
    metrics = new_metrics()
    delivery = IngestDelivery(producer, serde or JsonSerde(), TopicNames(""), metrics, max_in_flight,
                              timeout_seconds=2, max_message_bytes=max_message_bytes)
    return Ingest(config, delivery, metrics)


def with_client(app: Ingest | web.Application,
                scenario: Callable[[TestClient], Awaitable[Any]]) -> Any:
    """Run ``scenario`` against the app on a local port (no pytest-asyncio here)."""
    async def main() -> Any:
        served = create_app(app) if isinstance(app, Ingest) else app
        async with TestClient(TestServer(served)) as client:
            return await scenario(client)
    return asyncio.run(main())


def post(body: Any, headers: dict[str, str] | None = HOTLINE, url: str = URL, raw: bool = False):
    async def scenario(client: TestClient):
        data = body if raw else json.dumps(body)
        response = await client.post(url, data=data, headers=headers or {})
        return response.status, await response.json()
    return scenario


def _orders(n: int, prefix: str = "GD2025030100") -> list[dict]:
    return [submitted(order_no=f"{prefix}{i:03d}") for i in range(n)]


def test_good_batch_is_accepted_with_its_event_ids():
    producer = FakeProducer()
    batch = _orders(3)
    status, body = with_client(ingest_for(producer), post(batch))
    assert status == 202 and body["accepted"] == 3
    published = published_records(producer)
    assert body["event_ids"] == [r["envelope"]["event_id"] for r in published]
    assert [k.decode() for _, k, _ in producer.acknowledged] == [r["order_no"] for r in batch]


def test_one_record_without_an_array():
    status, body = with_client(ingest_for(FakeProducer()), post(submitted()))
    assert status == 202 and len(body["event_ids"]) == 1


def test_missing_or_wrong_token_is_401():
    for headers in (None, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
        status, body = with_client(ingest_for(FakeProducer()), post(submitted(), headers))
        assert status == 401, headers


def test_unknown_dataset_is_404_but_only_for_a_known_caller():
    ingest = ingest_for(FakeProducer())
    assert with_client(ingest, post(submitted(), url="/v1/no.such/records"))[0] == 404
    assert with_client(ingest, post(submitted(), None, "/v1/no.such/records"))[0] == 401


def test_another_departments_dataset_is_403():
    producer = FakeProducer()
    status, body = with_client(ingest_for(producer),
                               post(submitted(), {"Authorization": "Bearer fire-token"}))
    assert status == 403 and "hotline" in body["error"] and not producer.produced


def test_bad_input_is_400_with_field_errors_and_nothing_published():
    producer = FakeProducer()
    batch = [submitted(), submitted(channel="fax", content=7)]
    status, body = with_client(ingest_for(producer), post(batch))
    assert status == 400 and not producer.produced
    assert sorted((e["index"], e["field"], e["reason"]) for e in body["errors"]) == [
        (1, "channel", "bad_enum"), (1, "content", "wrong_type")]


def test_in_flight_limit_of_zero_is_429():
    producer = FakeProducer()
    status, _ = with_client(ingest_for(producer, max_in_flight=0), post(submitted()))
    assert status == 429 and not producer.produced


def test_second_request_while_the_first_awaits_acknowledgement_is_429():
    producer = FakeProducer()
    producer.release.clear()  # the "broker" holds the first batch's acknowledgement

    async def scenario(client: TestClient):
        first = asyncio.create_task(client.post(URL, json=[submitted()], headers=HOTLINE))
        while ingest.delivery.in_flight == 0:
            await asyncio.sleep(0.01)
        second = await client.post(URL, json=submitted(order_no="GD2"), headers=HOTLINE)
        producer.release.set()
        return (await first).status, second.status, second.headers.get("Retry-After")

    ingest = ingest_for(producer, max_in_flight=1)
    assert with_client(ingest, scenario) == (202, 429, "1")


def _refuse(order_nos: set[str], code: int = KafkaError.TOPIC_AUTHORIZATION_FAILED):
    return lambda topic, key, value: code if key.decode() in order_nos else None


def test_a_refused_request_is_503_and_does_not_touch_its_neighbours():
    producer = FakeProducer(_refuse({"GD9000000000000"}))

    async def scenario(client: TestClient):
        refused = client.post(URL, json=submitted(order_no="GD9000000000000"), headers=HOTLINE)
        good = [client.post(URL, json=submitted(order_no=f"GD1{i:014d}"), headers=HOTLINE)
                for i in range(5)]
        answers = await asyncio.gather(refused, *good)
        return [(a.status, a.headers.get("Retry-After")) for a in answers]

    answers = with_client(ingest_for(producer), scenario)
    assert answers == [(503, "1")] + [(202, None)] * 5
    assert len(producer.acknowledged) == 5


def test_partly_published_request_is_207_with_each_records_status():
    producer = FakeProducer(_refuse({"GD2025030100001"}))
    status, body = with_client(ingest_for(producer), post(_orders(3)))
    assert status == 207
    assert [r["status"] for r in body["records"]] == ["published", "not_published", "published"]
    assert body["records"][1]["reason"] == "broker_unavailable"
    assert (body["published"], body["not_published"], body["unknown"]) == (2, 1, 0)


def test_request_with_an_in_flight_timeout_is_never_503():
    # _TIMED_OUT (a request in flight that got no answer): the broker may have written it.
    producer = FakeProducer(_refuse({"GD2025030100000"}, KafkaError._TIMED_OUT))
    status, body = with_client(ingest_for(producer), post(_orders(1)))
    assert status == 207 and body["records"][0]["status"] == "unknown"


def test_record_over_the_producers_limit_is_413_and_nothing_is_produced():
    producer = FakeProducer()
    batch = [submitted(order_no="GD2025030100001"), submitted(content="长" * 2000)]
    status, body = with_client(ingest_for(producer, max_message_bytes=4000), post(batch))
    assert status == 413 and not producer.produced
    assert [(e["index"], e["reason"]) for e in body["errors"]] == [(1, "record_too_large")]


def test_broker_refusing_a_record_as_too_large_is_413():
    producer = FakeProducer(_refuse({"GD2025030100000"}, KafkaError.MSG_SIZE_TOO_LARGE))
    status, body = with_client(ingest_for(producer), post(_orders(1)))
    assert status == 413 and body["records"][0]["reason"] == "record_too_large"


def test_produce_refusing_a_record_stops_the_rest_of_its_request():
    from confluent_kafka import KafkaException

    def full_from_second(key: bytes):
        return BufferError("queue full") if key.endswith(b"1") else None
    producer = FakeProducer(raise_for=full_from_second)
    status, body = with_client(ingest_for(producer), post(_orders(3)))
    assert status == 207 and [r["status"] for r in body["records"]] == [
        "published", "not_published", "not_published"] and len(producer.produced) == 1
    too_large = FakeProducer(raise_for=lambda key: KafkaException(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE)))
    assert with_client(ingest_for(too_large), post(_orders(1)))[0] == 413


def test_body_over_the_cap_is_413():
    status, body = with_client(ingest_for(FakeProducer(), max_body_bytes=1000),
                               post(_orders(20)))
    assert status == 413 and body["errors"][0]["reason"] == "body_too_large"


def test_registry_unreachable_is_503_and_nothing_is_produced():
    producer = FakeProducer()
    status, body = with_client(ingest_for(producer, serde=JsonSerde(ConnectionError("refused"))),
                               post(submitted()))
    assert status == 503 and "registry" in body["error"] and not producer.produced


def test_idempotent_retry_of_an_acknowledged_request_publishes_nothing_more():
    producer = FakeProducer()
    keyed = HOTLINE | {"Idempotency-Key": "batch-0001"}

    async def scenario(client: TestClient):
        answers = []
        for body in (_orders(2), _orders(2), _orders(1)):
            response = await client.post(URL, data=json.dumps(body), headers=keyed)
            answers.append((response.status, await response.json()))
        return answers

    (first, body1), (again, body2), (other, body3) = with_client(ingest_for(producer), scenario)
    assert first == again == 202 and body1 == body2 and len(producer.produced) == 2
    assert other == 422 and "another body" in body3["error"]


def test_malformed_idempotency_key_is_400():
    headers = HOTLINE | {"Idempotency-Key": "has space"}
    status, body = with_client(ingest_for(FakeProducer()), post(submitted(), headers))
    assert status == 400 and body["errors"][0]["field"] == "Idempotency-Key"


# query → (status for one record the processor would dead-letter, records published)
@pytest.mark.parametrize(("query", "status", "published"), [
    ("", 422, 0),                  # the cleaning rules run by default: the answer tells the truth
    ("?validate=true", 422, 0),
    ("?validate=1", 422, 0),
    ("?validate=false", 202, 1),   # the explicit opt-out: it becomes a dead letter at the processor
    ("?validate=no", 202, 1),
])
def test_the_processors_cleaning_rules_answer_422_unless_opted_out(query, status, published):
    producer = FakeProducer()
    got, body = with_client(ingest_for(producer), post(submitted(caller_phone="12345"), url=URL + query))
    assert (got, len(producer.produced)) == (status, published), body
    if status == 422:
        [error] = body["errors"]
        assert (error["index"], error["field"], error["reason"], error["rule"]) == (
            0, "caller_phone", "bad_format", "mobile.format")


def test_a_batch_gets_a_result_per_record_and_nothing_is_published():
    producer = FakeProducer()
    batch = [submitted(order_no="GD1"), submitted(order_no="GD2", caller_id_no="350102198503121230"),
             submitted(order_no="GD3", content="楼下\x00施工"), submitted(order_no="GD4")]
    ingest = ingest_for(producer)
    status, body = with_client(ingest, post(batch))
    assert status == 422 and producer.produced == []
    assert (body["refused"], body["not_published"]) == (2, 2) and "nothing was published" in body["error"]
    assert [(r["index"], r["status"]) for r in body["records"]] == [
        (0, "not_published"), (1, "refused"), (2, "refused"), (3, "not_published")]
    assert [(e["index"], e["field"], e["reason"], e["rule"]) for e in body["errors"]] == [
        (1, "caller_id_no", "bad_check_char", "GB11643.check"), (2, "content", "control_character", "text.control")]
    refused = ingest.metrics.registry.get_sample_value(
        "govbus_ingest_refused_records_total", {"dataset": "hotline.work_order", "department": "hotline",
                                                "reason": "bad_check_char"})
    assert refused == 1


def test_validate_must_be_true_or_false():
    assert with_client(ingest_for(FakeProducer()), post(submitted(), url=URL + "?validate=maybe"))[0] == 400


def test_metrics_and_health():
    async def scenario(client: TestClient):
        await client.post(URL, json=submitted(), headers=HOTLINE)
        metrics = await (await client.get("/metrics")).text()
        health = await client.get("/healthz")
        return metrics, health.status, await health.json()
    metrics, status, health = with_client(ingest_for(FakeProducer()), scenario)
    assert 'govbus_ingest_requests_total{dataset="hotline.work_order",department="hotline",status="202"} 1.0' in metrics
    assert 'govbus_records_total{dataset="hotline.work_order",department="hotline",' \
           'outcome="published",stage="ingest"} 1.0' in metrics
    assert "govbus_ingest_in_flight_records 0.0" in metrics
    assert status == 200 and health == {"status": "ok", "in_flight": 0}
