"""The compiled CSV path writes exactly the reference path's bytes, or declines the row; a
whole import through it equals the Python path's, rejects included."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govbus.core.records import CHINA_STANDARD_TIME
from producers.sdk.csvout import write_csv
from producers.files.formats import import_csv
from producers.sdk.mapping import Mapping, body_fields, load_mapping, plan_columns
from producers.files.fast.native import govbus_native
from producers.files.fast.nativerun import NativeRun, open_reader
from producers.files.pipeline import ImportPipeline
from producers.files.fast.text import TextRows
from producers.sdk import Source
from producers.synthetic.generate import GENERATORS, project_schemas, records
from tests.unit.producers.files.fakes import FakePublisher

MAPPINGS = Path(__file__).parents[3] / "producers" / "files" / "mappings"
NOW = datetime(2026, 11, 26, 9, 30, 12, 345678, tzinfo=timezone.utc)
CST = int(CHINA_STANDARD_TIME.utcoffset(None).total_seconds())


def test_the_extension_is_installed():
    # CI and the README install native/; without it every CSV import takes the slow path.
    assert govbus_native is not None, "pip install -e ./native"


def mapping_for(dataset: str) -> Mapping:
    path = MAPPINGS / f"{dataset}.yaml"
    return load_mapping(path) if path.exists() else Mapping()


def csv_file(tmp_path: Path, dataset: str, count: int, dirty: float, encoding: str) -> Path:
    fields = [f["name"] for f in body_fields(project_schemas()[dataset])]
    path = tmp_path / f"{dataset}.{encoding}.csv"
    write_csv(records(dataset, count, 11, dirty), path, fields, mapping_for(dataset), encoding)
    return path


def pipeline_for(dataset: str) -> ImportPipeline:
    pipeline = ImportPipeline(project_schemas()[dataset], Source("dept", "city", "350100", "test"),
                              42)
    pipeline.refresh(NOW)
    return pipeline


def run(path: Path, dataset: str, compiled: bool) -> tuple[FakePublisher, object]:
    publisher = FakePublisher()
    summary = import_csv(path, pipeline_for(dataset), publisher, mapping_for(dataset),
                         progress=False, compiled=compiled)
    return publisher, summary


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
@pytest.mark.parametrize("dataset", sorted(GENERATORS))
def test_compiled_import_equals_python_import(tmp_path, dataset, encoding, monkeypatch):
    monkeypatch.setattr("producers.sdk.rows.datetime", FrozenNow)
    path = csv_file(tmp_path, dataset, 600, dirty=0.2, encoding=encoding)
    python, python_summary = run(path, dataset, compiled=False)
    python_rejects = path.with_name(path.name + ".rejects.jsonl").read_text(encoding="utf-8")
    native, native_summary = run(path, dataset, compiled=True)
    assert native.published == python.published
    assert [(f, o.offset) for f, o in native.rejected] == \
        [(f, o.offset) for f, o in python.rejected]
    assert (native_summary.read, native_summary.published, native_summary.rejected) == \
        (python_summary.read, python_summary.published, python_summary.rejected)
    assert path.with_name(path.name + ".rejects.jsonl").read_text("utf-8") == python_rejects


class FrozenNow(datetime):
    """Both runs stamp their lineage hop with the same time, so their bytes can be compared."""

    @classmethod
    def now(cls, tz=None):
        return NOW


@pytest.mark.parametrize("dataset", sorted(GENERATORS))
def test_compiled_rows_equal_the_reference_or_are_declined(tmp_path, dataset):
    """Row by row: what the extension encodes is the reference path's bytes, and it carries
    most clean rows itself (otherwise the speed target is met by nobody)."""
    path = csv_file(tmp_path, dataset, 400, dirty=0.2, encoding="gbk")
    pipeline = pipeline_for(dataset)
    reader = open_reader(path, "gb18030")
    run_ = NativeRun(reader, path, "gb18030", pipeline, FakePublisher())
    rows = TextRows(pipeline.schema, plan_columns(pipeline.schema, mapping_for(dataset),
                                                  reader.headers), mapping_for(dataset))
    converter = pipeline.converter(rows)
    run_.compile(converter)
    assert run_.compiled, f"{dataset}: no compiled plan"
    envelope = converter.fast.envelope
    pairs, _declined, checked = reader.next_batch(10_000, envelope.lineage, envelope.now_bytes,
                                                  10_000)
    encoded = 0
    for pos, _line, cells in checked:
        if pairs[pos] is not None:
            assert pairs[pos] == pipeline.from_record(rows.record(cells))
            encoded += 1
    assert encoded >= 0.6 * len(checked), (encoded, len(checked))


def test_a_difference_turns_the_compiled_path_off_and_the_reference_decides(tmp_path, caplog):
    path = csv_file(tmp_path, "hotline.work_order", 300, dirty=0.0, encoding="gbk")
    pipeline = pipeline_for("hotline.work_order")
    python, _ = run(path, "hotline.work_order", compiled=False)
    original = ImportPipeline.from_record

    def off_by_one(self, data):  # the "reference" now disagrees with the extension
        out = original(self, data)
        return (out[0], out[1] + b"!") if type(out) is tuple else out

    pipeline.from_record = off_by_one.__get__(pipeline)
    publisher = FakePublisher()
    summary = import_csv(path, pipeline, publisher, mapping_for("hotline.work_order"),
                         progress=False)
    assert summary.published == summary.read == 300
    assert "compiled path differs" in caplog.text
    # Every row became the (marked) reference's: the compiled path was off after the first.
    assert all(value.endswith(b"!") for _key, value in publisher.published)
    assert [k for k, _ in publisher.published] == [k for k, _ in python.published]


# --- time stamps and dates: the extension's reader against Python's -------------------------

@pytest.mark.parametrize("text", [
    "2026-11-25T11:09:13+00:00", "2026-11-25 11:09:13", "2026-11-25T11:09:13.123",
    "2026-11-25T11:09:13.123456+08:00", "2026-11-25T11:09:13Z", "1969-12-31T23:59:59.999999Z",
    "1900-02-28T00:00:00-05:30", "2024-02-29", "0001-01-01T00:00:00+08:00"])
def test_timestamps_read_as_python_reads_them(text):
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA_STANDARD_TIME)
    expected = (moment - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(milliseconds=1)
    assert govbus_native.timestamp_millis(text, CST) == expected


@pytest.mark.parametrize("text", [
    "2026-02-29T00:00:00", "2026-13-01", "2026-11-25T24:00:00", "2026-11-25T11:09:60",
    "2026-11-25T11:09", "2026-11-25T11:09:13.1234", "2026-11-25T11:09:13+0800",
    " 2026-11-25", "2026-11-25 ", "２０２６-11-25", "20261125", "1764144000000", "",
    "2026-11-25T11:09:13+24:00", "0000-01-01"])
def test_other_time_texts_are_declined(text):
    assert govbus_native.timestamp_millis(text, CST) is None


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
       st.sampled_from(["T", " "]), st.sampled_from(["", "Z", "+08:00", "-03:30"]),
       st.sampled_from(["seconds", "milliseconds", "microseconds"]))
def test_any_iso_timestamp_agrees_with_fromisoformat(moment, sep, zone, spec):
    text = moment.isoformat(sep, spec) + zone
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=CHINA_STANDARD_TIME)
    expected = (parsed - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(milliseconds=1)
    assert govbus_native.timestamp_millis(text, CST) == expected


@settings(max_examples=300, deadline=None)
@given(st.dates())
def test_any_date_agrees_with_python(day):
    assert govbus_native.date_days(day.isoformat()) == (day - date(1970, 1, 1)).days
