"""File-import throughput: ``govbus import`` of a 200k-row GBK CSV with Chinese headers into the
real broker, against a bare confluent-kafka producer sending the same records' pre-encoded
bytes, in one run. Targets: import ≥ 50k rows/s and ≥ 0.5 × the bare rate. The import runs as
``govbus import`` does (the compiled reader of ``native/``); the Python reader is timed too.

Both sides use the SDK's librdkafka configuration (idempotent, acks=all, lz4) and topics
created beforehand with the same partitions; each is timed from its first row to the flush
that confirms the last delivery. Runs alternate sides so drift in the machine's load hits both;
medians are reported.

    python -m bench.import_bench [--rows 200000] [--runs 3] [--dataset hotline.work_order]

The broker comes from GOVBUS_BOOTSTRAP_SERVERS / GOVBUS_REGISTRY_URL, else the local stack
(started if needed).
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from functools import partial
from pathlib import Path

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from bench import entry
from commands.endpoints import with_endpoints
from govbus.core import identities
from govbus.core.settings import PROJECT_ROOT, GovbusSettings, kafka_config, topic_names
from producers.files.encoding import detect_encoding
from producers.files.fast import native
from producers.files.fast.gbtable import gb18030_tables
from producers.files.fast.text import TextRows
from producers.files.formats import import_csv
from producers.files.pipeline import ImportPipeline
from producers.files.readers import csv_rows
from producers.sdk import connect_publisher, provider_source
from producers.sdk.csvout import write_csv
from producers.sdk.mapping import Mapping, body_fields, load_mapping, plan_columns
from producers.synthetic.generate import project_schemas, records

MAPPINGS = PROJECT_ROOT / "producers" / "files" / "mappings"


def make_csv(dataset: str, rows: int, folder: Path) -> tuple[Path, Mapping]:
    """The department's export: GBK, Chinese headers where a shipped mapping has them."""
    mapping_path = MAPPINGS / f"{dataset}.yaml"
    mapping = load_mapping(mapping_path) if mapping_path.exists() else Mapping()
    fields = [f["name"] for f in body_fields(project_schemas()[dataset])]
    path = folder / f"{dataset}.csv"
    write_csv(records(dataset, rows, seed=2026, dirty=0), path, fields, mapping, "gbk")
    return path, mapping


def pre_encode(settings: GovbusSettings, dataset: str, path: Path,
               mapping: Mapping) -> list[tuple[bytes, bytes]]:
    """The exact (key, value) bytes the import publishes, for the bare producer."""
    schema, source = provider_source(settings, dataset, None, None, None, "bench")
    pipeline = ImportPipeline(schema, source, schema_id=1)
    with csv_rows(path, detect_encoding(path)) as rows_in:
        rows = TextRows(schema, plan_columns(schema, mapping, rows_in.headers), mapping)
        convert = pipeline.text_converter(rows)
        return [convert(row) for _n, row in rows_in.rows]


def create_topics(settings: GovbusSettings, *topics: str) -> None:
    admin = AdminClient(kafka_config(settings, "admin"))
    for future in admin.create_topics([NewTopic(t, 1, 1) for t in topics]).values():
        future.result(30)


def run_import(settings: GovbusSettings, dataset: str, path: Path, mapping: Mapping,
               compiled: bool = True) -> float:
    schema, source = provider_source(settings, dataset, None, None, None, "producers.files.csv")
    create_topics(settings, topic_names(settings).raw(dataset), topic_names(settings).dlq(dataset))
    publisher = connect_publisher(settings, schema)  # registry round trips: not timed
    pipeline = ImportPipeline(schema, source, publisher.schema_id(dataset))
    started = time.perf_counter()
    summary = import_csv(path, pipeline, publisher, mapping, progress=False, compiled=compiled)
    elapsed = time.perf_counter() - started
    if summary.published != summary.read:
        raise SystemExit(f"benchmark rows were refused: {summary}")
    return summary.read / elapsed


def run_bare(settings: GovbusSettings, pairs: list[tuple[bytes, bytes]]) -> float:
    topic = f"{settings.topic_prefix}.bare"
    create_topics(settings, topic)
    producer = Producer(kafka_config(settings, "producer"))
    producer.list_topics(topic, timeout=10)  # connected and metadata known before the clock
    started = time.perf_counter()
    for i, (key, value) in enumerate(pairs):
        while True:
            try:
                producer.produce(topic, value, key)
                break
            except BufferError:
                producer.poll(0.05)
        if i % 1000 == 0:
            producer.poll(0)
    if producer.flush(120):
        raise SystemExit("bare producer: records left unacknowledged")
    return len(pairs) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dataset", default="hotline.work_order")
    args = parser.parse_args()
    base = with_endpoints(GovbusSettings(), identity=identities.ADMIN, start_stack=True)
    folder = Path(tempfile.mkdtemp(prefix="govbus-import-bench-"))
    path, mapping = make_csv(args.dataset, args.rows, folder)
    pairs = pre_encode(base, args.dataset, path, mapping)
    print(f"{args.rows:,} rows of {args.dataset}, {path.stat().st_size / 1e6:.1f} MB GBK CSV; "
          f"{sum(len(v) for _k, v in pairs) / len(pairs):.0f} bytes a record")
    if not native.available("gb18030"):
        print("the compiled reader (native/) is not installed: `govbus import` runs in Python")
    else:
        report_reader(path)
    imports, bares, pythons = [], [], []
    for run in range(args.runs):
        tag = uuid.uuid4().hex[:8]
        fresh = {side: base.model_copy(update={"topic_prefix": f"bench{tag}{side}"})
                 for side in ("c", "b", "p")}  # every side writes topics of its own
        sides = [("import", partial(run_import, fresh["c"], args.dataset, path, mapping), imports),
                 ("bare", partial(run_bare, fresh["b"], pairs), bares),
                 ("python", partial(run_import, fresh["p"], args.dataset, path, mapping, False), pythons)]
        for name, side, rates in sides if run % 2 == 0 else reversed(sides):
            rates.append(side())
            print(f"run {run + 1} {name:>6}: {rates[-1]:>10,.0f} rows/s")
        print(f"run {run + 1}  ratio: {imports[-1] / bares[-1]:.2f} × bare")
    print(f"median of the per-run ratios: "
          f"{statistics.median(i / b for i, b in zip(imports, bares, strict=True)):.2f}")
    report(statistics.median(imports), statistics.median(bares), statistics.median(pythons))


def report_reader(path: Path) -> None:
    """The compiled reader alone (decode + parse, no Python objects): what the import's
    conversion costs before encoding and producing."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        native.govbus_native._scan_csv(str(path), "gb18030", *gb18030_tables())
        times.append(time.perf_counter() - started)
    size = path.stat().st_size / 1e6
    print(f"compiled reader alone: {size / statistics.median(times):,.0f} MB/s (median of 3)")


def report(imported: float, bare: float, python: float) -> None:
    ratio = imported / bare
    print(f"median import with the Python reader (GOVBUS_NATIVE_IMPORT=false) {python:,.0f} "
          f"rows/s, {python / bare:.2f} × bare")
    print(f"median import {imported:,.0f} rows/s (target ≥ 50,000: "
          f"{'met' if imported >= 50_000 else 'MISSED'})")
    print(f"median bare   {bare:,.0f} rows/s")
    print(f"ratio {ratio:.2f} × bare (target ≥ 0.5: {'met' if ratio >= 0.5 else 'MISSED'})")


if __name__ == "__main__":
    entry.run(main)
