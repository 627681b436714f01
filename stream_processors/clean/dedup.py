"""Duplicate event ids within a horizon: re-imports and producer retries publish the same id."""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field


@dataclass
class SeenEvents:
    """Event ids delivered in the last ``horizon_seconds`` (at most ``max_entries``, oldest
    forgotten first). Per worker: records are keyed by business key, so one entity's
    duplicates reach the same partition and worker."""

    horizon_seconds: float
    max_entries: int
    _seen: OrderedDict[str, float] = field(default_factory=OrderedDict)

    def seen_recently(self, event_id: str, now: float) -> bool:
        first = self._seen.get(event_id)
        return first is not None and now - first <= self.horizon_seconds

    def remember(self, event_id: str, now: float) -> None:
        self._seen[event_id] = now
        self._seen.move_to_end(event_id)
        self._expire(now)

    def _expire(self, now: float) -> None:
        while self._seen:
            oldest_id, first = next(iter(self._seen.items()))
            if len(self._seen) <= self.max_entries and now - first <= self.horizon_seconds:
                return
            del self._seen[oldest_id]
