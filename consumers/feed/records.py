"""The records that triggered an incident, as the emergency centre received them. Pure.

The detector names an incident's triggering records by envelope event id. The feed reads the
topics shared with the emergency-management recipients (``feed_records_recipients``), i.e. the
records after the processor masked them under the agreement in force, and keeps the newest of
them by event id (``RecordIndex``, bounded). An incident's view then lists the ones it names:
time, place, category, the (already scrubbed) text, the sensor and its readings. A field the
agreement encrypts or drops shows as such; nothing is unmasked here.
"""
from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

# Per dataset, which of its fields make up each part of the view (the first present wins for
# time; the others are listed in order). Datasets not named here show their
# envelope time and region only.
VIEW_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "fire.alarm": {"time": ("alarm_at",), "category": ("alarm_type",),
                   "place": ("building_name", "address", "floor"), "text": (),
                   "sensor": ("device_type", "device_id"), "readings": ("value", "unit", "threshold"),
                   "ref": ("alarm_id",)},
    "city.indicator": {"time": ("observed_at",), "category": ("indicator_name", "indicator_code"),
                       "place": (), "text": (), "sensor": ("series_id", "source_system"),
                       "readings": ("value", "unit", "quality"), "ref": ("series_id",)},
    "transport.traffic_incident": {"time": ("occurred_at",), "category": ("incident_type", "severity"),
                                   "place": ("location",), "text": ("description",), "sensor": (),
                                   "readings": ("deaths", "serious_injuries", "minor_injuries",
                                                "vehicles_involved", "road_closed"),
                                   "ref": ("incident_no",)},
    "hotline.work_order": {"time": ("accepted_at",), "category": ("category_code", "demand_type", "urgency"),
                           "place": ("address",), "text": ("content",), "sensor": (), "readings": (),
                           "ref": ("order_no",)},
}
ENCRYPTED = "（已加密 encrypted）"


def _millis(value: Any) -> int | None:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return int(aware.timestamp() * 1000)
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _shown(value: Any) -> str | None:
    """A field's value as text: None when absent; ciphertext (bytes, or an encrypted-field
    record) is never shown, only said to be there."""
    if value is None or value == "":
        return None
    if isinstance(value, (bytes, bytearray, Mapping)):
        return ENCRYPTED
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat(timespec="seconds")
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _pairs(record: Mapping[str, Any], names: Iterable[str]) -> list[dict[str, str]]:
    return [{"field": n, "value": v} for n in names if (v := _shown(record.get(n))) is not None]


def record_view(record: Mapping[str, Any], topic: str, recipient: str) -> dict[str, Any] | None:
    """The view of one shared record, or None when it has no envelope event id."""
    envelope = record.get("envelope")
    if not isinstance(envelope, Mapping) or not envelope.get("event_id"):
        return None
    dataset = str(envelope.get("dataset") or "")
    fields = VIEW_FIELDS.get(dataset, {})
    times = [_millis(record.get(n)) for n in fields.get("time", ())]
    at = next((t for t in times if t is not None), None) or _millis(envelope.get("event_time"))
    lineage = envelope.get("lineage") or []
    agreements = [(h.get("agreement_id"), h.get("agreement_version")) for h in lineage
                  if isinstance(h, Mapping) and h.get("agreement_id")]
    agreement = agreements[-1] if agreements else (None, None)
    return {
        "event_id": str(envelope["event_id"]), "dataset": dataset, "topic": topic, "recipient": recipient,
        "time_ms": at, "time": datetime.fromtimestamp(at / 1000, timezone.utc).isoformat(timespec="seconds")
        if at is not None else None,
        "region_code": _shown(record.get("region_code")) or _shown(envelope.get("region_code")),
        "category": _pairs(record, fields.get("category", ())), "place": _pairs(record, fields.get("place", ())),
        "text": _pairs(record, fields.get("text", ())), "sensor": _pairs(record, fields.get("sensor", ())),
        "readings": _pairs(record, fields.get("readings", ())), "ref": _pairs(record, fields.get("ref", ())),
        "agreement_id": agreement[0], "agreement_version": agreement[1],
        "classification": envelope.get("classification"),
    }


class RecordIndex:
    """The newest ``capacity`` shared records by event id (bounded memory: the oldest seen goes
    first). A record delivered to two recipients is kept once, as the last one delivered it."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._by_id: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._by_id)

    def add(self, view: dict[str, Any]) -> None:
        self._by_id.pop(view["event_id"], None)
        self._by_id[view["event_id"]] = view
        while len(self._by_id) > self.capacity:
            self._by_id.popitem(last=False)
            self.evicted += 1

    def triggering(self, event_ids: Iterable[str]) -> tuple[list[dict[str, Any]], list[str]]:
        """(views of the records held, newest first; ids not held: not delivered to the centre,
        not yet read, or older than the feed keeps)."""
        found, missing = [], []
        for event_id in dict.fromkeys(event_ids):
            view = self._by_id.get(event_id)
            if view is None:
                missing.append(event_id)
            else:
                found.append(view)
        found.sort(key=lambda v: (v["time_ms"] or 0, v["event_id"]), reverse=True)
        return found, missing
