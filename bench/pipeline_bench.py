"""``Pipeline.process`` throughput with no Kafka: python -m bench.pipeline_bench [--profile].

The hot path of `govbus process` alone: raw framed work orders (all three shipped agreements
admit them) → decode, dedup, clean, route/mask, encode deliveries and audit events, then sign
them in batches of the agent's size, as the agent does. Beside it, in the same process and
alternating round by round, a baseline: a plain fastavro decode → re-encode of the same bytes.
The ratio pipeline/baseline is what to compare across machines and runs (a shared machine
moves both sides together); rates are per CPU-second of this process (``time.process_time``).

The registry is confluent-kafka's in-process mock: no broker, no HTTP.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timezone

import fastavro
from confluent_kafka.schema_registry import SchemaRegistryClient

from bench import entry
from bench.processor_bench import DATASET, bench_records
from govbus.core.agreements import AGREEMENTS_DIR
from govbus.core.catalogue import load_catalogue
from govbus.core.deadletter import Origin, load_bus_schema, load_dead_letter_schema
from govbus.core.metrics import new_metrics
from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import PROJECT_ROOT
from govbus.core.signing import SigningKey, load_signing_key, new_private_key_pem
from govbus.core.topics import TopicNames, value_subject
from stream_processors.agreement_book import AgreementBook
from stream_processors.app import BATCH_SIZE
from stream_processors.clean.dedup import SeenEvents
from stream_processors.pipeline import Pipeline
from stream_processors.route.logic import audit_key

TOPICS = TopicNames("bench")
MASTER_KEY = b"bench-master-key"
SCHEMAS_DIR = PROJECT_ROOT / "schemas" / "avro"


def build_pipeline(sign: bool) -> Pipeline:
    """A prepared pipeline on a fresh mock registry with the shipped catalogue and agreements."""
    schemas = load_schemas(SCHEMAS_DIR)
    catalogue_dir = PROJECT_ROOT / "catalogue"
    book = AgreementBook(catalogue_dir / AGREEMENTS_DIR, load_catalogue(catalogue_dir), schemas, MASTER_KEY)
    serde = Serde(SchemaRegistryClient.new_client({"url": f"mock://pipeline-bench-{id(book)}"}))
    signer: SigningKey | None = load_signing_key(new_private_key_pem()).value if sign else None  # type: ignore[union-attr]
    pipe = Pipeline(serde, TOPICS, schemas, book, new_metrics(), load_dead_letter_schema(SCHEMAS_DIR),
                    load_bus_schema(SCHEMAS_DIR, "govbus.bus.AuditDelivery"), audit_key(MASTER_KEY),
                    SeenEvents(600, 100_000), signing_key=signer)
    pipe.prepare()
    return pipe


def raw_inputs(pipe: Pipeline, count: int) -> list[Origin]:
    schema = pipe.schemas[DATASET]
    raw = TOPICS.raw(DATASET)
    subject = value_subject(raw)
    return [Origin(raw, 0, n, record["order_no"].encode(), pipe.serde.encode(subject, record))
            for n, record in enumerate(bench_records(schema, count))]


def pipeline_round(sign: bool, inputs: list[Origin]) -> Callable[[], int]:
    """One round: a fresh pipeline (empty dedup memory), every input through it; outputs made."""
    pipe = build_pipeline(sign)
    now = datetime.now(timezone.utc)

    def run() -> int:
        made = 0
        for start in range(0, len(inputs), BATCH_SIZE):
            batch = [out for origin in inputs[start:start + BATCH_SIZE] for out in pipe.process(origin, now)]
            made += len(pipe.sign(batch))
            pipe.flush_metrics()
        return made
    return run


def baseline_round(pipe: Pipeline, inputs: list[Origin]) -> Callable[[], int]:
    """fastavro decode → re-encode of each input with its schema parsed once."""
    parsed = fastavro.parse_schema(pipe.schemas[DATASET].schema)

    def run() -> int:
        for origin in inputs:
            record = fastavro.schemaless_reader(io.BytesIO(origin.value[5:]), parsed, None)
            out = io.BytesIO()
            out.write(origin.value[:5])
            fastavro.schemaless_writer(out, parsed, record)
        return len(inputs)
    return run


def cpu_seconds_of(run: Callable[[], int]) -> tuple[float, int]:
    start = time.process_time()
    made = run()
    return time.process_time() - start, made


def compare(inputs: list[Origin], rounds: int, sign: bool) -> None:
    probe = build_pipeline(sign)
    base_times, pipe_times, made = [], [], 0
    for n in range(rounds):  # alternate sides; a fresh pipeline per round (the dedup memory)
        base_times.append(cpu_seconds_of(baseline_round(probe, inputs))[0])
        seconds, made = cpu_seconds_of(pipeline_round(sign, inputs))
        pipe_times.append(seconds)
        print(f"round {n + 1}: baseline {len(inputs) / base_times[-1]:,.0f} rec/s, "
              f"pipeline {len(inputs) / pipe_times[-1]:,.0f} rec/s ({made} outputs)")
    base, pipe = statistics.median(base_times), statistics.median(pipe_times)
    print(f"\n{len(inputs)} hotline work orders, 3 agreements, signing {'on' if sign else 'off'}, "
          f"medians of {rounds} rounds (CPU seconds of this process):")
    for label, seconds in (("baseline fastavro decode→re-encode:", base), ("Pipeline.process (+ sign):", pipe)):
        print(f"  {label:36s}{len(inputs) / seconds:10,.0f} rec/s {seconds / len(inputs) * 1e6:8.1f} µs/rec")
    print(f"  ratio pipeline/baseline: {base / pipe:.3f} (best rounds: {min(base_times) / min(pipe_times):.3f}, "
          f"pipeline best {len(inputs) / min(pipe_times):,.0f} rec/s)")


def profile(inputs: list[Origin], sign: bool, top: int) -> None:
    run = pipeline_round(sign, inputs)
    profiler = cProfile.Profile()
    profiler.runcall(run)
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-sign", action="store_true", help="deliveries unsigned (GOVBUS_SIGN_DELIVERIES=false)")
    parser.add_argument("--profile", action="store_true", help="one profiled round: top functions")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    inputs = raw_inputs(build_pipeline(False), args.records)
    if args.profile:
        profile(inputs, not args.no_sign, args.top)
    else:
        compare(inputs, args.rounds, not args.no_sign)


if __name__ == "__main__":
    entry.run(main)
