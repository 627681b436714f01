"""File import into the real broker and registry: a GBK CSV with Chinese headers arrives
decoded and equal to its input, bad rows reach the reject file and the DLQ, a re-import repeats
the event ids, an .xlsx workbook imports, and the CLI refuses a department that is not the
provider."""
from __future__ import annotations

import csv
import stat
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from commands.exits import REFUSED, Failure
from commands.main import app
from govbus.core.records import coerce_record
from govbus.core.serde import encode_body
from govbus.core.settings import PROJECT_ROOT, connection_env, topic_names
from producers.files.main import ImportRequest, import_file
from producers.sdk import event_id_for, versioned_key
from producers.sdk.csvout import write_csv
from producers.sdk.mapping import body_fields, load_mapping
from producers.sdk.rows import body_schema
from producers.synthetic.generate import project_schemas, records
from tests.integration.producers.helpers import consume, decoded

DATASET = "hotline.work_order"
SCHEMA = project_schemas()[DATASET]
MAPPING_PATH = PROJECT_ROOT / "producers" / "files" / "mappings" / f"{DATASET}.yaml"
MAPPING = load_mapping(MAPPING_PATH)
FIELDS = [f["name"] for f in body_fields(SCHEMA)]
COUNT = 60


@pytest.fixture(params=[True, False], ids=["compiled", "python"])
def settings(broker, tmp_path, unique, request):
    """Both CSV readers: the compiled one (the default) and Python's."""
    return broker.settings(tmp_path, topic_prefix=f"t{unique}", native_import=request.param)


def gbk_orders(tmp_path: Path, seed: int = 21) -> tuple[Path, list[dict]]:
    orders = list(records(DATASET, COUNT, seed, dirty=0))
    path = tmp_path / "热线工单.csv"
    write_csv(orders, path, FIELDS, MAPPING, encoding="gbk")
    return path, orders


def run(settings, path: Path, department: str = "hotline"):
    return import_file(settings, ImportRequest(path, DATASET, department, MAPPING_PATH,
                                               progress=False))


def test_gbk_csv_with_chinese_headers_arrives_equal_to_its_input(settings, tmp_path):
    path, orders = gbk_orders(tmp_path)
    assert path.read_bytes().decode("gbk").startswith("工单编号,受理渠道")
    summary = run(settings, path)
    assert (summary.read, summary.published, summary.rejected) == (COUNT, COUNT, 0)
    messages = consume(settings, topic_names(settings).raw(DATASET), COUNT)
    assert len(messages) == COUNT
    got = {m.key().decode(): r for m, r in zip(messages, decoded(settings, messages))}
    body = body_schema(SCHEMA)
    for order in orders:
        record = got[order["order_no"]]
        expected = coerce_record(body, {k: v for k, v in order.items() if not k.startswith("_")
                                        and v is not None}).value
        assert {f: record[f] for f in FIELDS} == {f: expected.get(f) for f in FIELDS}
        envelope = record["envelope"]
        # One id per version of an order: its key plus a digest of its Avro body (producers.sdk).
        body_bytes = encode_body(body.parsed, {k: v for k, v in record.items() if k != "envelope"})
        assert str(envelope["event_id"]) == event_id_for(DATASET, "hotline",
                                                         versioned_key(order["order_no"], body_bytes))
        assert envelope["event_time"] == expected["accepted_at"]
        assert (envelope["source_department"], envelope["source_level"]) == ("hotline", "city")
        assert envelope["region_code"] == order["region_code"]
        assert envelope["classification"] == SCHEMA.classification(expected)
        assert envelope["lineage"][0]["component"] == "producers.files.csv"


def test_bad_rows_reach_the_reject_file_and_the_dlq(settings, tmp_path):
    path, _orders = gbk_orders(tmp_path)
    with path.open(encoding="gbk", newline="") as handle:
        lines = list(csv.reader(handle))
    lines[4][lines[0].index("受理渠道")] = "传真"      # line 5: not a channel
    lines[9][lines[0].index("分类代码")] = ""          # line 10: required field empty
    with path.open("w", encoding="gbk", newline="") as handle:
        csv.writer(handle).writerows(lines)
    summary = run(settings, path)
    assert (summary.read, summary.published, summary.rejected) == (COUNT, COUNT - 2, 2)
    assert summary.reject_path.read_text("utf-8").count("\n") == 2
    assert stat.S_IMODE(summary.reject_path.stat().st_mode) == 0o600  # raw rows: owner only
    letters = decoded(settings, consume(settings, topic_names(settings).dlq(DATASET), 2))
    assert sorted((l["source_offset"], l["reason"], l["field_path"]) for l in letters) == [
        (5, "bad_enum", "channel"), (10, "missing_field", "category_code")]
    assert all(l["owner_department"] == "hotline" and l["source_topic"] == str(path)
               for l in letters)
    assert "传真".encode() in next(l for l in letters if l["source_offset"] == 5)["original_value"]


def test_reimport_publishes_the_same_event_ids(settings, tmp_path):
    path, _orders = gbk_orders(tmp_path)
    run(settings, path)
    run(settings, path)
    records_ = decoded(settings, consume(settings, topic_names(settings).raw(DATASET), 2 * COUNT))
    ids = Counter(str(r["envelope"]["event_id"]) for r in records_)
    assert len(ids) == COUNT and set(ids.values()) == {2}


def test_xlsx_import(settings, tmp_path):
    import openpyxl

    orders = list(records(DATASET, 25, 8, dirty=0))
    book = openpyxl.Workbook()
    header_of = {field: header for header, field in MAPPING.columns.items()}
    book.active.append([header_of[f] for f in FIELDS])
    for order in orders:
        book.active.append([order[f] for f in FIELDS])
    book.save(tmp_path / "工单.xlsx")
    summary = run(settings, tmp_path / "工单.xlsx")
    assert (summary.read, summary.published, summary.rejected) == (25, 25, 0)
    got = decoded(settings, consume(settings, topic_names(settings).raw(DATASET), 25))
    assert sorted(r["order_no"] for r in got) == sorted(o["order_no"] for o in orders)
    assert {r["envelope"]["lineage"][0]["component"] for r in got} == {"producers.files.xlsx"}


def test_cli_imports_and_refuses_a_department_that_is_not_the_provider(settings, tmp_path):
    path, _orders = gbk_orders(tmp_path)
    env = {**connection_env(settings),
           "GOVBUS_TOPIC_PREFIX": settings.topic_prefix}
    args = ["import", str(path), "--dataset", DATASET, "--mapping", str(MAPPING_PATH)]
    refused = CliRunner().invoke(app, [*args, "--department", "public_security"], env=env)
    # commands.main.main prints a Failure's line and exits with its code.
    assert isinstance(refused.exception, Failure) and refused.exception.code == REFUSED
    assert "may not publish" in refused.exception.line and "'hotline'" in refused.exception.line
    done = CliRunner().invoke(app, [*args, "--department", "hotline"], env=env)
    assert done.exit_code == 0, done.output
    assert f"read {COUNT}  published {COUNT}  rejected 0" in done.output


def test_cli_summary_says_the_reject_file_is_0600(settings, tmp_path):
    path, _orders = gbk_orders(tmp_path)
    with path.open(encoding="gbk", newline="") as handle:
        lines = list(csv.reader(handle))
    lines[4][lines[0].index("受理渠道")] = "传真"
    with path.open("w", encoding="gbk", newline="") as handle:
        csv.writer(handle).writerows(lines)
    env = {**connection_env(settings), "GOVBUS_TOPIC_PREFIX": settings.topic_prefix}
    done = CliRunner().invoke(app, ["import", str(path), "--dataset", DATASET, "--mapping",
                                    str(MAPPING_PATH), "--department", "hotline"], env=env)
    assert done.exit_code == 1, done.output  # FINDINGS: rows were rejected
    reject_path = tmp_path / f"{path.name}.rejects.jsonl"
    assert f"rejects: {reject_path} (mode 0600, readable by its owner only" in " ".join(done.output.split())
    assert stat.S_IMODE(reject_path.stat().st_mode) == 0o600
