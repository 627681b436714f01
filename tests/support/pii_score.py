"""Score a free-text PII detector against the labelled corpus in tests/data/pii/ (issue 16, part 4).

Pure: give it a detector (``find_pii(text) -> spans``, each span with ``start``, ``end``, ``kind``
attributes or a ``(start, end, kind)`` tuple) and corpus records; it returns counts, never reads
a clock or a file except in ``load_corpus``.

What is measured, and why:
- **recall** of a labelled span: 1 if every character of it lies inside some detected span, of
  any kind (the question is whether the text leaves readable, not whether the detector named the
  kind right), else 0. Per kind, and overall over all spans (micro average). A detection that
  masks only part of a phone number leaves the rest readable, so partial cover counts as a miss.
- **precision**, per detected span: the share of detected spans that overlap at least one
  labelled span. Per span rather than per character, so that boundary conventions (a mobile's
  +86, the 先生 after a full name, the brackets of an area code) do not count against a
  detector; a detected span over plain text is a false alarm whatever its length.
- **keep rate**: the share of ``keep`` spans (districts, public places, departments, dates,
  amounts, reference numbers, ...) that no detected span touches: an ordinary detail partly
  masked is no longer readable.
- **kind agreement** (informative, no target): of the covered spans, the share for which a
  detected span overlapping it carries the labelled kind; masks are per kind, so this says
  whether the masks will read right.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CORPUS_DIR = Path(__file__).resolve().parents[1] / "data" / "pii"
KINDS = ("name", "address", "landline", "mobile", "id_card", "passport", "plate", "email", "bank_card",
         "qq", "wechat")
# The targets, on the held-out part: each kind with a check rule or fixed format 0.98.
RULE_CHECKED = ("id_card", "mobile", "bank_card", "plate", "email", "landline")
TARGETS = {"overall": 0.95, "name": 0.92, **{kind: 0.98 for kind in RULE_CHECKED}, "keep": 0.9}

Span = tuple[int, int, str]


@dataclass
class Tally:
    """Hits out of a total; ``rate`` of an empty tally is 1.0 (nothing to miss)."""
    hits: int = 0
    total: int = 0

    def add(self, hit: bool) -> None:
        self.hits += hit
        self.total += 1

    @property
    def rate(self) -> float:
        return self.hits / self.total if self.total else 1.0


@dataclass
class Score:
    recall: dict[str, Tally] = field(default_factory=lambda: {kind: Tally() for kind in KINDS})
    overall: Tally = field(default_factory=Tally)
    precision: Tally = field(default_factory=Tally)
    keep: Tally = field(default_factory=Tally)
    kind_agreement: Tally = field(default_factory=Tally)
    missed: list[str] = field(default_factory=list)       # "id kind 'text'" of spans left readable
    false_alarms: list[str] = field(default_factory=list)  # "id kind 'text'" of detections over plain text
    kept_broken: list[str] = field(default_factory=list)   # "id what 'text'" of ordinary details touched


def load_corpus(name: str, directory: Path = CORPUS_DIR) -> list[dict[str, Any]]:
    """The records of tests/data/pii/<name>.jsonl (``tune`` or ``heldout``)."""
    with (directory / f"{name}.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def as_span(found: Any) -> Span:
    """A detector's span as ``(start, end, kind)``: a PiiSpan-like object or a tuple."""
    if hasattr(found, "start") and hasattr(found, "kind") and not isinstance(found, tuple):
        return int(found.start), int(found.end), str(found.kind)
    start, end, kind = found
    return int(start), int(end), str(kind)


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def _covered(start: int, end: int, detected: list[Span]) -> bool:
    """Every character of [start, end) lies inside some detected span."""
    inside = set()
    for d_start, d_end, _ in detected:
        inside.update(range(max(start, d_start), min(end, d_end)))
    return len(inside) == end - start


def score_record(record: dict[str, Any], detected: list[Span], score: Score) -> None:
    text, rid = record["text"], record["id"]
    for label in record["spans"]:
        start, end, kind = label["start"], label["end"], label["kind"]
        hit = _covered(start, end, detected)
        score.recall.setdefault(kind, Tally()).add(hit)
        score.overall.add(hit)
        if hit:
            score.kind_agreement.add(any(k == kind and _overlaps(start, end, s, e) for s, e, k in detected))
        else:
            score.missed.append(f"{rid} {kind} {text[start:end]!r}")
    for start, end, kind in detected:
        hit = any(_overlaps(start, end, label["start"], label["end"]) for label in record["spans"])
        score.precision.add(hit)
        if not hit:
            score.false_alarms.append(f"{rid} {kind} {text[start:end]!r}")
    for keep in record["keep"]:
        untouched = not any(_overlaps(keep["start"], keep["end"], s, e) for s, e, _ in detected)
        score.keep.add(untouched)
        if not untouched:
            score.kept_broken.append(f"{rid} {keep['what']} {text[keep['start']:keep['end']]!r}")


def score_corpus(find_pii: Callable[[str], Iterable[Any]], records: Iterable[dict[str, Any]]) -> Score:
    score = Score()
    for record in records:
        score_record(record, [as_span(found) for found in find_pii(record["text"])], score)
    return score


def shortfalls(score: Score, targets: dict[str, float] = TARGETS) -> list[str]:
    """One line per target the score misses; empty when all are met."""
    rates = {"overall": score.overall, "keep": score.keep, **score.recall}
    return [f"{name}: {rates[name].rate:.3f} < {target}" for name, target in targets.items()
            if rates[name].rate < target]


def table(score: Score, examples: int = 15) -> str:
    """The per-kind table and the first misses, false alarms and touched ordinary details."""
    rows = [f"{'kind':<10} {'recall':>7} {'hits/total':>11} {'target':>7}"]
    for name, tally in [*score.recall.items(), ("overall", score.overall), ("keep", score.keep)]:
        target = f"{TARGETS[name]:.2f}" if name in TARGETS else ""
        rows.append(f"{name:<10} {tally.rate:>7.3f} {f'{tally.hits}/{tally.total}':>11} {target:>7}")
    rows.append(f"precision (per detected span) {score.precision.rate:.3f} "
                f"({score.precision.hits}/{score.precision.total}); kind agreement {score.kind_agreement.rate:.3f}")
    for title, items in (("missed", score.missed), ("false alarms", score.false_alarms),
                         ("ordinary details touched", score.kept_broken)):
        if items and examples:
            rows.append(f"{title} ({len(items)}, first {min(examples, len(items))}):")
            rows.extend(f"  {item}" for item in items[:examples])
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    """``python -m tests.support.pii_score [tune|heldout] [module:function]``: print the table.

    The default detector is stream_processors.route.pii:find_pii; ``tests.support.pii_baseline:
    scrub_text_find_pii`` scores the old scrub_text rules. Exit 1 when a target is missed.
    """
    import importlib  # noqa: PLC0415 (only the command line names a detector to import)

    part = argv[0] if argv else "heldout"
    module_name, _, function = (argv[1] if len(argv) > 1 else "stream_processors.route.pii:find_pii").partition(":")
    score = score_corpus(getattr(importlib.import_module(module_name), function), load_corpus(part))
    print(table(score, examples=0 if part == "heldout" else 15))  # the held-out texts stay unseen
    missed = shortfalls(score)
    print("targets met" if not missed else "below target: " + "; ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
