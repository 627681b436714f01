"""The fast path writes exactly the reference path's bytes, or declines; never anything else."""
from __future__ import annotations

import io
import uuid
from datetime import datetime, timezone

import fastavro
import pytest

from producers.sdk.csvout import cell_of
from producers.files.fast.cells import split_list, varint
from producers.sdk.mapping import Mapping, body_fields, plan_columns
from producers.files.pipeline import ImportPipeline
from producers.files.fast.text import TextRows
from producers.sdk import EventIds, Source, event_id_for
from producers.synthetic.generate import GENERATORS, project_schemas, records

NOW = datetime(2026, 11, 26, 9, 30, 12, 345678, tzinfo=timezone.utc)


@pytest.mark.parametrize("n", [0, 1, -1, 63, 64, -64, -65, 127, 128, 2**31 - 1, -2**31,
                               1_764_144_000_123, -1_764_144_000_123, 2**34, 2**41,
                               2**63 - 1, -2**63])
def test_varint_is_avro_long(n):
    out = io.BytesIO()
    fastavro.schemaless_writer(out, "long", n)
    assert varint(n) == out.getvalue()


@pytest.mark.parametrize("key", ["GD202611260000001", "91350100M000100Y43", "张三", ""])
def test_event_ids_are_uuid5(key):
    assert EventIds("hotline.work_order", "hotline")(key) == \
        event_id_for("hotline.work_order", "hotline", key)
    assert uuid.UUID(event_id_for("d.x", "dep", key)).version == 5


@pytest.mark.parametrize(("text", "items"), [
    ("闽A12345;闽AD12345", ["闽A12345", "闽AD12345"]), ("闽A12345、闽B00001", ["闽A12345", "闽B00001"]),
    ('["闽A12345"]', ["闽A12345"]), (" ; ", []), ("[broken", "[broken"),
])
def test_array_cells(text, items):
    assert split_list(text) == items


def text_rows(dataset: str, count: int, dirty: float) -> tuple[TextRows, list[list[str]]]:
    schema = project_schemas()[dataset]
    fields = [f["name"] for f in body_fields(schema)]
    rows = TextRows(schema, plan_columns(schema, Mapping(), fields), Mapping())
    return rows, [[cell_of(r.get(f)) for f in fields] for r in records(dataset, count, 5, dirty)]


@pytest.mark.parametrize("dataset", sorted(GENERATORS))
def test_fast_path_equals_reference_for_every_dataset(dataset):
    schema = project_schemas()[dataset]
    pipeline = ImportPipeline(schema, Source("dept", "city", "350100", "test"), 42)
    pipeline.refresh(NOW)
    rows, cells = text_rows(dataset, 400, dirty=0.2)
    fast = pipeline._fast_path(rows)
    assert fast is not None, f"{dataset} takes the reference path"
    taken = 0
    for row in cells:
        out, reference = fast.encode(row), pipeline.from_record(rows.record(row))
        if out is not None:
            assert out == reference
            taken += 1
    assert taken >= 0.75 * len(cells)  # the fast path carries the clean rows


def test_labels_and_odd_cells_agree_with_the_reference():
    schema = project_schemas()["hotline.work_order"]
    mapping = Mapping(values={"channel": {"电话": "phone"}, "anonymous": {"是": "true",
                                                                          "否": "false"}})
    fields = [f["name"] for f in body_fields(schema)]
    rows = TextRows(schema, plan_columns(schema, mapping, fields), mapping)
    pipeline = ImportPipeline(schema, Source("hotline", "city", "350100", "test"), 42)
    fast = pipeline._fast_path(rows)
    base = [cell_of(v) for v in next(records("hotline.work_order", 1, 1, 0)).values()]
    at = fields.index
    variants = [("channel", "电话"), ("channel", "传真"), ("anonymous", "是"), ("anonymous", " TRUE "),
                ("anonymous", "也许"), ("accepted_at", "2026-11-26 08:00:00"),
                ("accepted_at", "1764144000000"), ("accepted_at", "20261126"),
                ("accepted_at", "2026-11-26T08:00:00.123456+08:00"), ("address", ""),
                ("urgency", ""), ("caller_phone", "１３８００１３８０００")]
    for name, value in variants:
        row = list(base)
        row[at(name)] = value
        out, reference = fast.encode(row), pipeline.from_record(rows.record(row))
        assert out is None or out == reference, (name, value)
