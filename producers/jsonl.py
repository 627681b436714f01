"""JSON-lines adapter: one record per line → ``raw.<dataset>``.

A line that is not JSON, or does not fit the dataset's schema, is written with its line number,
field and reason to a reject file beside the input and sent to ``dlq.<dataset>``; the summary
always satisfies read = published + rejected. Keys starting with ``_`` are annotations
(e.g. the generator's ``_dirty`` label) and are not published. The work is done by the file
importer (``producers.files``), which every format shares.
"""
from __future__ import annotations

from pathlib import Path

from govbus.core.schemas import DatasetSchema
from producers.files.formats import import_json_lines
from producers.files.importer import ImportSummary
from producers.files.pipeline import Pipeline
from producers.sdk import Publisher, Source

__all__ = ["ImportSummary", "import_jsonl"]


def import_jsonl(path: Path, schema: DatasetSchema, source: Source, publisher: Publisher,
                 reject_path: Path | None = None, progress: bool = False) -> ImportSummary:
    """Publish ``path`` as ``source``; ``publisher.prepare(schema, …)`` must have run."""
    pipeline = Pipeline(schema, source, publisher.schema_id(schema.dataset))
    return import_json_lines(path, pipeline, publisher, progress, reject_path)
