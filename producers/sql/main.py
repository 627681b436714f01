"""Wiring for ``govbus poll``: settings and a poll spec in, a table poller running until stopped.

Errors the command reports (and their exit codes) stay exceptions here: ``PollRefused`` for a
request that can never work, ``DeliveryFailed`` / ``PollError`` / SQLAlchemy errors from the run.
"""
from __future__ import annotations

import signal
import threading
from pathlib import Path

from sqlalchemy import create_engine

from govbus.core.catalogue import Provider, load_catalogue
from govbus.core.metrics import new_metrics
from govbus.core.metrics_endpoint import serve_role_metrics
from govbus.core.schemas import load_schemas
from govbus.core.settings import GovbusSettings
from producers.sdk import NotProvider, Source, check_provider, connect_publisher
from producers.sql.logic import PollSpec, load_mapping, state_key
from producers.sql.poller import PollSummary, TablePoller, run_polling
from producers.sql.state import WatermarkStore

STATE_FILE = "sql-poll.sqlite"


class PollRefused(ValueError):
    """The request names an unknown dataset or a department that does not provide it."""

    def __init__(self, message: str, option: str) -> None:
        super().__init__(message)
        self.option = option


def checked_provider(settings: GovbusSettings, dataset: str, department: str) -> Provider:
    """The dataset's provider, which must be ``department`` (raw topics are written by their
    owner only)."""
    catalogue = load_catalogue(settings.catalogue_dir)
    if dataset not in load_schemas(settings.schemas_dir):
        raise PollRefused(f"unknown dataset {dataset!r}", "--dataset")
    try:
        check_provider(catalogue, dataset, department)
    except NotProvider as exc:
        raise PollRefused(str(exc), "--department") from exc
    return catalogue.entries[dataset].provider


def stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())  # finish (flush, save) the batch, then exit
    return stop


def run_poll(settings: GovbusSettings, spec: PollSpec, department: str, mapping: Path | None,
             state: Path | None, interval: float, once: bool) -> PollSummary:
    """Poll ``spec`` until stopped (or caught up, with ``once``); the totals."""
    provider = checked_provider(settings, spec.dataset, department)
    schema = load_schemas(settings.schemas_dir)[spec.dataset]
    metrics = new_metrics()
    serve_role_metrics(settings, "sql-producer", metrics.registry, None, spec.dataset)
    # SIGTERM and SIGINT ask the loop to stop after the batch in hand (published, flushed,
    # watermark saved); leaving the ``with`` then flushes whatever is still in flight.
    stop = stop_on_signals()
    source = Source(department, provider.level.value, provider.region_code, "producers.sql")
    with connect_publisher(settings, schema, metrics) as publisher:
        store = WatermarkStore(state or settings.state_dir / STATE_FILE)
        try:
            poller = TablePoller(create_engine(spec.url), spec, schema, source, publisher, store,
                                 state_key(spec.url, spec.table, spec.dataset,
                                           settings.topic_prefix),
                                 load_mapping(mapping, spec.dataset))
            return run_polling(poller, interval, stop, once)
        finally:
            store.close()
