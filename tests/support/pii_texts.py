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


def has_surrogate(text: str) -> bool:
    """A lone surrogate: no UTF-8, so every compiled part declines the text."""
    return any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)


def text_sets(pieces: Sequence[str], spliced: int) -> dict[str, Callable[[], list[str]]]:
    """The texts a differential test runs, by name (pytest ids): the corpus, 3,000 work
    orders, ``spliced`` texts of up to 12 ``pieces`` and a quarter as many of up to 40."""
    return {"corpus": corpus_texts, "work-orders": lambda: work_order_texts(3000),
            "spliced": lambda: spliced_texts(pieces, spliced, seed=18),
            "spliced-long": lambda: spliced_texts(pieces, spliced // 4, seed=19, longest=40)}
