"""The bulk publish loop shared by every file format and the generator: rows → pairs → broker.

Rows are converted in batches of ``BATCH`` (one time stamp, one ``publish_encoded``, one
``poll(0)`` and one progress update per batch: per-row calls of those cost more than the
conversion). A refused row goes, with its row number, field and reason, to the reject file
beside the input and to ``dlq.<dataset>``. The summary counts rows as they are read, and
``read == published + rejected`` is checked before the summary is returned.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from rich.console import Console
from rich.progress import Progress, ProgressColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from govbus.core.deadletter import Origin
from govbus.core.result import Fault
from govbus.core.schemas import DatasetSchema
from producers.sdk.publisher import Publisher
from producers.sdk.rows import RowEncoder, strip_annotations

BATCH = 2000
Converter = Callable[[Any], "tuple[bytes, bytes] | Fault"]
Describe = Callable[[Any], Any]


@dataclass
class ImportSummary:
    read: int = 0
    published: int = 0
    rejected: int = 0
    reject_path: Path | None = None


def reject_path_for(path: Path) -> Path:
    return path.with_name(path.name + ".rejects.jsonl")


class Rejects:
    """Where refused rows go: a JSON-lines reject file and the dataset's DLQ."""

    def __init__(self, handle: Any, publisher: Publisher, schema: DatasetSchema, owner: str,
                 origin: str, describe: Describe, headers: tuple[tuple[str, bytes], ...] = ()) -> None:
        self.handle, self.publisher, self.schema, self.owner = handle, publisher, schema, owner
        self.origin, self.describe, self.headers = origin, describe, headers

    def __call__(self, number: int, row: Any, fault: Fault) -> None:
        raw = self.describe(row)
        self.handle.write(json.dumps({"row": number, "field": fault.field, "reason": fault.reason,
                                      "rule": fault.rule, "message": fault.message, "raw": raw},
                                     ensure_ascii=False, default=str) + "\n")
        value = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, default=str)
        origin = Origin(topic=self.origin, offset=number, value=value.encode("utf-8"),
                        headers=self.headers + (("govbus.source.row", str(number).encode()),))
        self.publisher.publish_reject(self.schema, fault, origin, self.owner)


class _RowsPerSecond(ProgressColumn):
    def render(self, task: Any) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} rows/s" if speed else "… rows/s", style="progress.data.speed")


@contextmanager
def progress_bar(description: str, enabled: bool = True) -> Iterator[Callable[[int], None]]:
    """``advance(n)`` for a rows counter with rows/s on stderr; silent when not a terminal."""
    console = Console(stderr=True)
    columns = (SpinnerColumn(), TextColumn("{task.description}"),
               TextColumn("{task.completed:,.0f} rows"), _RowsPerSecond(), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not (enabled and console.is_terminal),
                  transient=False) as progress:
        task = progress.add_task(description, total=None)
        yield lambda n: progress.advance(task, n)


def run_import(rows: Iterable[tuple[int, Any]], convert: Converter, refresh: Callable[[], None],
               publisher: Publisher, schema: DatasetSchema, department: str,
               rejects: Rejects, advance: Callable[[int], None],
               batch_size: int = BATCH) -> ImportSummary:
    """Convert and publish every row; flush; the summary once every delivery is confirmed."""
    summary = ImportSummary()
    rows = iter(rows)
    while batch := list(islice(rows, batch_size)):
        refresh()
        pairs = []
        for number, row in batch:
            out = convert(row)
            if type(out) is tuple:
                pairs.append(out)
            else:
                assert isinstance(out, Fault)  # a Converter returns a pair or a Fault
                rejects(number, row, out)
                summary.rejected += 1
        summary.read += len(batch)
        summary.published += publisher.publish_encoded(schema, department, pairs)
        advance(len(batch))
    publisher.flush()
    if summary.read != summary.published + summary.rejected:  # a bug here, not in the data
        raise RuntimeError(f"import lost count: {summary}")
    return summary


@contextmanager
def reject_file(path: Path) -> Iterator[Any]:
    """The reject file, truncated so that it never shows an earlier run's rejects."""
    with path.open("w", encoding="utf-8") as handle:
        yield handle


def publish_records(records: Iterable[dict[str, Any]], encoder: RowEncoder,
                    publisher: Publisher, origin: str, reject_path: Path,
                    progress: bool = True, batch_size: int = BATCH) -> ImportSummary:
    """Records already in memory (e.g. the generator's): annotations stripped, then as JSON."""
    numbered = ((n, r) for n, r in enumerate(records, start=1))
    with reject_file(reject_path) as handle, progress_bar(origin, progress) as advance:
        rejects = Rejects(handle, publisher, encoder.schema, encoder.source.department,
                          origin, lambda record: record)
        summary = run_import(numbered, lambda r: encoder.from_record(strip_annotations(r)),
                             encoder.refresh, publisher, encoder.schema,
                             encoder.source.department, rejects, advance, batch_size)
    summary.reject_path = reject_path
    return summary
