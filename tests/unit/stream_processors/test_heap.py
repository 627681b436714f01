"""settle_heap: one collection and one freeze per process, however often the agent calls it."""
from __future__ import annotations

import gc

import pytest

from stream_processors import heap


def test_settle_heap_freezes_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(heap, "_settled", [])
    monkeypatch.setattr(gc, "collect", lambda: calls.append("collect") or 0)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    for _ in range(3):
        heap.settle_heap()
    assert calls == ["collect", "freeze"]
