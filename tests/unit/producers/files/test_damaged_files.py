"""Damaged files are one line naming the file and what is wrong, classified as the command's exit
code will say (DamagedFile: the input; FileFormatError: the request); over-long lines are
rejects naming their line, on every reader; --from-line skips to a line."""
from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from govbus.core.settings import PROJECT_ROOT
from producers.files.formats import import_csv, import_json_lines, import_xlsx
from producers.files.pipeline import ImportPipeline
from producers.files.readers import DamagedFile, FileFormatError, Reading, ReadOptions
from producers.sdk import Source
from producers.sdk.csvout import write_csv
from producers.sdk.mapping import body_fields, load_mapping
from producers.synthetic.generate import project_schemas, records
from tests.unit.producers.files.fakes import FakePublisher

DATASET = "hotline.work_order"
SCHEMA = project_schemas()[DATASET]
MAPPING = load_mapping(PROJECT_ROOT / "producers" / "files" / "mappings" / f"{DATASET}.yaml")
FIELDS = [f["name"] for f in body_fields(SCHEMA)]
HEADER = ",".join(MAPPING.columns).encode()


def pipeline() -> ImportPipeline:
    return ImportPipeline(SCHEMA, Source("hotline", "city", "350100", "test"), 7)


def workbook_bytes() -> bytes:
    import openpyxl

    book, out = openpyxl.Workbook(), io.BytesIO()
    book.active.append(list(MAPPING.columns))
    book.save(out)
    return out.getvalue()


def zip_of_text() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "not a workbook")
    return out.getvalue()


def run(path: Path, compiled: bool = True, reading: Reading = Reading(), publisher=None):
    publisher = publisher or FakePublisher()
    if path.suffix == ".xlsx":
        return import_xlsx(path, pipeline(), publisher, MAPPING, progress=False, reading=reading)
    if path.suffix == ".jsonl":
        return import_json_lines(path, pipeline(), publisher, progress=False, reading=reading)
    return import_csv(path, pipeline(), publisher, MAPPING, progress=False, compiled=compiled,
                      reading=reading)


# (file name, content, error, what the line says)
DAMAGED = [
    ("garbage.xlsx", os.urandom(3000), DamagedFile, "not a readable .xlsx workbook"),
    ("truncated.xlsx", workbook_bytes()[:1500], DamagedFile, "not a readable .xlsx workbook"),
    ("text.xlsx", zip_of_text(), DamagedFile, "not a readable .xlsx workbook"),
    ("empty.xlsx", b"", DamagedFile, "not a readable .xlsx workbook"),
    ("empty.csv", b"", DamagedFile, "empty file"),
    ("empty.jsonl", b"", DamagedFile, "empty file"),
    ("blank.jsonl", b"\n\n", DamagedFile, "empty file"),
    ("array.jsonl", b'[{"a": 1}]\n', DamagedFile, "JSON array"),
    ("header.csv", b"\xff," + HEADER, DamagedFile, "is not valid gb18030 .* \\(the header\\)"),
    ("columns.csv", b"order,channel\n1,phone\n", DamagedFile, "header does not fit hotline.work_order"),
    ("first.jsonl", b"\xff{}\n", DamagedFile, "line 1 is not valid utf-8"),
    ("notes.txt", b"hello", FileFormatError, "cannot import .txt"),
]


@pytest.mark.parametrize(("name", "content", "error", "says"), DAMAGED, ids=[d[0] for d in DAMAGED])
@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "python"])
def test_damaged_files_are_one_line_naming_the_file(tmp_path, name, content, error, says, compiled):
    from producers.files.readers import file_kind

    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(error, match=says) as raised:
        file_kind(path)
        run(path, compiled)
    assert "\n" not in str(raised.value) and name in str(raised.value)


@pytest.mark.parametrize("name", ["orders.csv", "orders.jsonl", "orders.xlsx"])
def test_unreadable_and_missing_files_and_directories(tmp_path, name):
    missing = tmp_path / name
    with pytest.raises(FileFormatError, match="no such file"):
        run(missing)
    os.mkdir(tmp_path / "dir")
    (tmp_path / "dir" / name).mkdir()
    with pytest.raises(FileFormatError, match="is a directory"):
        run(tmp_path / "dir" / name)


@pytest.mark.parametrize("name", ["orders.csv", "orders.jsonl", "orders.xlsx"])
def test_a_file_the_importer_may_not_read_is_damaged_input(tmp_path, name, monkeypatch):
    path = tmp_path / name
    path.write_bytes(HEADER + b"\n")
    real_open = Path.open

    def denied(self, *args, **kwargs):  # what open() raises for a mode-000 file (not as root)
        if self == path:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", denied)
    with pytest.raises(DamagedFile, match="permission denied"):
        run(path)


def orders_csv(tmp_path: Path, count: int) -> tuple[Path, list[bytes]]:
    path = tmp_path / "orders.csv"
    write_csv(records(DATASET, count, 4, dirty=0), path, FIELDS, MAPPING, "utf-8")
    return path, path.read_bytes().split(b"\r\n")


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "python"])
def test_an_over_long_csv_line_is_a_reject_naming_it_and_the_rest_is_read(tmp_path, compiled):
    path, lines = orders_csv(tmp_path, 30)
    lines[10] += b"x" * 3_000_000  # line 11
    path.write_bytes(b"\r\n".join(lines))
    publisher = FakePublisher()
    summary = run(path, compiled, publisher=publisher)
    assert (summary.read, summary.published, summary.rejected) == (30, 29, 1)
    (fault, origin), = publisher.rejected
    assert (origin.offset, fault.reason) == (11, "line_too_long")
    entry = json.loads(summary.reject_path.read_text("utf-8"))
    assert entry["row"] == 11 and entry["raw"]["length"] == len(lines[10])
    assert len(summary.reject_path.read_bytes()) < 2000 and len(origin.value) < 2000


def test_an_over_long_json_line_is_a_reject_naming_it(tmp_path):
    good = [json.dumps({k: v for k, v in r.items() if not k.startswith("_")}, ensure_ascii=False)
            for r in records(DATASET, 5, 4, dirty=0)]
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(good[:2] + ['{"content": "' + "x" * 2_000_000 + '"}'] + good[2:]))
    publisher = FakePublisher()
    summary = run(path, publisher=publisher)
    assert (summary.read, summary.published, summary.rejected) == (6, 5, 1)
    assert [(o.offset, f.reason) for f, o in publisher.rejected] == [(3, "line_too_long")]


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "python"])
def test_from_line_skips_the_rows_before_it_and_appends_to_the_rejects(tmp_path, compiled):
    path, lines = orders_csv(tmp_path, 30)
    lines[25] = b"GD1,too few cells"  # line 26: a reject
    path.write_bytes(b"\r\n".join(lines))
    everything, resumed = FakePublisher(), FakePublisher()
    run(path, compiled, publisher=everything)
    (tmp_path / "orders.csv.rejects.jsonl").write_text("earlier run\n")
    summary = run(path, compiled, Reading(ReadOptions(from_line=21)), resumed)
    assert (summary.read, summary.rejected, summary.first_line) == (11, 1, 21)
    # Rows on lines 2-20 are skipped: 19 rows, none of them rejected.
    assert [k for k, _v in resumed.published] == [k for k, _v in everything.published][19:]
    assert [o.offset for _f, o in resumed.rejected] == [26]
    assert summary.reject_path.read_text("utf-8").startswith("earlier run\n")


@pytest.mark.parametrize("seed", range(6))
def test_the_compiled_reader_agrees_with_the_python_reader_on_long_lines(tmp_path, seed):
    """Lines over the compiled reader's cap (128 KiB), over the import's line cap, long quoted
    cells over several lines, blank lines: both readers publish and reject the same rows."""
    import random

    rng = random.Random(seed)
    path, lines = orders_csv(tmp_path, 60)
    for line in rng.sample(range(1, 60), 8):
        kind = rng.choice(["over_native", "over_cap", "blank", "quoted"])
        if kind == "over_native":
            lines[line] = lines[line].replace(b",", b"," + b"y" * rng.randint(140_000, 250_000), 1)
        elif kind == "over_cap":
            lines[line] += b"z" * rng.randint(300_001, 600_000)
        elif kind == "blank":
            lines[line] = b""
        else:
            lines[line] = lines[line].replace(b",", b',"a\r\nb",', 1)
    path.write_bytes(b"\r\n".join(lines))
    reading = Reading(ReadOptions(max_line_bytes=300_000))
    outcomes = []
    for compiled in (True, False):
        publisher = FakePublisher()
        summary = run(path, compiled, reading, publisher)
        outcomes.append(((summary.read, summary.published, summary.rejected),
                         [k for k, _v in publisher.published],
                         [(o.offset, f.reason, f.field) for f, o in publisher.rejected]))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0][0] >= 50  # the rows around the long ones were read
