"""HTTP ingest (aiohttp): ``POST /v1/{dataset}/records``, ``/metrics``, ``/healthz``.

Answers, in the order they are decided: 401 no or unknown bearer token; 404 unknown dataset;
403 the token's department is not the dataset's provider (catalogue); 400 a per-record,
per-field error list, nothing published; 429 too many records awaiting acknowledgement;
202 with the event ids once the broker acknowledged them; 503 the broker did not.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, generate_latest

from govbus.core.catalogue import Provider
from govbus.core.metrics import Metrics
from govbus.core.schemas import DatasetSchema
from producers.http.delivery import IngestDelivery, Unavailable
from producers.http.logic import FieldError, department_for, is_errors, parse_body, validate_items
from producers.sdk import Source

log = logging.getLogger(__name__)
COMPONENT = "producers.http"
RETRY_AFTER_SECONDS = "1"


@dataclass
class IngestConfig:
    schemas: dict[str, DatasetSchema]
    providers: dict[str, Provider]  # dataset → provider, from the catalogue
    tokens: dict[str, str]  # sha256(token) → department
    max_records: int = 5000
    max_body_bytes: int = 16 * 1024 * 1024


@dataclass
class Ingest:
    config: IngestConfig
    delivery: IngestDelivery
    metrics: Metrics

    def __post_init__(self) -> None:
        registry = self.metrics.registry
        self.requests = Counter("govbus_ingest_requests", "HTTP ingest requests, by dataset and "
                                "status code.", ["dataset", "status"], registry=registry)
        self.in_flight = Gauge("govbus_ingest_in_flight_records", "Records accepted for "
                               "delivery and not yet acknowledged.", registry=registry)
        self.in_flight.set_function(lambda: self.delivery.in_flight)


INGEST = web.AppKey("ingest", Ingest)


def _problem(status: int, error: str, **extra: Any) -> web.Response:
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="govbus"'
    if status in (429, 503):
        headers["Retry-After"] = RETRY_AFTER_SECONDS
    return web.json_response({"error": error, **extra}, status=status, headers=headers)


def _authorise(ingest: Ingest, request: web.Request, dataset: str) -> web.Response | str:
    """The publishing department, or the 401/404/403 answer."""
    department = department_for(request.headers.get("Authorization"), ingest.config.tokens)
    if department is None:  # checked first: an unknown caller learns nothing about datasets
        return _problem(401, "missing or unknown bearer token")
    if dataset not in ingest.config.schemas or dataset not in ingest.config.providers:
        return _problem(404, f"unknown dataset {dataset!r}")
    owner = ingest.config.providers[dataset].department
    if department != owner:
        return _problem(403, f"department {department!r} may not publish {dataset!r}: "
                             f"its provider is {owner!r}")
    return department


def _source(provider: Provider) -> Source:
    return Source(provider.department, provider.level.value, provider.region_code, COMPONENT)


def _bad_request(errors: list[FieldError]) -> web.Response:
    return _problem(400, "invalid records; nothing was published",
                    errors=[e.as_json() for e in errors])


async def post_records(request: web.Request) -> web.Response:
    ingest = request.app[INGEST]
    dataset = request.match_info["dataset"]
    response = await _handle(ingest, request, dataset)
    label = dataset if dataset in ingest.config.schemas else "unknown"
    ingest.requests.labels(label, str(response.status)).inc()
    return response


async def _handle(ingest: Ingest, request: web.Request, dataset: str) -> web.Response:
    department = _authorise(ingest, request, dataset)
    if isinstance(department, web.Response):
        return department
    items = parse_body(await request.read(), ingest.config.max_records)
    if is_errors(items):
        return _bad_request(items)
    schema, provider = ingest.config.schemas[dataset], ingest.config.providers[dataset]
    records = validate_items(schema, items, _source(provider))
    if is_errors(records):
        return _bad_request(records)
    if not ingest.delivery.reserve(len(records)):
        return _problem(429, "too many records awaiting acknowledgement; retry later",
                        in_flight=ingest.delivery.in_flight)
    try:
        await ingest.delivery.deliver(schema, records)
    except Unavailable as exc:
        return _problem(503, f"the broker did not acknowledge the records: {exc}")
    event_ids = [r["envelope"]["event_id"] for r in records]
    return web.json_response({"accepted": len(event_ids), "event_ids": event_ids}, status=202)


async def metrics_handler(request: web.Request) -> web.Response:
    body = generate_latest(request.app[INGEST].metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "in_flight": request.app[INGEST].delivery.in_flight})


async def _start_delivery(app: web.Application) -> None:
    await app[INGEST].delivery.start()


async def _stop_delivery(app: web.Application) -> None:
    await app[INGEST].delivery.stop()


def create_app(ingest: Ingest) -> web.Application:
    app = web.Application(client_max_size=ingest.config.max_body_bytes)
    app[INGEST] = ingest
    app.router.add_post("/v1/{dataset}/records", post_records)
    app.router.add_get("/metrics", metrics_handler)
    app.router.add_get("/healthz", healthz)
    app.on_startup.append(_start_delivery)
    app.on_cleanup.append(_stop_delivery)  # web.run_app turns SIGTERM into this: flush on exit
    return app
