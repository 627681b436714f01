"""HTTP ingest (aiohttp): ``POST /v1/{dataset}/records``, ``/metrics``, ``/healthz``.

Answers, in the order they are decided (docs/adapters.md#http-govbus-serve-ingest):
401 no or unknown bearer token; 404 unknown dataset; 403 the token's department is not the
dataset's provider (catalogue); 413 the body is over the cap; 202/422 a retry of an
acknowledged request (same Idempotency-Key, same/other body); 400 a per-record, per-field error
list (malformed JSON, values no field can hold, schema faults), nothing published; 422 a result
per record when the processor's cleaning rules would dead-letter some (unless ``?validate=false``),
nothing published; 429 too many records awaiting acknowledgement;
413 a record larger than the producer's message.max.bytes, nothing published; then, from the
delivery reports of this request's own records (outcome.py): 202 all published, 503 +
Retry-After none published (and none will be), 207 some published, with each record's status.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, generate_latest

from govbus.core.catalogue import Provider
from govbus.core.cleaning import CleanPlan, compile_clean_plan
from govbus.core.metrics import Metrics
from govbus.core.rule_lists import NO_LISTS, RuleLists
from govbus.core.schemas import DatasetSchema
from producers.http import idempotency
from producers.http.bodies import parse_body
from producers.http.delivery import IngestDelivery, TooLarge, Unavailable, Unencodable
from producers.http.logic import (
    FieldError,
    cleaning_errors,
    department_for,
    is_errors,
    refused_answer,
    validate_items,
)
from producers.http.outcome import answer_body, answer_status
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
    remembered_keys: int = 10_000  # Idempotency-Keys whose 202 is replayed (idempotency.py)
    rule_lists: RuleLists = NO_LISTS  # the catalogue's lists the cleaning rules use (USCC allow-list)


@dataclass
class Ingest:
    config: IngestConfig
    delivery: IngestDelivery
    metrics: Metrics

    def __post_init__(self) -> None:
        registry = self.metrics.registry
        self.requests = Counter("govbus_ingest_requests", "HTTP ingest requests, by dataset, the calling "
                                "department and status code.", ["dataset", "department", "status"],
                                registry=registry)
        self.in_flight = Gauge("govbus_ingest_in_flight_records", "Records accepted for "
                               "delivery and not yet acknowledged.", registry=registry)
        self.in_flight.set_function(lambda: self.delivery.in_flight)
        # Refused here instead of dead-lettered at the processor: still counted, by reason.
        self.refused = Counter("govbus_ingest_refused_records", "Records answered 422 because the "
                               "processor's cleaning rules would dead-letter them, by dataset, the "
                               "calling department and reason.", ["dataset", "department", "reason"],
                               registry=registry)
        self.answers = idempotency.RecentAnswers(self.config.remembered_keys)
        self.clean_plans: dict[str, CleanPlan] = {}

    def clean_plan(self, schema: DatasetSchema) -> CleanPlan:
        plan = self.clean_plans.get(schema.dataset)
        if plan is None:
            plan = self.clean_plans[schema.dataset] = compile_clean_plan(schema, self.config.rule_lists)
        return plan


INGEST = web.AppKey("ingest", Ingest)


def _problem(status: int, error: str, **extra: Any) -> web.Response:
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="govbus"'
    if status in (429, 503) or (status == 207 and extra.get("not_published")):
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


def _bad_request(errors: list[FieldError], status: int = 400) -> web.Response:
    what = "invalid records" if status == 400 else "records too large"
    return _problem(status, f"{what}; nothing was published", errors=[e.as_json() for e in errors])


async def post_records(request: web.Request) -> web.Response:
    ingest = request.app[INGEST]
    dataset = request.match_info["dataset"]
    response = await _handle(ingest, request, dataset)
    label = dataset if dataset in ingest.config.schemas else "unknown"
    # The caller's department by its token ("unknown" without a valid one): a name, not a person.
    department = department_for(request.headers.get("Authorization"), ingest.config.tokens) or "unknown"
    ingest.requests.labels(label, department, str(response.status)).inc()
    return response


def _header_error(name: str, reason: str, message: str) -> web.Response:
    return _bad_request([FieldError(None, name, reason, message, "http.header")])


def _validate_flag(request: web.Request) -> bool | None:
    """``?validate=false`` skips the cleaning rules (the records then become dead letters at the
    processor, as before): for a bulk load that wants the dead-letter topic as its review queue."""
    value = request.query.get("validate", "true").lower()
    return {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(value)


async def _handle(ingest: Ingest, request: web.Request, dataset: str) -> web.Response:
    department = _authorise(ingest, request, dataset)
    if isinstance(department, web.Response):
        return department
    key = request.headers.get(idempotency.HEADER)
    why = idempotency.check_key(key)
    if why is not None:
        return _header_error(idempotency.HEADER, "bad_idempotency_key", why)
    validate = _validate_flag(request)
    if validate is None:
        return _bad_request([FieldError(None, "validate", "bad_parameter",
                                        "validate must be true or false", "http.query")])
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _bad_request([FieldError(None, "", "body_too_large", f"the body is over "
                                        f"{ingest.config.max_body_bytes} bytes", "http.body")], 413)
    scope, digest = (department, dataset, key or ""), idempotency.body_digest(body)
    if key is not None:
        try:
            replay = ingest.answers.lookup(scope, digest)
        except idempotency.KeyReused as exc:
            return _problem(422, str(exc))
        if replay is not None:
            return web.json_response(replay.body, status=replay.status)
    result = await _accept(ingest, department, dataset, body, key, validate)
    if isinstance(result, web.Response):
        return result
    if key is not None:
        ingest.answers.remember(scope, digest, idempotency.Answer(*result))
    return _answer(*result)


def _answer(status: int, body: dict[str, Any]) -> web.Response:
    return _problem(status, **body) if status != 202 else web.json_response(body, status=202)


async def _accept(ingest: Ingest, department: str, dataset: str, body: bytes, key: str | None,
                  validate: bool) -> tuple[int, dict[str, Any]] | web.Response:
    """Parse, validate and deliver: the answer as (status, body), or a refusal."""
    items = parse_body(body, ingest.config.max_records)
    if is_errors(items):
        return _bad_request(items)
    schema, provider = ingest.config.schemas[dataset], ingest.config.providers[dataset]
    records = validate_items(schema, items, _source(provider), key)
    if is_errors(records):
        return _bad_request(records)
    if validate:
        errors = cleaning_errors(ingest.clean_plan(schema), records)
        if errors:
            for error in errors:
                ingest.refused.labels(dataset, department, error.reason).inc()
            return _problem(422, **refused_answer(errors, len(records)))
    if not ingest.delivery.reserve(len(records)):
        return _problem(429, "too many records awaiting acknowledgement; retry later",
                        in_flight=ingest.delivery.in_flight)
    try:
        outcomes = await ingest.delivery.deliver(schema, records, department)
    except Unavailable as exc:
        return _problem(503, f"nothing was published: {exc}")
    except TooLarge as exc:
        return _bad_request([FieldError(i, "", "record_too_large", f"the encoded record is over "
                                        f"the producer's message.max.bytes ({exc.limit})",
                                        "kafka.message.max.bytes") for i in exc.indices], 413)
    except Unencodable as exc:
        return _bad_request([FieldError(exc.index, "", "unencodable", str(exc), "avro.encode")])
    event_ids = [r["envelope"]["event_id"] for r in records]
    return answer_status(outcomes), answer_body(outcomes, event_ids)


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
