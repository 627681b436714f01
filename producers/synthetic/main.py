"""Wiring for ``govbus generate``: records to JSON lines / CSV, or through the SDK as the
dataset's provider department would publish them. While publishing, SIGTERM is an orderly
exit, so that the publisher's ``with`` block delivers what is in flight."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO, Any, Iterable

from govbus.core.settings import GovbusSettings
from producers.sdk import connect_publisher, exits_on_sigterm, provider_source
from producers.sdk.bulk import BATCH, ImportSummary, publish_records
from producers.sdk.csvout import write_csv
from producers.sdk.mapping import body_fields
from producers.sdk.rows import RowEncoder
from producers.synthetic.generate import paced, project_schemas, records


def write_json_lines(items: Iterable[dict[str, Any]], handle: IO[str]) -> int:
    count = 0
    for record in items:
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_generated(dataset: str, count: int, seed: int, dirty: float, rate: float | None,
                    out: Path | None) -> int:
    """Write to ``out`` (CSV when it ends in .csv, else JSON lines) or stdout; returns count.
    CSV has no room for the ``_dirty`` labels, so it holds the records without them."""
    items = paced(records(dataset, count, seed, dirty), rate)
    if out is not None and out.suffix.lower() == ".csv":
        fields = [f["name"] for f in body_fields(project_schemas()[dataset])]
        return write_csv(items, out, fields)
    if out is None:
        return write_json_lines(items, sys.stdout)
    with out.open("w", encoding="utf-8") as handle:
        return write_json_lines(items, handle)


def publish_generated(settings: GovbusSettings, dataset: str, count: int, seed: int,
                      dirty: float, rate: float | None, department: str | None = None,
                      progress: bool = True) -> ImportSummary:
    """Publish through the SDK as ``department`` (default: the catalogue's provider). Dirty
    records the adapter refuses go to the DLQ and a reject file in the cache directory."""
    schema, source = provider_source(settings, dataset, department, None, None,
                                     "producers.synthetic")
    rejects = settings.cache_dir / "rejects" / f"generate-{dataset}-seed{seed}.rejects.jsonl"
    rejects.parent.mkdir(parents=True, exist_ok=True)
    # With a rate, batches of about a second's records, so that records leave when made.
    batch = max(1, min(BATCH, int(rate))) if rate else BATCH
    with exits_on_sigterm(), connect_publisher(settings, schema) as publisher:
        encoder = RowEncoder(schema, source, publisher.schema_id(dataset))
        return publish_records(paced(records(dataset, count, seed, dirty), rate), encoder,
                               publisher, f"generate:{dataset}", rejects, progress, batch)
