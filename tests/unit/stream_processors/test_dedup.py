"""Duplicate event ids within a horizon (stream_processors/clean/dedup.py): an id is seen again
only within ``horizon_seconds``, at most ``max_entries`` are kept (the oldest forgotten first),
and remembering an id again makes it the newest."""
from __future__ import annotations

from stream_processors.clean.dedup import SeenEvents


def test_an_id_is_seen_again_only_within_the_horizon() -> None:
    seen = SeenEvents(horizon_seconds=10, max_entries=100)
    seen.remember("a", 100.0)
    assert seen.seen_recently("a", 110.0)
    assert not seen.seen_recently("a", 110.5)
    assert not seen.seen_recently("b", 100.0)


def test_ids_past_the_horizon_are_forgotten_when_a_newer_one_is_remembered() -> None:
    seen = SeenEvents(horizon_seconds=10, max_entries=100)
    for n, at in enumerate((100.0, 101.0, 105.0)):
        seen.remember(f"e{n}", at)
    seen.remember("late", 111.5)  # e0 and e1 are past the horizon now; e2 is not
    assert list(seen._seen) == ["e2", "late"]


def test_at_most_max_entries_are_kept_the_oldest_forgotten_first() -> None:
    seen = SeenEvents(horizon_seconds=1000, max_entries=3)
    for n in range(5):
        seen.remember(f"e{n}", 100.0 + n)
    assert list(seen._seen) == ["e2", "e3", "e4"]


def test_remembering_an_id_again_makes_it_the_newest() -> None:
    seen = SeenEvents(horizon_seconds=1000, max_entries=3)
    for name in ("a", "b", "c"):
        seen.remember(name, 100.0)
    seen.remember("a", 101.0)
    seen.remember("d", 102.0)  # one too many: the oldest is now b, not a
    assert list(seen._seen) == ["c", "a", "d"]
    assert seen.seen_recently("a", 101.0)
