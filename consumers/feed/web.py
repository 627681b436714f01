"""The feed's HTTP side (aiohttp): the page, the JSON API, the SSE stream, health and metrics.

    GET /                     the live page (static/index.html; no CDN: command rooms are offline)
    GET /api/incidents        latest version of each incident, filtered and sorted, as JSON
    GET /api/stream           Server-Sent Events: a snapshot, then each change as it happens
    GET /api/overview         counts by grade and category, region tree, last 24 h, sparklines
    GET /healthz              200 while the consumer runs, 503 once it failed
    GET /readyz               200 when broker and registry answer and the incidents are replayed;
                              503 naming what is not ready (govbus.core.health)
    GET /metrics              Prometheus text format

Filters (both APIs): ``region`` (jurisdiction code prefix: 2, 4 or 6 digits), ``state`` and
``grade`` (repeatable or comma-separated).
"""
from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from consumers.feed.hub import FeedHub
from consumers.feed.logic import FilterError, IncidentFilter, parse_filter
from consumers.feed.overview import overview
from govbus.core.health_server import Health

STATIC_DIR = Path(__file__).parent / "static"
HUB: web.AppKey[FeedHub] = web.AppKey("hub", FeedHub)
HEARTBEAT: web.AppKey[float] = web.AppKey("heartbeat", float)
HEALTH: web.AppKey[Health | None] = web.AppKey("health")
# A comment line this often keeps idle streams open through proxies and notices gone viewers.
HEARTBEAT_SECONDS = 15.0
# EventSource reconnects after this long when the stream drops (ms, sent to the browser).
RETRY_MS = 1000


def build_app(hub: FeedHub, heartbeat_seconds: float = HEARTBEAT_SECONDS,
              health: Health | None = None) -> web.Application:
    app = web.Application()
    app[HUB] = hub
    app[HEARTBEAT] = heartbeat_seconds
    app[HEALTH] = health
    app.router.add_get("/", index)
    app.router.add_get("/api/incidents", incidents)
    app.router.add_get("/api/stream", stream)
    app.router.add_get("/api/overview", overview_api)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_static("/static/", STATIC_DIR)
    app.on_shutdown.append(_end_streams)
    return app


async def _end_streams(app: web.Application) -> None:
    # Open SSE responses would otherwise hold the shutdown until aiohttp's timeout.
    app[HUB].close_all()


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False))


def _filter(request: web.Request) -> IncidentFilter:
    query = request.query
    try:
        return parse_filter(query.get("region"), query.getall("state", []), query.getall("grade", []))
    except FilterError as exc:
        raise web.HTTPBadRequest(text=json.dumps({"error": str(exc)}, ensure_ascii=False),
                                 content_type="application/json") from exc


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


async def incidents(request: web.Request) -> web.Response:
    return _json(request.app[HUB].snapshot(_filter(request)))


async def overview_api(request: web.Request) -> web.Response:
    """The operator's overview of what the filter lets this viewer see (consumers/feed/overview.py)."""
    return _json(overview(request.app[HUB].board.select(_filter(request)), int(time.time() * 1000)))


async def healthz(request: web.Request) -> web.Response:
    status = request.app[HUB].status()
    return _json(status, 503 if status["status"] != "ok" else 200)


async def readyz(request: web.Request) -> web.Response:
    health = request.app[HEALTH]
    if health is None:
        return _json({"status": "not ready", "not_ready": {"start": "no health checks configured"}}, 503)
    code, body = health.ready()
    return _json(body, code)


async def metrics(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    hub.refresh_gauges()
    body = generate_latest(hub.metrics.base.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def sse_frame(event: str, data: dict[str, Any]) -> bytes:
    """One SSE message; JSON has no raw newlines, so it fits one ``data:`` line."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


async def stream(request: web.Request) -> web.StreamResponse:
    flt = _filter(request)  # before prepare(): a bad filter is a plain 400, not a broken stream
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache",
        "X-Accel-Buffering": "no"})  # nginx in front must not buffer the stream
    await response.prepare(request)
    hub = request.app[HUB]
    sub = hub.subscribe(flt)
    try:
        await response.write(f"retry: {RETRY_MS}\n\n".encode())
        while True:
            try:
                event = await asyncio.wait_for(sub.queue.get(), request.app[HEARTBEAT])
            except TimeoutError:
                await response.write(b": keep-alive\n\n")
                continue
            if event is None:  # shut down, or this viewer fell too far behind
                break
            await response.write(sse_frame(*event))
    except ConnectionResetError:
        pass  # the viewer went away
    finally:
        hub.unsubscribe(sub)
    return response
