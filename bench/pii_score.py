"""Scoring a free-text detector against labelled texts (the corpus's JSON shape).

A labelled span counts as found when detected spans cover all of it (any kind: a
mobile reported as a WeChat id is still masked); recall is per labelled kind. Precision is the
share of detected characters that fall inside a labelled span. A ``keep`` detail counts as kept
when no detected span overlaps it.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from bench.pii_seed import records

Span = tuple[int, int, str]
TUNE = Path(__file__).resolve().parents[1] / "tests" / "data" / "pii" / "tune.jsonl"


def load_tune(path: Path | None = None) -> tuple[str, list[dict[str, Any]]]:
    """The corpus's tune part, or the seed set when the corpus is not there."""
    path = path or TUNE
    if path.exists():
        return str(path), [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return "bench/pii_seed.py", records()


def _covered(start: int, end: int, found: list[Span]) -> int:
    return sum(max(0, min(end, b) - max(start, a)) for a, b, _ in found)


def score(records: Iterable[dict[str, Any]], detect: Callable[[str], Sequence[Sequence[Any]]]) -> dict[str, Any]:
    """Recall per kind and overall, precision (by characters), share of keep details kept."""
    hit: Counter[str] = Counter()
    total: Counter[str] = Counter()
    detected_chars = true_chars = kept = keeps = 0
    misses: list[str] = []
    false: list[str] = []
    for record in records:
        text = record["text"]
        found: list[Span] = [(int(a), int(b), str(k)) for a, b, k in detect(text)]
        labelled: list[Span] = [(s["start"], s["end"], s["kind"]) for s in record["spans"]]
        for start, end, kind in labelled:
            total[kind] += 1
            if _covered(start, end, found) >= end - start:
                hit[kind] += 1
            else:
                misses.append(f"{kind}: {text[start:end]} | {text}")
        for a, b, kind in found:
            inside = _covered(a, b, labelled)
            detected_chars += b - a
            true_chars += inside
            if inside == 0:
                false.append(f"{kind}: {text[a:b]} | {text}")
        for k in record.get("keep", []):
            keeps += 1
            kept += _covered(k["start"], k["end"], found) == 0
    recall = {kind: hit[kind] / total[kind] for kind in sorted(total)}
    return {"recall": recall, "recall_all": sum(hit.values()) / max(sum(total.values()), 1),
            "precision": true_chars / max(detected_chars, 1), "kept": kept / max(keeps, 1),
            "counts": dict(total), "misses": misses, "false": false}
