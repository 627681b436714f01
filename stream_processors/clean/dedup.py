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
        seen = self._seen
        seen[event_id] = now
        seen.move_to_end(event_id)
        # Forget from the oldest end what is past the horizon or beyond ``max_entries``: one look
        # at the oldest, nearly always. One method, not two: this runs once per record.
        while seen:
            oldest_id = next(iter(seen))
            if len(seen) <= self.max_entries and now - seen[oldest_id] <= self.horizon_seconds:
                return
            del seen[oldest_id]
