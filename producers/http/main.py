"""Wiring for ``govbus serve-ingest``: settings and the token map in, the aiohttp application.

SIGTERM: ``web.run_app`` turns it into an orderly shutdown, whose cleanup stops the
``IngestDelivery`` (``app.create_app``): it answers what is queued and flushes the publisher. So
this wiring installs no handler of its own.
"""
from __future__ import annotations

import logging

from aiohttp import web

from govbus.core.catalogue import load_catalogue
from govbus.core.deadletter import load_dead_letter_schema
from govbus.core.metrics import new_metrics
from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings
from producers.http.app import Ingest, IngestConfig, create_app
from producers.http.delivery import IngestDelivery
from producers.http.readiness import add_readiness
from producers.sdk import Publisher

log = logging.getLogger(__name__)


def build_ingest_app(settings: GovbusSettings, token_map: dict[str, str], max_in_flight: int,
                     max_records: int, publisher: Publisher | None = None) -> web.Application:
    """The aiohttp application, wired to a real Publisher unless one is given (tests)."""
    catalogue = load_catalogue(settings.catalogue_dir)
    providers = {dataset: entry.provider for dataset, entry in catalogue.entries.items()}
    unknown = set(token_map.values()) - {p.department for p in providers.values()}
    if unknown:  # allowed (a department may get datasets later), but worth a line in the log
        log.warning("tokens for departments that provide no dataset: %s", sorted(unknown))
    publisher = publisher or Publisher(settings, Serde.from_settings(settings),
                                       new_metrics())
    delivery = IngestDelivery(publisher, load_dead_letter_schema(settings.schemas_dir),
                              max_in_flight)
    config = IngestConfig(load_schemas(settings.schemas_dir), providers, token_map, max_records)
    app = create_app(Ingest(config, delivery, publisher.metrics))  # one registry: /metrics
    add_readiness(app, settings)
    return app
