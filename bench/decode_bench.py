"""The processor's decode step alone: python -m bench.decode_bench [--records N] [--rounds R].

The raw hotline work orders of ``bench.pipeline_bench``, decoded as ``Pipeline.process`` decodes
them (reader schema = the prepared raw schema, ``surrogateescape``), three ways in alternating
rounds: fastavro (``Serde.decode``, the reference), the checked compiled reader as a run uses it
(a fresh ``CheckedReader``, so its first 200 records are decoded both ways), and the compiled
reader after its checks. Rates are per CPU-second of this process.
"""
from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable

from bench import entry
from bench.pipeline_bench import TOPICS, build_pipeline, cpu_seconds_of, raw_inputs
from bench.processor_bench import DATASET
from govbus.core.avro_reader import CheckedReader
from govbus.core.deadletter import Origin
from govbus.core.result import Ok
from govbus.core.serde import Serde
from govbus.core.topics import value_subject

SUBJECT = value_subject(TOPICS.raw(DATASET))


def fastavro_round(serde: Serde, inputs: list[Origin]) -> Callable[[], int]:
    def run() -> int:
        return sum(isinstance(serde.decode(o.value, SUBJECT, "surrogateescape"), Ok) for o in inputs)
    return run


def compiled_round(serde: Serde, inputs: list[Origin], checked: bool) -> Callable[[], int]:
    reader = CheckedReader(serde, SUBJECT, "surrogateescape")
    if not checked:
        reader.checks = 0

    def run() -> int:
        return sum(isinstance(reader.decode(o.value), Ok) for o in inputs)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    pipe = build_pipeline(False)
    inputs = raw_inputs(pipe, args.records)
    if CheckedReader(pipe.serde, SUBJECT).compiled is None:
        print("no compiled reader (pip install -e ./native): every side is fastavro")
    sides: dict[str, Callable[[], Callable[[], int]]] = {
        "fastavro (Serde.decode)": lambda: fastavro_round(pipe.serde, inputs),
        "compiled, first 200 checked": lambda: compiled_round(pipe.serde, inputs, True),
        "compiled, after its checks": lambda: compiled_round(pipe.serde, inputs, False),
    }
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(args.rounds):
        for name, make in sides.items():
            seconds, decoded = cpu_seconds_of(make())
            assert decoded == len(inputs), f"{name}: {decoded} of {len(inputs)} decoded"
            times[name].append(seconds)
    print(f"{len(inputs)} raw hotline work orders, medians of {args.rounds} alternating rounds (CPU seconds):")
    reference = statistics.median(times["fastavro (Serde.decode)"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:30s}{median / len(inputs) * 1e6:8.2f} µs/rec  ×{reference / median:5.2f}")


if __name__ == "__main__":
    entry.run(main)
