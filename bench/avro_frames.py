"""Confluent-framed Avro with fastavro alone (magic byte, schema id, schemaless body): what the
benchmark's peer sides use to decode and re-encode, so they do the plainest work there is and
none of govbus's own serde. The schema ids come from the registry (``prepared``)."""
from __future__ import annotations

import io
import struct
from typing import Any

import fastavro

from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings
from govbus.core.topics import value_subject

DATASET = "hotline.work_order"
_HEADER = struct.Struct(">bI")


class Frames:
    """Decode any frame of the work-order schema; encode under the output subject's id."""

    def __init__(self, parsed: Any, out_id: int) -> None:
        self._parsed, self._header = parsed, _HEADER.pack(0, out_id)

    def decode(self, value: bytes) -> dict[str, Any]:
        return fastavro.schemaless_reader(io.BytesIO(memoryview(value)[5:]), self._parsed, self._parsed)

    def encode(self, record: dict[str, Any]) -> bytes:
        out = io.BytesIO()
        out.write(self._header)
        fastavro.schemaless_writer(out, self._parsed, record)
        return out.getvalue()


def prepared(settings: GovbusSettings, raw_topic: str, out_topic: str) -> Frames:
    """The work-order schema registered under both topics' subjects (as govbus does it)."""
    schema = load_schemas(settings.schemas_dir)[DATASET].schema
    serde = Serde.from_settings(settings)
    serde.prepare(value_subject(raw_topic), schema)
    out_id = serde.prepare(value_subject(out_topic), schema)
    return Frames(fastavro.parse_schema(schema), out_id)
