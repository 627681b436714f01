"""The feed's HTTP side through aiohttp's test client: JSON API, SSE stream, health, metrics, page.
The hub is fed directly (``hub.ingest``), as the consumer thread does through the event loop."""
from __future__ import annotations

import asyncio
import json
from typing import Any, Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient, TestServer

from consumers.feed.hub import SUBSCRIBER_QUEUE, FeedHub
from consumers.feed.logic import IncidentFilter
from consumers.feed.web import build_app
from tests.support.feed_samples import incident

Scenario = Callable[[TestClient, FeedHub], Awaitable[None]]


def run(scenario: Scenario, hub: FeedHub | None = None, **app_options: Any) -> None:
    async def main() -> None:
        the_hub = hub or FeedHub()
        async with TestClient(TestServer(build_app(the_hub, **app_options))) as client:
            await asyncio.wait_for(scenario(client, the_hub), 10)
    asyncio.run(main())


async def next_event(response, timeout: float = 2.0) -> tuple[str, Any]:
    """The next SSE message as (event, data); comment lines come back as ("comment", text)."""
    name, data = "message", None
    while True:
        line = (await asyncio.wait_for(response.content.readline(), timeout)).decode()
        if line == "":
            return "eof", None
        line = line.rstrip("\n")
        if line.startswith(":"):
            return "comment", line[1:].strip()
        if line.startswith("event: "):
            name = line[len("event: "):]
        elif line.startswith("data: "):
            data = json.loads(line[len("data: "):])
        elif line == "" and data is not None:
            return name, data


def test_incidents_api_filters_and_sorts():
    async def scenario(client, hub):
        for record in (incident("a", grade="IV"), incident("b", grade="I", region_code="350103"),
                       incident("c", region_code="350203"), incident("d", state="resolved"),
                       incident("b", grade="II", region_code="350103", version=2)):
            hub.ingest(record)
        body = await (await client.get("/api/incidents", params={"region": "3501"})).json()
        assert [(i["incident_id"], i["grade"], i["colour"]) for i in body["incidents"]] == [
            ("b", "II", "orange"), ("d", "III", "yellow"), ("a", "IV", "blue")]
        assert body["filter"] == {"region": "3501", "states": [], "grades": []}
        body = await (await client.get("/api/incidents?region=350100&state=open")).json()
        assert [i["incident_id"] for i in body["incidents"]] == ["b", "a"]
        body = await (await client.get("/api/incidents?grade=III&grade=IV")).json()
        assert [i["incident_id"] for i in body["incidents"]] == ["c", "d", "a"]
    run(scenario)


@pytest.mark.parametrize("query, message", [
    ("region=350", "2 (province), 4 (city) or 6 (county)"), ("state=closed", "unknown state"),
    ("grade=V", "unknown grade")])
def test_bad_filter_is_a_400_that_says_why(query, message):
    async def scenario(client, hub):
        for path in ("/api/incidents", "/api/stream"):
            response = await client.get(f"{path}?{query}")
            assert response.status == 400
            assert message in (await response.json())["error"]
    run(scenario)


def test_stream_sends_snapshot_then_changes_within_the_filter():
    async def scenario(client, hub):
        hub.ingest(incident("old"))
        hub.ingest(incident("elsewhere", region_code="110101"))
        response = await client.get("/api/stream?region=3501&state=open")
        assert response.headers["Content-Type"].startswith("text/event-stream")
        name, snapshot = await next_event(response)
        assert name == "snapshot" and [i["incident_id"] for i in snapshot["incidents"]] == ["old"]

        hub.ingest(incident("beijing", region_code="110105"))             # not for this viewer
        hub.ingest(incident("new", region_code="350104", grade="II"))
        assert await next_event(response) == ("incident", await _view(hub, "new"))
        hub.ingest(incident("new", region_code="350104", grade="I", version=2))
        name, view = await next_event(response)
        assert (name, view["grade"], view["colour"], view["version"]) == ("incident", "I", "red", 2)
        hub.ingest(incident("old", state="resolved", version=2))         # leaves state=open
        assert await next_event(response) == ("remove", {"incident_id": "old"})
        hub.ingest(incident("old", state="resolved", version=1))         # stale: nothing at all
        hub.mark_replayed()
        name, status = await next_event(response)
        assert name == "status" and status["replayed"] is True
    run(scenario)


async def _view(hub: FeedHub, incident_id: str) -> dict[str, Any]:
    (view,) = [i for i in hub.snapshot(IncidentFilter())["incidents"] if i["incident_id"] == incident_id]
    return view


def test_stream_heartbeat_and_shutdown_end():
    async def scenario(client, hub):
        response = await client.get("/api/stream")
        assert (await next_event(response))[0] == "snapshot"
        assert await next_event(response) == ("comment", "keep-alive")
        hub.close_all()   # what on_shutdown does: open streams end instead of holding the shutdown
        assert await next_event(response) == ("eof", None)
        assert hub.status()["subscribers"] == 0
    run(scenario, heartbeat_seconds=0.05)


def test_a_slow_viewer_is_cut_off_not_buffered_forever():
    async def scenario(client, hub):
        sub = hub.subscribe(IncidentFilter())
        for n in range(SUBSCRIBER_QUEUE + 1):
            hub.ingest(incident(f"i{n}"))
        assert sub.queue.qsize() == 1 and sub.queue.get_nowait() is None
        assert hub.status()["subscribers"] == 0
    run(scenario)


def test_healthz_and_metrics():
    async def scenario(client, hub):
        hub.set_consumer_alive(True)
        hub.ingest(incident("a"))
        hub.ingest(incident("a"))   # stale duplicate
        hub.reject("undecodable at t[0]@3: bad frame")
        health = await client.get("/healthz")
        assert health.status == 200
        assert (await health.json()) | {"replayed": None} == {
            "status": "ok", "consumer_alive": True, "replayed": None, "incidents": 1,
            "subscribers": 0, "error": None}
        text = await (await client.get("/metrics")).text()
        assert 'govbus_feed_incidents{grade="III",state="open"} 1.0' in text
        assert 'govbus_feed_incidents{grade="I",state="open"} 0.0' in text
        assert 'govbus_incident_unacknowledged_age_seconds{grade="I"} 0.0' in text
        age = [line for line in text.splitlines()
               if line.startswith('govbus_incident_unacknowledged_age_seconds{grade="III"}')]
        assert len(age) == 1 and float(age[0].rsplit(" ", 1)[1]) > 0  # the open grade III incident waits
        for outcome in ("applied", "stale", "rejected"):
            assert f'outcome="{outcome}",stage="feed"}} 1.0' in text
        hub.fail(ConnectionError("all brokers down"))
        health = await client.get("/healthz")
        assert health.status == 503 and "all brokers down" in (await health.json())["error"]
    run(scenario)


def test_page_and_assets_are_served_without_external_links():
    async def scenario(client, hub):
        page = await client.get("/")
        html = await page.text()
        assert page.status == 200 and page.content_type == "text/html"
        assert "应急指挥事件动态" in html and "Emergency command feed" in html
        for asset in ("/static/feed.js", "/static/feed.css"):
            response = await client.get(asset)
            assert response.status == 200
            assert "http://" not in await response.text() and "https://" not in await response.text()
        assert "https://" not in html and "http://" not in html
    run(scenario)


def test_wait_stopped_returns_on_stop_and_raises_on_failure():
    async def main():
        hub = FeedHub()
        hub.stop()                  # a signal before the wait began is not lost
        await asyncio.wait_for(hub.wait_stopped(), 1)
        hub = FeedHub()
        waiter = asyncio.ensure_future(hub.wait_stopped())
        await asyncio.sleep(0)
        hub.fail(RuntimeError("registry down"))
        with pytest.raises(RuntimeError, match="registry down"):
            await asyncio.wait_for(waiter, 1)
    asyncio.run(main())


def test_overview_api_follows_the_jurisdiction_filter():
    async def scenario(client, hub):
        for record in (incident("a", grade="IV"), incident("b", grade="I", region_code="350103"),
                       incident("x", region_code="350203"), incident("r", state="resolved")):
            hub.ingest(record)
        body = await (await client.get("/api/overview", params={"region": "3501"})).json()
        assert body["counts"]["open"] == 2
        fuzhou = body["regions"][0]["children"][0]
        assert (fuzhou["name"], fuzhou["open"]) == ("福州市", 2)
        assert [n["label"] for n in fuzhou["children"]] == ["福建省 福州市 鼓楼区 (350102)", "福建省 福州市 台江区 (350103)"]
        assert len(body["timeline"]) == 24 and body["sparklines"] == []
        assert (await client.get("/api/overview?region=350")).status == 400
    run(scenario)
