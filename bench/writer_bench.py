"""The processor's Avro writers, native against Python: python -m bench.writer_bench.

Two measures, both in this one process (a shared machine moves separate processes apart more
than the difference measured here):
- per encode: the delivery and audit records ``Pipeline.process`` writes for the bench's work
  orders, each written by fastavro, the Python compiled writer and the native one
  (``govbus/core/avro_writer.py``), µs per record;
- per input: ``Pipeline.process`` (+ sign) as ``bench.pipeline_bench`` runs it, rounds
  alternating between the Python writers (``govbus_native`` hidden) and the native ones.
"""
from __future__ import annotations

import argparse
import statistics
import timeit
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from bench import entry
from bench.pipeline_bench import build_pipeline, cpu_seconds_of, pipeline_round, raw_inputs
from govbus.core import avro_writer
from govbus.core.avro_writer import CheckedWriter, TemplateWriter, compile_template, compile_writer
from stream_processors.pipeline import Pipeline


def written_records(pipe: Pipeline, count: int) -> tuple[list[tuple[str, dict]], list[tuple[str, dict, dict]]]:
    """(subject, delivery) and (subject, varying, whole audit event) as the pipeline writes them."""
    deliveries: list[tuple[str, dict]] = []
    audits: list[tuple[str, dict, dict]] = []
    framed, template_framed = CheckedWriter.framed, TemplateWriter.framed

    def delivery(self: CheckedWriter, record: dict[str, Any]) -> bytes:
        deliveries.append((self.name, record))
        return framed(self, record)

    def audit(self: TemplateWriter, varying: dict[str, Any], whole: Callable[[], dict[str, Any]]) -> bytes:
        audits.append((self.name, varying, whole()))
        return template_framed(self, varying, whole)
    CheckedWriter.framed, TemplateWriter.framed = delivery, audit  # type: ignore[method-assign]
    try:
        now = datetime.now(timezone.utc)
        for origin in raw_inputs(pipe, count):
            pipe.process(origin, now)
    finally:
        CheckedWriter.framed, TemplateWriter.framed = framed, template_framed  # type: ignore[method-assign]
    return deliveries, audits


def per_record_us(calls: list[tuple[Callable[[Any], bytes], Any]], repeat: int = 20) -> float:
    seconds = timeit.timeit(lambda: [write(value) for write, value in calls], number=repeat)
    return seconds / repeat / len(calls) * 1e6


def encodes(count: int) -> None:
    pipe = build_pipeline(sign=False)
    deliveries, audits = written_records(pipe, count)

    def schema(subject: str) -> dict[str, Any]:
        return pipe.serde.writer_schema_json(pipe.serde.schema_id(subject))
    print(f"µs per record ({len(deliveries)} deliveries, {len(audits)} audit events):")
    fastavro = [(pipe.serde.writer(s).framed, r) for s, r in deliveries]
    print(f"  delivery, fastavro          {per_record_us(fastavro):6.2f}")
    for native in (False, True):
        side = "native" if native else "python"
        compiled = {s: compile_writer(schema(s), native=native) for s in {s for s, _ in deliveries}}
        writers = [(compiled[s], r) for s, r in deliveries]  # one writer per topic, as the pipeline
        templates = [(compile_template(schema(s), {k: v for k, v in whole.items() if k not in varying},
                                       native=native), varying) for s, varying, whole in audits]
        print(f"  delivery, {side:18s}{per_record_us(writers):6.2f}")  # type: ignore[arg-type]
        print(f"  audit template, {side:12s}{per_record_us(templates):6.2f}")  # type: ignore[arg-type]


def rounds(count: int, repeat: int) -> None:
    native_module = avro_writer.govbus_native
    inputs = raw_inputs(build_pipeline(sign=True), count)
    times: dict[str, list[float]] = {"python": [], "native": []}
    try:
        for _ in range(repeat):
            for side in times:
                avro_writer.govbus_native = native_module if side == "native" else None
                seconds, _made = cpu_seconds_of(pipeline_round(True, inputs))
                times[side].append(seconds / count * 1e6)
    finally:
        avro_writer.govbus_native = native_module
    print(f"Pipeline.process (+ sign), {count} work orders, {repeat} alternating rounds, CPU µs per input:")
    for side, figures in times.items():
        print(f"  {side} writers: median {statistics.median(figures):6.1f}   "
              f"rounds {', '.join(f'{t:.0f}' for t in figures)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if avro_writer.govbus_native is None:
        raise SystemExit("govbus_native is not installed: pip install -e ./native")
    encodes(min(args.records, 200))
    rounds(args.records, args.rounds)


if __name__ == "__main__":
    entry.run(main)
