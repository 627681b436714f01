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


def register(settings: GovbusSettings, out_topic: str) -> int:
    """The registry id of the work-order schema under ``out_topic``'s subject (registered by the
    bench, as govbus does it, so that the peer sides need no registry client: Quix Streams'
    confluent-kafka 2.12 takes no bearer-token registry identity without an identity pool)."""
    schema = load_schemas(settings.schemas_dir)[DATASET].schema
    return Serde.from_settings(settings).prepare(value_subject(out_topic), schema)


def frames(settings: GovbusSettings, out_id: int) -> Frames:
    return Frames(fastavro.parse_schema(load_schemas(settings.schemas_dir)[DATASET].schema), out_id)
