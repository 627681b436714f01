"""Texts that hold a compiled part of the free-text detector (native/) to its Python reference:
the tune corpus, the synthetic work orders the processor benchmark sends, and text spliced from
pieces chosen to reach a rule's corners (text start and end, look-behinds, near misses)."""
from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from producers.synthetic.generate import work_orders
from tests.support.pii_score import load_corpus


def corpus_texts() -> list[str]:
    """The tune corpus (tests/data/pii/tune.jsonl); the held-out part stays unseen."""
    return [record["text"] for record in load_corpus("tune")]


def work_order_texts(count: int) -> list[str]:
    """The ``content`` of the benchmark's work orders (bench.processor_bench: seed 5)."""
    return [record["content"] for record in work_orders(count, seed=5, dirty=0.0)]


def spliced_texts(pieces: Sequence[str], count: int, seed: int, longest: int = 12) -> list[str]:
    """``count`` texts, each 1 to ``longest`` pieces drawn at random (seeded) and joined."""
    rng = random.Random(seed)  # noqa: S311 - test text, not a secret
    return ["".join(rng.choices(pieces, k=rng.randint(1, longest))) for _ in range(count)]


def mismatches(native: Callable[[str], Any], python: Callable[[str], Any], texts: Sequence[str],
               may_decline: Callable[[str], bool] = lambda text: False) -> list[str]:
    """The texts (at most five, with both answers) where ``native`` and ``python`` differ; a
    native None counts as a difference unless ``may_decline(text)``."""
    found = []
    for text in texts:
        got = native(text)
        if got is None and may_decline(text):
            continue
        want = python(text)
        if got != want:
            found.append(f"{text!r}: native {got!r}, python {want!r}")
            if len(found) == 5:
                break
    return found
