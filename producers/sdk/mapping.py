"""Mapping files: a department's column headers (often Chinese) → the dataset's schema fields.

```yaml
dataset: hotline.work_order        # optional; must match --dataset when present
columns: {工单编号: order_no, 受理时间: accepted_at}
values:                            # optional: the department's labels → schema values
  channel: {电话: phone, 微信: wechat}
constants: {channel: phone}        # optional: fields the file has no column for
ignore: [备注]                     # optional: columns deliberately not imported
```

A header that equals a field name maps to it without being listed. Every other header must be
mapped or ignored: a column nobody maps would be dropped silently, and the bus never silently
drops data. All problems are reported at once, before a single row is read.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from govbus.core.schemas import DatasetSchema

_KEYS = {"dataset", "columns", "values", "constants", "ignore"}


class MappingError(ValueError):
    """A mapping file, or a file's headers, that cannot be used; one line per problem."""

    def __init__(self, where: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{where}:\n  " + "\n  ".join(problems))


def to_text(value: Any) -> str | None:
    """A YAML or spreadsheet value as the text a CSV cell would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class Mapping:
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    constants: dict[str, str | None] = field(default_factory=dict)  # None: a null in YAML, "not given"
    ignore: frozenset[str] = frozenset()
    dataset: str | None = None


class _UniqueKeyLoader(yaml.SafeLoader):
    """Refuses duplicate keys: two lines for one column would otherwise keep the last."""


def _unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    keys = [loader.construct_object(k) for k, _ in node.value]
    duplicates = sorted({str(k) for k in keys if keys.count(k) > 1})
    if duplicates:
        raise yaml.constructor.ConstructorError(None, None, f"duplicate keys {duplicates}",
                                                node.start_mark)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def _label_texts(labels: Any) -> dict[str, str] | None:
    """``labels`` (label → value) as text, or None unless both sides of every pair have some."""
    if not isinstance(labels, dict):
        return None
    texts = {}
    for label, value in labels.items():
        label_text, value_text = to_text(label), to_text(value)
        if not label_text or not value_text:
            return None
        texts[label_text] = value_text
    return texts


def load_mapping(path: Path) -> Mapping:
    """The mapping in ``path``; MappingError naming every problem."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader) or {}  # noqa: S506 - a SafeLoader
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise MappingError(str(path), [f"cannot read: {exc}"]) from exc
    if not isinstance(data, dict):
        raise MappingError(str(path), ["expected a mapping with a 'columns' key"])
    problems = [f"unknown key {k!r} (allowed: {', '.join(sorted(_KEYS))})"
                for k in data if k not in _KEYS]
    for key in ("columns", "values", "constants"):
        if not isinstance(data.get(key) or {}, dict):
            problems.append(f"{key} must be a mapping")
    values: dict[str, dict[str, str]] = {}
    for name, labels in (data.get("values") or {}).items() if not problems else ():
        texts = _label_texts(labels)
        if texts is None:
            problems.append(f"values.{name} must map non-empty labels to non-empty values")
        else:
            values[str(name)] = texts
    if problems:
        raise MappingError(str(path), problems)
    return Mapping(
        columns={str(k).strip(): str(v) for k, v in (data.get("columns") or {}).items()},
        values=values,
        constants={str(k): to_text(v) for k, v in (data.get("constants") or {}).items()},
        ignore=frozenset(str(c).strip() for c in data.get("ignore") or ()),
        dataset=data.get("dataset"))


@dataclass(frozen=True)
class ColumnPlan:
    """Where each body field of the schema comes from in rows with the given headers.

    ``sources[i]`` indexes ``row + tail``: a column, or a constant or None kept in ``tail``,
    so picking a row's cells is one ``operator.itemgetter`` call.
    """

    fields: tuple[str, ...]
    sources: tuple[int, ...]
    tail: tuple[str | None, ...]
    width: int
    headers: tuple[str, ...]


def body_fields(schema: DatasetSchema) -> list[dict[str, Any]]:
    """The schema's own fields: the envelope is the bus's, never a column."""
    return [f for f in schema.schema["fields"] if f["name"] != "envelope"]


def _mapping_problems(mapping: Mapping, schema: DatasetSchema, names: set[str]) -> list[str]:
    problems = [f"columns: {h!r} → unknown field {f!r}" for h, f in mapping.columns.items()
                if f not in names]
    problems += [f"constants: unknown field {f!r}" for f in mapping.constants if f not in names]
    problems += [f"values: unknown field {f!r}" for f in mapping.values if f not in names]
    if mapping.dataset and mapping.dataset != schema.dataset:
        problems.append(f"mapping is for {mapping.dataset}, not {schema.dataset}")
    return problems


def _column_targets(headers: list[str], mapping: Mapping, names: set[str],
                    problems: list[str]) -> dict[str, int]:
    """field → column index; unknown and doubly mapped columns go to ``problems``."""
    targets: dict[str, int] = {}
    for index, header in enumerate(headers):
        target = mapping.columns.get(header) or (header if header in names else None)
        if target is None:
            if header and header not in mapping.ignore:
                problems.append(f"column {header!r} is not mapped to a field (map it, or list "
                                "it under 'ignore:')")
            continue
        if target in targets:
            problems.append(f"columns {headers[targets[target]]!r} and {header!r} both map to "
                            f"{target}")
        targets[target] = index
    return targets


def plan_columns(schema: DatasetSchema, mapping: Mapping, headers: list[str]) -> ColumnPlan:
    """The plan for ``headers``, or MappingError naming every problem with them."""
    headers = [h.strip() for h in headers]
    fields = body_fields(schema)
    names = {f["name"] for f in fields}
    problems = _mapping_problems(mapping, schema, names)
    targets = _column_targets(headers, mapping, names, problems)
    problems += [f"{f!r} has both a column and a constant" for f in mapping.constants
                 if f in targets]
    tail = tuple(mapping.constants.values()) + (None,)
    constant_at = {f: len(headers) + i for i, f in enumerate(mapping.constants)}
    sources = []
    for f in fields:
        name = f["name"]
        source = targets.get(name, constant_at.get(name))
        if source is None and _required(f):
            problems.append(f"no column for required field {name!r}")
        sources.append(len(headers) + len(tail) - 1 if source is None else source)
    if problems:
        raise MappingError(f"headers of {schema.dataset} file", problems)
    return ColumnPlan(tuple(f["name"] for f in fields), tuple(sources), tail, len(headers),
                      tuple(headers))


def _required(avro_field: dict[str, Any]) -> bool:
    ftype = avro_field["type"]
    return "default" not in avro_field and not (isinstance(ftype, list) and "null" in ftype)
