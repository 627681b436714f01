"""The HTTP handler's decisions with a fake publisher: 401/404/403/400/429/202/503, metrics."""
from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from govbus.core.catalogue import load_catalogue
from govbus.core.schemas import load_schemas
from govbus.core.settings import PROJECT_ROOT
from producers.http.app import Ingest, IngestConfig, create_app
from producers.http.delivery import IngestDelivery
from producers.http.logic import hashed_token, tokens_from
from tests.support.helpers import SCHEMAS_DIR
from tests.support.department import FakePublisher
from tests.unit.producers.http.test_logic import submitted

TOKENS = {"hotline-token": "hotline", "fire-token": "fire"}
HOTLINE = {"Authorization": "Bearer hotline-token"}
URL = "/v1/hotline.work_order/records"


def ingest_for(publisher: FakePublisher, max_in_flight: int = 1000) -> Ingest:
    catalogue = load_catalogue(PROJECT_ROOT / "catalogue")
    config = IngestConfig(load_schemas(SCHEMAS_DIR),
                          {d: e.provider for d, e in catalogue.entries.items()},
                          tokens_from({hashed_token(t): d for t, d in TOKENS.items()}), max_records=100)
    delivery = IngestDelivery(publisher, {}, max_in_flight, flush_timeout=5)
    return Ingest(config, delivery, publisher.metrics)


def with_client(app: Ingest | web.Application,
                scenario: Callable[[TestClient], Awaitable[Any]]) -> Any:
    """Run ``scenario`` against the app on a local port (no pytest-asyncio here)."""
    async def main() -> Any:
        served = create_app(app) if isinstance(app, Ingest) else app
        async with TestClient(TestServer(served)) as client:
            return await scenario(client)
    return asyncio.run(main())


def post(body: Any, headers: dict[str, str] | None = HOTLINE, url: str = URL):
    async def scenario(client: TestClient):
        response = await client.post(url, json=body, headers=headers or {})
        return response.status, await response.json()
    return scenario


def test_good_batch_is_accepted_with_its_event_ids():
    publisher = FakePublisher()
    batch = [submitted(order_no=f"GD20250301000{i}") for i in range(3)]
    status, body = with_client(ingest_for(publisher), post(batch))
    assert status == 202 and body["accepted"] == 3
    assert body["event_ids"] == [r["envelope"]["event_id"] for _, r, _ in publisher.published]
    assert [k for _, _, k in publisher.published] == [r["order_no"] for r in batch]
    # One flush acknowledged the batch before the 202; the other is the flush on shutdown.
    assert publisher.flushes == 2 and publisher.prepared == ["hotline.work_order"]


def test_one_record_without_an_array():
    status, body = with_client(ingest_for(FakePublisher()), post(submitted()))
    assert status == 202 and len(body["event_ids"]) == 1


def test_missing_or_wrong_token_is_401():
    for headers in (None, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
        status, body = with_client(ingest_for(FakePublisher()), post(submitted(), headers))
        assert status == 401, headers


def test_unknown_dataset_is_404_but_only_for_a_known_caller():
    ingest = ingest_for(FakePublisher())
    assert with_client(ingest, post(submitted(), url="/v1/no.such/records"))[0] == 404
    assert with_client(ingest, post(submitted(), None, "/v1/no.such/records"))[0] == 401


def test_another_departments_dataset_is_403():
    publisher = FakePublisher()
    status, body = with_client(ingest_for(publisher),
                               post(submitted(), {"Authorization": "Bearer fire-token"}))
    assert status == 403 and "hotline" in body["error"] and not publisher.published


def test_bad_input_is_400_with_field_errors_and_nothing_published():
    publisher = FakePublisher()
    batch = [submitted(), submitted(channel="fax", content=7)]
    status, body = with_client(ingest_for(publisher), post(batch))
    assert status == 400 and not publisher.published
    assert sorted((e["index"], e["field"], e["reason"]) for e in body["errors"]) == [
        (1, "channel", "bad_enum"), (1, "content", "wrong_type")]


def test_unparseable_body_is_400():
    async def scenario(client: TestClient):
        response = await client.post(URL, data=b"{oops", headers=HOTLINE)
        return response.status, await response.json()
    status, body = with_client(ingest_for(FakePublisher()), scenario)
    assert status == 400 and body["errors"][0]["reason"] == "bad_json"


def test_in_flight_limit_of_zero_is_429():
    publisher = FakePublisher()
    status, _ = with_client(ingest_for(publisher, max_in_flight=0), post(submitted()))
    assert status == 429 and not publisher.published


def test_second_request_while_the_first_awaits_acknowledgement_is_429():
    publisher = FakePublisher()
    publisher.release.clear()  # the "broker" holds the first batch's acknowledgement

    async def scenario(client: TestClient):
        first = asyncio.create_task(client.post(URL, json=[submitted()] * 1, headers=HOTLINE))
        while ingest.delivery.in_flight == 0:
            await asyncio.sleep(0.01)
        second = await client.post(URL, json=submitted(order_no="GD2"), headers=HOTLINE)
        publisher.release.set()
        return (await first).status, second.status, second.headers.get("Retry-After")

    ingest = ingest_for(publisher, max_in_flight=1)
    assert with_client(ingest, scenario) == (202, 429, "1")


def test_refused_delivery_is_503_and_does_not_poison_the_next_request():
    publisher = FakePublisher(fail_flush=1)
    publisher.failures.append("stale refusal")

    async def scenario(client: TestClient):
        first = await client.post(URL, json=submitted(), headers=HOTLINE)
        second = await client.post(URL, json=submitted(), headers=HOTLINE)
        return first.status, second.status
    assert with_client(ingest_for(publisher), scenario) == (503, 202)
    assert publisher.failures == []


def test_metrics_and_health():
    async def scenario(client: TestClient):
        await client.post(URL, json=submitted(), headers=HOTLINE)
        metrics = await (await client.get("/metrics")).text()
        health = await client.get("/healthz")
        return metrics, health.status, await health.json()
    metrics, status, health = with_client(ingest_for(FakePublisher()), scenario)
    assert 'govbus_ingest_requests_total{dataset="hotline.work_order",status="202"} 1.0' in metrics
    assert "govbus_ingest_in_flight_records 0.0" in metrics
    assert status == 200 and health == {"status": "ok", "in_flight": 0}
