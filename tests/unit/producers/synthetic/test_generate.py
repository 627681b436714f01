"""The generator: a generator for every schema, realistic valid records, and labels that say
exactly which fault the bus will find in each dirty record."""
from __future__ import annotations

import random
from collections import Counter

import pytest

from govbus.core.identifiers import (check_region_code, check_resident_id, check_uscc,
                                     region_level)
from govbus.core.records import coerce_record
from govbus.core.result import Fault
from govbus.core.schemas import load_schemas
from govbus.core.settings import PROJECT_ROOT
from producers.sdk.rows import strip_annotations
from producers.sdk import Source, envelope_for
from producers.synthetic.generate import GENERATORS, NoGenerator, paced, project_schemas, records
from producers.synthetic.generate import work_orders
from producers.synthetic.regions import place
from tests.unit.producers.synthetic.judge import judge

SOURCE = Source("provider", "city", "350100", "producers.synthetic")
DATASETS = sorted(GENERATORS)


def test_every_schema_has_a_generator():
    assert set(GENERATORS) == set(load_schemas(PROJECT_ROOT / "schemas" / "avro"))


@pytest.mark.parametrize("dataset", DATASETS)
def test_clean_records_pass_the_adapter_and_the_cleaner(dataset):
    schema = project_schemas()[dataset]
    clean = [r for r in records(dataset, 300, seed=1, dirty=0.1) if "_dirty" not in r]
    identifiers = not dataset.startswith(("city", "fire", "transport"))
    assert any("_normalised" in r for r in clean) or not identifiers
    for record in clean:
        assert judge(schema, record, SOURCE) is None, record


@pytest.mark.parametrize("dataset", DATASETS)
def test_clean_records_pass_coerce_record(dataset):
    schema = project_schemas()[dataset]
    for record in records(dataset, 300, seed=2, dirty=0):
        data = strip_annotations(record)
        result = coerce_record(schema, data | {"envelope": envelope_for(schema, data, SOURCE)})
        assert not isinstance(result, Fault), (result, record)


@pytest.mark.parametrize("dataset", DATASETS)
def test_dirty_records_fail_with_their_label(dataset):
    schema = project_schemas()[dataset]
    labelled = [r for r in records(dataset, 600, seed=3, dirty=0.25) if "_dirty" in r]
    assert len(labelled) > 100
    for record in labelled:
        fault = judge(schema, record, SOURCE)
        assert fault is not None, record
        assert (fault.reason, fault.field) == (record["_dirty"], record["_dirty_field"]), record
    kinds = Counter(r["_dirty"] for r in labelled)
    assert {"missing_field", "bad_enum", "bad_region_prefix"} <= set(kinds)


def test_identifier_datasets_get_identifier_faults_and_odd_spellings():
    labels = Counter()
    for dataset in ("population.resident", "market.enterprise_registration",
                    "hotline.work_order", "health.case_report"):
        for record in records(dataset, 800, seed=4, dirty=0.2):
            labels[record.get("_dirty") or record.get("_normalised")] += 1
    assert {"bad_check_char", "bad_birth_date", "future_birth_date", "bad_format",
            "wrong_type", "full_width", "id15", "lower_x", "phone_prefix"} <= set(labels)


def test_same_seed_same_records_and_fraction_dirty():
    first = list(records("health.case_report", 1000, seed=7, dirty=0.05))
    assert first == list(records("health.case_report", 1000, seed=7, dirty=0.05))
    assert first != list(records("health.case_report", 1000, seed=8, dirty=0.05))
    assert 20 <= sum("_dirty" in r for r in first) <= 80


def test_identifiers_and_regions_are_real():
    people = list(records("population.resident", 300, seed=5, dirty=0))
    assert not any(isinstance(check_resident_id(p["id_no"]), Fault) for p in people)
    assert all(p["id_no"][6:14] == p["birth_date"].replace("-", "") for p in people)
    assert all(int(p["id_no"][16]) % 2 == (p["sex"] == "male") for p in people)
    firms = records("market.enterprise_registration", 200, seed=5, dirty=0)
    assert all(not isinstance(check_uscc(f["uscc"]), Fault) for f in firms)
    rng = random.Random(1)
    for _ in range(200):
        where = place(rng)
        for level in ("province", "city", "county", "township", "village"):
            assert region_level(where.at(level)) == level
            assert not isinstance(check_region_code(where.at(level)), Fault)
    indicators = records("city.indicator", 300, seed=5, dirty=0)
    assert {region_level(r["region_code"]) for r in indicators} == {
        "province", "city", "county", "township", "village"}


def test_hotline_work_orders_keep_the_demo_interface():
    orders = list(work_orders(200, seed=11, dirty=0.1))
    assert len(orders) == 200 and any("_dirty" in o for o in orders)
    assert orders == list(records("hotline.work_order", 200, 11, 0.1))
    assert all(o["region_code"].startswith("3501") for o in orders if "_dirty" not in o)


def test_unknown_dataset_and_bad_fraction_are_refused():
    with pytest.raises(NoGenerator):
        next(records("weather.forecast", 1, 1))
    with pytest.raises(ValueError):
        next(records("fire.alarm", 1, 1, dirty=0.9))


def test_paced_keeps_to_the_rate():
    now, slept = [0.0], []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    assert list(paced(range(5), 2.0, clock=lambda: now[0], sleep=sleep)) == [0, 1, 2, 3, 4]
    assert now[0] == pytest.approx(2.0)
    assert list(paced(range(3), None)) == [0, 1, 2]
