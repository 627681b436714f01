"""Avro schemas from ``schemas/avro``: the single source of truth for datasets and field tags.

Shared named types (the envelope) live in ``schemas/avro/common/<full.name>.avsc``; each dataset
schema is ``schemas/avro/<dataset>.avsc`` and refers to them by name. Here they are inlined into
one self-contained schema per dataset, which is what the registry stores and what fastavro parses.
Field tags (``level`` L1–L4 and ``pii`` kind) are Avro field attributes; the catalogue is checked
against them. So are the string limits (``text`` kind and ``max_length``, govbus.core.text_rules).
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import fastavro

from govbus.core.text_rules import TextRule, holds_strings, key_fields_of, text_rule_of

LEVELS = ("L1", "L2", "L3", "L4")


@dataclass(frozen=True)
class FieldTag:
    name: str
    level: str
    pii: str | None
    doc: str
    nullable: bool


@dataclass(frozen=True)
class DatasetSchema:
    dataset: str
    key_field: str
    schema: dict[str, Any]  # self-contained (named types inlined)
    path: Path = field(compare=False)

    @cached_property
    def parsed(self) -> Any:
        return fastavro.parse_schema(copy.deepcopy(self.schema))

    @cached_property
    def schema_str(self) -> str:
        return json.dumps(self.schema, ensure_ascii=False, sort_keys=True)

    @cached_property
    def tags(self) -> dict[str, FieldTag]:
        """Tags of the dataset's own fields (the envelope excluded)."""
        return {f["name"]: _tag_of(f) for f in self.schema["fields"] if f["name"] != "envelope"}

    @cached_property
    def text_rules(self) -> dict[str, TextRule]:
        """The text kind and length limit of each dataset field that holds strings (text_rules)."""
        keys = key_fields_of(self.schema)
        return {f["name"]: text_rule_of(f, keys) for f in self.schema["fields"]
                if f["name"] != "envelope" and holds_strings(f["type"])}

    def classification(self, record: dict[str, Any] | None = None) -> str:
        """Highest level among fields (present, non-null ones when a record is given)."""
        levels = [t.level for t in self.tags.values()
                  if record is None or record.get(t.name) is not None]
        return max(levels, default="L1")


def _tag_of(avro_field: dict[str, Any]) -> FieldTag:
    ftype = avro_field["type"]
    nullable = isinstance(ftype, list) and "null" in ftype
    return FieldTag(avro_field["name"], avro_field.get("level", ""), avro_field.get("pii"),
                    avro_field.get("doc", ""), nullable)


def load_named_types(schemas_dir: Path) -> dict[str, dict[str, Any]]:
    """Shared named types by full name, from ``common/*.avsc``."""
    named: dict[str, dict[str, Any]] = {}
    for path in sorted((schemas_dir / "common").glob("*.avsc")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        named[f"{schema['namespace']}.{schema['name']}"] = schema
    return named


def inline_named_types(schema: Any, named: dict[str, dict[str, Any]], seen: set[str]) -> Any:
    """Replace the first reference to each shared named type by its definition (Avro allows
    a named type to be defined once per schema; later references stay as names)."""
    if isinstance(schema, str):
        if schema in named and schema not in seen:
            seen.add(schema)
            return inline_named_types(copy.deepcopy(named[schema]), named, seen)
        return schema
    if isinstance(schema, list):
        return [inline_named_types(s, named, seen) for s in schema]
    if isinstance(schema, dict):
        out = dict(schema)
        if "fields" in schema:
            out["fields"] = [{**f, "type": inline_named_types(f["type"], named, seen)}
                             for f in schema["fields"]]
        for child in ("items", "values"):
            if child in schema:
                out[child] = inline_named_types(schema[child], named, seen)
        return out
    return schema


def load_dataset_schema(path: Path, named: dict[str, dict[str, Any]]) -> DatasetSchema:
    raw = json.loads(path.read_text(encoding="utf-8"))
    dataset = raw.get("dataset") or path.stem
    return DatasetSchema(dataset, raw.get("key", ""), inline_named_types(raw, named, set()), path)


def load_schemas(schemas_dir: Path) -> dict[str, DatasetSchema]:
    """Every dataset schema in ``schemas_dir`` (top level), by dataset code."""
    named = load_named_types(schemas_dir)
    schemas = (load_dataset_schema(p, named) for p in sorted(schemas_dir.glob("*.avsc")))
    return {s.dataset: s for s in schemas}
