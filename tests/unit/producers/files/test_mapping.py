"""Header mapping: Chinese headers → schema fields, every problem named before any row is read."""
from __future__ import annotations

from pathlib import Path

import pytest

from govbus.core.settings import PROJECT_ROOT
from producers.sdk.mapping import Mapping, MappingError, load_mapping, plan_columns
from producers.synthetic.generate import project_schemas

MAPPINGS = PROJECT_ROOT / "producers" / "files" / "mappings"
HOTLINE = project_schemas()["hotline.work_order"]
HEADERS = ["工单编号", "受理渠道", "受理时间", "诉求类型", "分类代码", "诉求内容", "事发地址",
           "区划代码", "来电人姓名", "来电号码", "来电人身份证号", "是否匿名", "紧急程度"]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("dataset", ["hotline.work_order", "population.resident"])
def test_shipped_mappings_cover_every_field_of_their_dataset(dataset):
    mapping = load_mapping(MAPPINGS / f"{dataset}.yaml")
    schema = project_schemas()[dataset]
    plan = plan_columns(schema, mapping, list(mapping.columns))
    assert mapping.dataset == dataset
    assert set(plan.fields) == set(mapping.columns.values())
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in header) for header in mapping.columns)


def test_chinese_headers_map_to_fields_in_schema_order():
    mapping = load_mapping(MAPPINGS / "hotline.work_order.yaml")
    headers = list(reversed(HEADERS)) + ["备注"]  # any column order; 备注 is ignored
    plan = plan_columns(HOTLINE, mapping, headers)
    assert plan.fields[:3] == ("order_no", "channel", "accepted_at")
    assert [headers[i] for i in plan.sources[:3]] == ["工单编号", "受理渠道", "受理时间"]
    assert plan.width == 14


def test_headers_equal_to_field_names_need_no_mapping():
    fields = list(load_mapping(MAPPINGS / "hotline.work_order.yaml").columns.values())
    plan = plan_columns(HOTLINE, Mapping(), [" " + fields[0]] + fields[1:])  # trimmed
    assert plan.sources[: len(fields)] == tuple(range(len(fields)))


def test_constants_fill_fields_the_file_lacks():
    mapping = Mapping(columns=dict(zip(HEADERS, load_mapping(
        MAPPINGS / "hotline.work_order.yaml").columns.values())), constants={"urgency": "normal"})
    plan = plan_columns(HOTLINE, mapping, HEADERS[:-1])
    urgency = plan.sources[plan.fields.index("urgency")]
    assert (list(HEADERS[:-1]) + list(plan.tail))[urgency] == "normal"


@pytest.mark.parametrize(("change", "problem"), [
    (lambda h, m: (h + ["备用列"], m), "column '备用列' is not mapped"),
    (lambda h, m: (h + ["来电号码2"], Mapping(m.columns | {"来电号码2": "caller_phone"})),
     "both map to caller_phone"),
    (lambda h, m: ([x for x in h if x != "诉求内容"], m), "no column for required field 'content'"),
    (lambda h, m: (h, Mapping(m.columns | {"星座": "zodiac"})), "unknown field 'zodiac'"),
    (lambda h, m: (h, Mapping(m.columns, constants={"urgency": "normal"})),
     "'urgency' has both a column and a constant"),
    (lambda h, m: (h, Mapping(m.columns, dataset="fire.alarm")), "mapping is for fire.alarm"),
])
def test_header_problems_are_named(change, problem):
    mapping = load_mapping(MAPPINGS / "hotline.work_order.yaml")
    headers, mapping = change(list(HEADERS), mapping)
    with pytest.raises(MappingError) as caught:
        plan_columns(HOTLINE, mapping, headers)
    assert any(problem in p for p in caught.value.problems), caught.value.problems


@pytest.mark.parametrize(("text", "problem"), [
    ("columns:\n  工单编号: order_no\n  工单编号: content\n", "duplicate keys"),
    ("columns: [a, b]\n", "columns must be a mapping"),
    ("colums: {}\n", "unknown key 'colums'"),
    ("values:\n  channel: {电话: ''}\n", "values.channel must map non-empty labels"),
    ("columns: {a: [\n", "cannot read"),
])
def test_bad_mapping_files_are_refused(tmp_path, text, problem):
    with pytest.raises(MappingError, match=problem.replace("[", r"\[")):
        load_mapping(write(tmp_path, text))


def test_yaml_scalars_become_cell_text(tmp_path):
    mapping = load_mapping(write(tmp_path, "values:\n  anonymous: {是: true, 否: no}\n"
                                           "constants: {accepted_at: 2026-11-26}\n"))
    assert mapping.values == {"anonymous": {"是": "true", "否": "false"}}
    assert mapping.constants == {"accepted_at": "2026-11-26"}
