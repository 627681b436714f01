"""The Confluent wire format, the one serde for every path (confluent-kafka and Faust alike).

Frame: magic byte 0, 4-byte big-endian schema id, Avro binary body (fastavro). Schema ids are
registered or resolved at start-up (``prepare``) and cached: registry calls block, and Faust's
event loop must not wait on HTTP per record (faust-notes.md). A writer schema id not seen before
is fetched once and cached.

This module is the only place that frames, unframes or calls fastavro's writer and reader. Hot
paths take an ``AvroBody`` (a schema parsed once, with its frame) instead of the ``Serde``'s
per-call lookups; paths that write Avro by hand (the import fast path) take the primitives at
the end of this module, so that every byte layout is defined here.
"""
from __future__ import annotations

import io
import json
import struct
from dataclasses import dataclass, field
from typing import Any, cast

import fastavro
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from govbus.core.registry_auth import RegistryIdentity, load_identity
from govbus.core.result import Fault, Ok
from govbus.core.settings import GovbusSettings

MAGIC = 0
_HEADER = struct.Struct(">bI")


def frame(schema_id: int, body: bytes) -> bytes:
    return _HEADER.pack(MAGIC, schema_id) + body


def unframe(data: bytes | None) -> Ok[tuple[int, memoryview]] | Fault:
    """Split a Confluent frame into (schema id, Avro body)."""
    if data is None or len(data) < _HEADER.size:
        return Fault("undecodable", "wire.frame", "value is empty or shorter than the 5-byte frame")
    magic, schema_id = _HEADER.unpack_from(data)
    if magic != MAGIC:
        return Fault("undecodable", "wire.magic", f"magic byte is {magic}, expected 0")
    return Ok((schema_id, memoryview(data)[_HEADER.size:]))


def encode_body(parsed_schema: Any, record: dict[str, Any]) -> bytes:
    return AvroBody(parsed_schema).write(record)


class AvroBody:
    """One schema, parsed once, for a hot path: writes and reads the Avro body, and writes the
    frame too when built with a schema id. Why an object: parsing a schema costs more than
    writing many records, and the methods are then the bare fastavro calls."""

    __slots__ = ("parsed", "header")

    def __init__(self, parsed: Any, schema_id: int | None = None) -> None:
        self.parsed = parsed
        self.header = frame(schema_id, b"") if schema_id is not None else b""

    @classmethod
    def of(cls, schema: dict[str, Any], schema_id: int | None = None) -> "AvroBody":
        """From a schema as JSON (parsed from a copy: fastavro's parser annotates its input)."""
        return cls(fastavro.parse_schema(json.loads(json.dumps(schema))), schema_id)

    def write(self, record: dict[str, Any]) -> bytes:
        out = io.BytesIO()
        fastavro.schemaless_writer(out, self.parsed, record)
        return out.getvalue()

    def framed(self, record: dict[str, Any]) -> bytes:
        """The frame (schema id given at construction) and the body."""
        out = io.BytesIO()
        out.write(self.header)
        fastavro.schemaless_writer(out, self.parsed, record)
        return out.getvalue()

    def read(self, body: bytes | memoryview, reader: Any = None, text_errors: str = "strict") -> dict[str, Any]:
        """The record in ``body`` (resolved to the parsed ``reader`` schema if given); raises
        on bytes that do not fit the schema. ``text_errors="surrogateescape"`` reads strings
        that are not valid UTF-8 with lone surrogates in place of the bad bytes."""
        record = fastavro.schemaless_reader(io.BytesIO(body), self.parsed, reader,
                                            handle_unicode_errors=text_errors)
        # A govbus body schema is a record: fastavro's return type is every Avro value's union.
        return cast("dict[str, Any]", record)


# Without a timeout the registry client waits for an answer forever; a stalled registry must
# stop the process (an infrastructure fault), not hang it.
REGISTRY_TIMEOUT_SECONDS = 30


def registry_client(url: str, identity: RegistryIdentity | None = None) -> SchemaRegistryClient:
    """A client of the registry at ``url``, as ``identity`` (bearer tokens), else anonymous."""
    config = identity.client_config() if identity else {}
    return SchemaRegistryClient({"url": url, "timeout": REGISTRY_TIMEOUT_SECONDS} | config)


def settings_identity(settings: GovbusSettings) -> RegistryIdentity | None:
    """The registry identity the settings name (``GOVBUS_REGISTRY_IDENTITY_FILE``), or None."""
    path = settings.registry_identity_file
    return load_identity(path) if path is not None else None


# For consumers that decode govbus topics with confluent-kafka's own AvroDeserializer: from 2.16
# its default subject strategy first asks the registry for topic "associations", an API that
# Apicurio does not have (404) — and one such request was seen to hang. govbus names subjects
# by topic (TopicNameStrategy), so say so.
STOCK_DESERIALIZER_CONF = {"subject.name.strategy.type": "TOPIC"}


@dataclass
class Serde:
    """Encodes and decodes records for one process, with a schema cache.

    ``registry`` is a confluent-kafka SchemaRegistryClient (any Confluent-compatible registry).
    """

    registry: SchemaRegistryClient
    _by_id: dict[int, Any] = field(default_factory=dict)
    _json_by_id: dict[int, dict[str, Any]] = field(default_factory=dict)
    _id_by_subject: dict[str, int] = field(default_factory=dict)
    _parsed_by_subject: dict[str, Any] = field(default_factory=dict)
    _readers: dict[int, AvroBody] = field(default_factory=dict)
    _writers: dict[str, AvroBody] = field(default_factory=dict)

    @classmethod
    def connect(cls, registry_url: str, identity: RegistryIdentity | None = None) -> "Serde":
        return cls(registry_client(registry_url, identity))

    @classmethod
    def from_settings(cls, settings: GovbusSettings) -> "Serde":
        """A serde on the settings' registry, as the identity they name (else anonymous)."""
        return cls.connect(settings.registry_url, settings_identity(settings))

    def prepare(self, subject: str, schema: dict[str, Any]) -> int:
        """Cache the id of ``schema`` under ``subject``. Call at start-up.

        Looks the schema up first, which the registry counts as a read (anonymous where reads
        are open); registers it only when the subject does not hold it yet, which needs an
        identity allowed to write (the governance identity, docs/security.md)."""
        schema_str = json.dumps(schema, ensure_ascii=False, sort_keys=True)
        schema_id = self._lookup_or_register(subject, Schema(schema_str, "AVRO"))
        parsed = fastavro.parse_schema(json.loads(schema_str))
        self._id_by_subject[subject] = schema_id
        self._parsed_by_subject[subject] = parsed
        self._writers[subject] = AvroBody(parsed, schema_id)
        self._by_id[schema_id] = parsed
        self._json_by_id[schema_id] = json.loads(schema_str)
        return schema_id

    def _lookup_or_register(self, subject: str, schema: Schema) -> int:
        try:
            found = self.registry.lookup_schema(subject, schema).schema_id
        except SchemaRegistryError as exc:
            if exc.http_status_code != 404:  # 40401 no subject, 40403 no such schema in it
                raise
            found = None
        return found if found is not None else self.registry.register_schema(subject, schema)

    def encode(self, subject: str, record: dict[str, Any]) -> bytes:
        """Frame ``record`` with the id prepared for ``subject``. Raises on a record that does
        not fit the schema: callers validate first (govbus.core.records)."""
        return self._writers[subject].framed(record)

    def writer(self, subject: str) -> AvroBody:
        """The framing writer prepared for ``subject`` (what ``encode`` calls)."""
        return self._writers[subject]

    def writer_schema(self, schema_id: int) -> Any:
        """The parsed writer schema for ``schema_id`` (fetched from the registry once)."""
        parsed = self._by_id.get(schema_id)
        if parsed is None:
            raw = self.writer_schema_json(schema_id)
            parsed = self._by_id[schema_id] = fastavro.parse_schema(json.loads(json.dumps(raw)))
        return parsed

    def reader(self, schema_id: int) -> AvroBody:
        """The body reader of writer schema ``schema_id`` (fetched from the registry once)."""
        found = self._readers.get(schema_id)
        if found is None:
            found = self._readers[schema_id] = AvroBody(self.writer_schema(schema_id))
        return found

    def writer_schema_json(self, schema_id: int) -> dict[str, Any]:
        """The writer schema as JSON, with govbus's attributes (``dataset``, ``key``, tags)."""
        raw = self._json_by_id.get(schema_id)
        if raw is None:
            schema_str = self.registry.get_schema(schema_id).schema_str
            assert schema_str is not None  # the registry answers an id with its schema's text
            raw = self._json_by_id[schema_id] = json.loads(schema_str)
        return raw

    def schema_id(self, subject: str) -> int:
        return self._id_by_subject[subject]

    def decode(self, data: bytes | None, reader_subject: str | None = None,
               text_errors: str = "strict") -> Ok[dict[str, Any]] | Fault:
        """Decode a framed value; with ``reader_subject``, resolve it to that subject's prepared
        schema (Avro schema resolution). A registry outage raises: that is infrastructure, not data.
        ``text_errors="surrogateescape"`` lets a string that is not valid UTF-8 through as lone
        surrogates, so that the cleaner can name its field (govbus.core.text_rules)."""
        framed = unframe(data)
        if isinstance(framed, Fault):
            return framed
        schema_id, body = framed.value
        try:
            writer = self.reader(schema_id)
        except SchemaRegistryError as exc:
            if exc.http_status_code != 404:  # the registry is down or refusing: infrastructure
                raise
            return Fault("unknown_schema", "wire.schema_id", f"schema id {schema_id} is not in the registry")
        reader = self._parsed_by_subject.get(reader_subject) if reader_subject else None
        try:
            record = writer.read(body, reader, text_errors)
        except Exception as exc:  # noqa: BLE001 - any Avro read failure is a data fault
            return Fault("undecodable", "wire.avro", f"Avro body does not match schema {schema_id}: {exc}")
        return Ok(record)


# --- Avro binary primitives, for paths that write a record's bytes without fastavro ----------

def varint(n: int) -> bytes:
    """Avro's zig-zag varint of a long."""
    n = (n << 1) ^ (n >> 63)
    if n < 0x80:
        return _SMALL[n]
    if 1 << 35 <= n < 1 << 42:  # every millisecond time stamp of 1971-2109: six bytes, unrolled
        return bytes((n & 0x7F | 0x80, n >> 7 & 0x7F | 0x80, n >> 14 & 0x7F | 0x80,
                      n >> 21 & 0x7F | 0x80, n >> 28 & 0x7F | 0x80, n >> 35))
    out = bytearray()
    while n & ~0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


_SMALL = [bytes((i,)) for i in range(0x80)]
# The length prefixes of strings up to 1 KiB, precomputed: most cells are short strings.
SHORT_LENGTHS = [varint(i) for i in range(1024)]
# float and double: IEEE 754, little-endian.
FLOAT_PACKERS = {"float": struct.Struct("<f").pack, "double": struct.Struct("<d").pack}


def encode_string(text: str) -> bytes:
    data = text.encode()
    n = len(data)
    return (SHORT_LENGTHS[n] if n < 1024 else varint(n)) + data
