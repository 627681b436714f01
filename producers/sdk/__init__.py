"""The adapter kit: what every department adapter (files, sql, http, synthetic) builds on.
Adapters import the kit, never each other.

- ``publisher``: ``Publisher`` (idempotent producer, checked delivery reports, metrics; a
  context manager that flushes on exit) and ``exits_on_sigterm`` for the wiring;
- ``envelope``: the envelope and deterministic event ids;
- ``provider``: raw topics are written by the dataset's provider only;
- ``rows``: the reference path, record → framed Avro (``RowEncoder``);
- ``bulk``: the batch loop rows → broker, with reject files and dead letters;
- ``mapping``: mapping files (a department's column names and labels → schema fields);
- ``csvout``: records → CSV cells, the inverse of what an import reads.

The names most adapters need are re-exported here.
"""
from producers.sdk.envelope import (
    EVENT_ID_NAMESPACE,
    EventIds,
    Source,
    envelope_for,
    event_id_for,
    region_field,
    versioned_key,
    versioned_record,
)
from producers.sdk.provider import ImportRefused, NotProvider, check_provider, provider_source
from producers.sdk.publisher import DeliveryFailed, Publisher, connect_publisher, exits_on_sigterm, producer_config

__all__ = ["EVENT_ID_NAMESPACE", "DeliveryFailed", "EventIds", "ImportRefused", "NotProvider",
           "Publisher", "Source", "check_provider", "connect_publisher", "envelope_for",
           "event_id_for", "exits_on_sigterm", "producer_config", "provider_source",
           "region_field", "versioned_key", "versioned_record"]
