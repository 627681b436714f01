"""What the free-text detector costs: texts per second alone, and the processor's pipeline with
the new scrubbers against the first one (IDs, mobiles, cards only), in one run.

1. Detector alone: ``find_pii`` + mask (what ``scrub_text_strict`` does), ``find_identifiers``
   and the first scrubber over the tune corpus (tests/data/pii/tune.jsonl), ``--repeat`` rounds,
   median texts per CPU-second.
2. Processor: the processor's own work per input record, in one process (bench.signing_bench's
   pipeline: decode, clean, route, mask for three agreements, encode deliveries and audit
   events; two agreements scrub ``content`` — the upward one at its strictest — cached once per
   record, and every field delivered in clear is scanned for identifiers), once with each
   scrubber, the two taking turns batch by batch (which goes first alternates by round), median
   input records per CPU-second and the ratio new/old. Goal: ≥ 0.8. The scrub cache and the
   name tagger's cache of Han runs (pii_names) are cleared before every round, so each round
   scrubs every text once and tags a run only the first time it meets it, as a processor
   seeing new records does.

    python -m bench.scrub_bench [--records 5000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import _lru_cache_wrapper, lru_cache
from pathlib import Path
from typing import Any, TypeAlias

from bench import entry
from bench.processor_bench import DATASET, bench_records
from bench.signing_bench import BATCH, new_pipeline
from govbus.core.deadletter import Origin
from govbus.core.settings import GovbusSettings
from govbus.core.topics import value_subject
from stream_processors.clean.dedup import SeenEvents
from stream_processors.pipeline import Pipeline
from stream_processors.route import plan
from stream_processors.route.pii import find_identifiers, find_pii
from stream_processors.route.pii_names import clear_tag_cache
from stream_processors.route.pii_policy import mask_untagged, scrub_identifiers, scrub_strict
from stream_processors.route.textscrub import scrub_identifiers_v1
from tests.support.pii_score import CORPUS_DIR, load_corpus, score_corpus, table

Cached: TypeAlias = "_lru_cache_wrapper[str]"
_OLD = lru_cache(maxsize=4096)(scrub_identifiers_v1)
# (scrub_text, scrub_text_strict) of each side; the old side had one scrubber for both.
SCRUBBERS: dict[str, tuple[Cached, Cached]] = {"new": (scrub_identifiers, scrub_strict), "old": (_OLD, _OLD)}


def texts_per_second(texts: list[str], fn: Callable[[str], Any], repeat: int) -> tuple[float, list[float]]:
    """Median texts per CPU-second of ``fn`` over ``texts``, and every round's figure."""
    rates = []
    for _ in range(repeat):
        clear_tag_cache()  # each round starts cold: repeats within the corpus may hit, nothing else
        started = time.process_time()
        for text in texts:
            fn(text)
        rates.append(len(texts) / max(time.process_time() - started, 1e-9))
    return statistics.median(rates), rates


@contextmanager
def scrubber(pair: tuple[Cached, Cached]) -> Iterator[tuple[Cached, Cached]]:
    """Plans compiled inside this block use ``pair`` for ``scrub_text`` and ``scrub_text_strict``."""
    saved = plan.scrub_identifiers, plan.scrub_strict
    plan.scrub_identifiers, plan.scrub_strict = pair
    try:
        yield pair
    finally:
        plan.scrub_identifiers, plan.scrub_strict = saved


def one_round(pipelines: dict[str, tuple[Pipeline, tuple[Cached, Cached]]], origins: list[Origin],
              flip: bool) -> dict[str, float]:
    """CPU seconds of each pipeline to process every origin, batch by batch as the agent does,
    the two sides taking turns batch by batch (so a change in the machine's load between
    batches falls on both alike); ``flip`` says which side goes first."""
    spent = dict.fromkeys(pipelines, 0.0)
    for pipeline, caches in pipelines.values():
        for cached in (*caches, mask_untagged):
            cached.cache_clear()
        pipeline.seen = SeenEvents(600, 1_000_000)  # every round sees the records as new
    clear_tag_cache()
    order = sorted(pipelines, reverse=flip)
    for start in range(0, len(origins), BATCH):
        for name in order:
            pipeline = pipelines[name][0]
            started = time.process_time()
            for origin in origins[start:start + BATCH]:
                pipeline.process(origin)
            pipeline.flush_metrics()
            spent[name] += time.process_time() - started
    return spent


def detector_figures(repeat: int, corpus: Path | None) -> None:
    source = corpus or CORPUS_DIR / "tune.jsonl"
    records = load_corpus("tune") if corpus is None else load_corpus(corpus.stem, corpus.parent)
    texts = [r["text"] for r in records]
    print(f"corpus: {source}, {len(texts)} texts, {sum(map(len, texts)) / max(len(texts), 1):.0f} characters "
          f"on average")
    print(table(score_corpus(find_pii, records), examples=0))
    scrub_strict.__wrapped__("我是陈大文")  # load the tagger's dictionary outside the timed rounds
    for name, fn in (("scrub_text_strict (find_pii + mask)", scrub_strict.__wrapped__), ("find_pii", find_pii),
                     ("find_identifiers", find_identifiers), ("old scrubber", scrub_identifiers_v1)):
        median, rates = texts_per_second(texts, fn, repeat)
        print(f"{name:30} median {median:,.0f} texts/CPU-s  {[round(r) for r in rates]}", flush=True)


def processor_figures(records: int, repeat: int) -> None:
    pipelines: dict[str, tuple[Pipeline, tuple[Cached, Cached]]] = {}
    for name, pair in SCRUBBERS.items():
        with scrubber(pair):
            pipelines[name] = (new_pipeline(GovbusSettings()), pair)
    first = pipelines["new"][0]
    raw = first.topics.raw(DATASET)
    values = bench_records(first.schemas[DATASET], records)
    origins = [Origin(raw, 0, n, r["order_no"].encode(), first.serde.encode(value_subject(raw), r))
               for n, r in enumerate(values)]
    seconds: dict[str, list[float]] = {name: [] for name in SCRUBBERS}
    for n in range(repeat):
        for name, spent in one_round(pipelines, origins, flip=n % 2 == 1).items():
            seconds[name].append(spent)
        print("round: " + "  ".join(f"{m} {records / seconds[m][-1]:,.0f}/CPU-s" for m in SCRUBBERS), flush=True)
    new, old = (records / statistics.median(seconds[m]) for m in ("new", "old"))
    print(f"processor pipeline: new scrubbers median {new:,.0f} input records/CPU-s, old {old:,.0f}; "
          f"ratio new/old {new / old:.2f} (goal ≥ 0.8)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--corpus", type=Path, default=None,
                        help="labelled texts (JSON lines); default tests/data/pii/tune.jsonl")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    detector_figures(max(args.repeat, 3), args.corpus)
    processor_figures(args.records, max(args.repeat, 3))


if __name__ == "__main__":
    entry.run(main)
