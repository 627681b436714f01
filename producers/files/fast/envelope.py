"""The envelope's Avro bytes, spliced from parts prepared once per import.

Why: most of the envelope is the same for every row of an import (dataset, department, level,
the ingest lineage hop); only the event id, event time, region and classification change. Those
four are written here; the rest is encoded by fastavro itself, from the schema, so a change to
the envelope schema cannot be written wrongly — it is caught by the self-check at construction,
which raises Unsupported and sends the dataset down the reference path.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from govbus import __version__
from govbus.core.serde import AvroBody, encode_string, varint
from producers.files.fast.cells import EPOCH, ONE_MS, Unsupported
from producers.sdk.envelope import Source

EXPECTED_FIELDS = ("event_id", "event_time", "dataset", "source_department", "source_level",
                   "region_code", "classification", "lineage")
_CONSTANT = ("dataset", "source_department", "source_level")


def _piece_writer(envelope: dict[str, Any], names: tuple[str, ...]) -> AvroBody:
    """A writer of a record schema of just ``names`` (a record's bytes are its fields' bytes in
    order, so a piece encodes to the slice of the envelope those fields occupy)."""
    fields = [f for f in envelope["fields"] if f["name"] in names]
    return AvroBody.of({"type": "record", "name": "EnvelopePiece", "fields": fields})


class EnvelopeTemplate:
    """Writes the envelope of ``schema`` for ``source``; ``refresh(now)`` once per batch."""

    def __init__(self, envelope_schema: dict[str, Any], dataset: str, source: Source) -> None:
        names = tuple(f["name"] for f in envelope_schema["fields"])
        if names != EXPECTED_FIELDS:
            raise Unsupported(f"envelope fields {names} are not the ones the template writes")
        self.source, self.dataset = source, dataset
        self._full = AvroBody.of(envelope_schema)
        self._lineage = _piece_writer(envelope_schema, ("lineage",))
        self.constant = _piece_writer(envelope_schema, _CONSTANT).write({
            "dataset": dataset, "source_department": source.department,
            "source_level": source.level})
        symbols = envelope_schema["fields"][6]["type"]["symbols"]
        self.classification = {s: varint(i) for i, s in enumerate(symbols)}
        self.now: datetime | None = None
        self.now_bytes, self.lineage = b"", b""

    def hop(self, now: datetime) -> dict[str, Any]:
        return {"stage": "ingest", "component": self.source.component, "version": __version__,
                "agreement_id": None, "agreement_version": None, "time": now}

    def refresh(self, now: datetime) -> None:
        """The time of this batch's rows: their lineage hop, and event time where the dataset
        names no event-time field."""
        self.now, self.now_bytes = now, varint((now - EPOCH) // ONE_MS)
        self.lineage = self._lineage.write({"lineage": [self.hop(now)]})

    def encode(self, event_id: str, time_bytes: bytes, region: str, level: str) -> bytes:
        return b"".join((b"\x48", event_id.encode(), time_bytes, self.constant,
                         encode_string(region), self.classification[level], self.lineage))

    def self_check(self, now: datetime) -> None:
        """Raise Unsupported unless the spliced bytes equal fastavro's for a sample."""
        self.refresh(now)
        sample: dict[str, Any] = {"event_id": "0b7c4c8e-2f4a-5b1e-9d3a-6a1f0e2c9b11", "event_time": now,
                  "dataset": self.dataset, "source_department": self.source.department,
                  "source_level": self.source.level, "region_code": "350102001001",
                  "classification": "L3", "lineage": [self.hop(now)]}
        spliced = self.encode(sample["event_id"], self.now_bytes, "350102001001", "L3")
        if spliced != self._full.write(sample):
            raise Unsupported("spliced envelope differs from fastavro's encoding")
