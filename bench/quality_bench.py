"""What the quality scorecards cost beside the processor, in one process, in CPU time (issue 19:
scorecard cost ≤ 10 % of the processor's throughput).

(a) the processor's pipeline per input record (decode, clean, route, mask for three agreements,
encode deliveries and audit events, batch signing off: `bench.signing_bench`'s setup);
(b) the quality role per record of the same framed work orders: decode, observe, fold into the
hour and day periods, close due periods every batch of 500 (what `govbus quality run` does
between consume() calls; Kafka and producing the few scorecards are not in it);
(c) the fold alone over the generated week of tests/support/quality_week.py (health, population,
applications, enterprises: keyed pseudonyms and reference look-ups on every case report).
Rounds alternate; medians of ``time.process_time`` are reported in µs per record.

    python -m bench.quality_bench [--records 5000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import statistics
import time

from bench import entry
from bench.processor_bench import DATASET, bench_records
from bench.signing_bench import BATCH, new_pipeline
from govbus.core.catalogue import load_catalogue
from govbus.core.deadletter import Origin
from govbus.core.settings import GovbusSettings
from govbus.core.topics import value_subject
from stream_processors.clean.dedup import SeenEvents
from stream_processors.pipeline import Pipeline
from stream_processors.quality.closing import close_all, close_due
from stream_processors.quality.logic import QualityState, fold_letter, fold_record
from stream_processors.quality.observe import observe_letter, observe_record
from stream_processors.quality.spec import dataset_qualities
from tests.support.quality_week import KEY, Event, generate_week


def processor_round(pipeline: Pipeline, origins: list[Origin]) -> float:
    pipeline.signing_key = None
    pipeline.seen = SeenEvents(600, 1_000_000)
    started = time.process_time()
    for origin in origins:
        pipeline.process(origin)
    pipeline.flush_metrics()
    return time.process_time() - started


def quality_round(pipeline: Pipeline, specs: dict, origins: list[Origin], ingest_ms: int) -> float:
    state = QualityState(specs, 400 * 86_400_000)  # the generator's event times span months: count every one
    spec = specs[DATASET]
    started = time.process_time()
    for start in range(0, len(origins), BATCH):
        for origin in origins[start:start + BATCH]:
            decoded = pipeline.serde.decode(origin.value)
            fold_record(state, observe_record(spec, decoded.value, ingest_ms, KEY))  # type: ignore[union-attr]
        close_due(state, ingest_ms)
    close_all(state, ingest_ms)
    assert state.too_late == 0
    return time.process_time() - started


def week_round(specs: dict, events: list[Event]) -> float:
    state = QualityState(specs, 2 * 86_400_000)
    started = time.process_time()
    for n, e in enumerate(events):
        if e.letter is None:
            fold_record(state, observe_record(specs[e.dataset], e.record, e.ingest_ms, KEY))
        else:
            fold_letter(state, observe_letter(e.letter, e.offset, e.event_ms))
        if n % BATCH == 0:
            close_due(state, 0)
    close_all(state, 0)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    settings = GovbusSettings()
    pipeline = new_pipeline(settings)
    specs = dataset_qualities(load_catalogue(settings.catalogue_dir), pipeline.schemas)
    raw = pipeline.topics.raw(DATASET)
    records = bench_records(pipeline.schemas[DATASET], args.records)
    origins = [Origin(raw, 0, n, r["order_no"].encode(), pipeline.serde.encode(value_subject(raw), r))
               for n, r in enumerate(records)]
    week = generate_week()
    ingest_ms = int(time.time() * 1000)
    seconds: dict[str, list[float]] = {"processor": [], "quality": [], "week": []}
    for _ in range(args.repeat):
        seconds["processor"].append(processor_round(pipeline, origins) / len(origins))
        seconds["quality"].append(quality_round(pipeline, specs, origins, ingest_ms) / len(origins))
        seconds["week"].append(week_round(specs, week) / len(week))
        print("round: " + "  ".join(f"{k} {v[-1] * 1e6:,.1f} µs" for k, v in seconds.items()), flush=True)
    median = {k: statistics.median(v) * 1e6 for k, v in seconds.items()}
    print(f"processor pipeline       {median['processor']:8.1f} µs CPU per input record ({args.records} work orders)")
    print(f"quality, same records    {median['quality']:8.1f} µs CPU per record (decode + observe + fold + close)"
          f"  = {100 * median['quality'] / median['processor']:.1f} % of the processor's")
    print(f"quality, generated week  {median['week']:8.1f} µs CPU per record ({len(week)} records and letters, "
          "with pseudonym checks; no decode)")


if __name__ == "__main__":
    entry.run(main)
