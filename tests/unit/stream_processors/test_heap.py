"""settle_heap: one collection and one freeze per process, however often the agent calls it."""
from __future__ import annotations

import gc

import pytest

from stream_processors import heap


@pytest.fixture(autouse=True)
def _thresholds_kept() -> object:
    """settle_heap sets the collector's thresholds for the process: give the test run its own back."""
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_settle_heap_freezes_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(heap, "_settled", [])
    monkeypatch.setattr(gc, "collect", lambda: calls.append("collect") or 0)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    for _ in range(3):
        heap.settle_heap()
    assert calls == ["collect", "freeze"]


def test_settle_heap_collects_the_young_generation_less_often(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "_settled", [])
    monkeypatch.setattr(gc, "collect", lambda: 0)
    monkeypatch.setattr(gc, "freeze", lambda: None)
    gc.set_threshold(700, 10, 10)
    heap.settle_heap()
    heap.settle_heap()
    assert gc.get_threshold() == (heap.YOUNG_THRESHOLD, 10, 10)  # the older generations as they were
    assert heap.YOUNG_THRESHOLD > 700
