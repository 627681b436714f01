"""Which pool each dataset goes to, and how pools are laid out per dialect."""
from __future__ import annotations

import pytest
from sqlalchemy import literal_column, select

from consumers.pool.pools import (DEFAULT_CLASS, TableRef, class_lookup, pool_of, pool_table_ref,
                                  resource_classes, table_ref)
from govbus.core.settings import GovbusSettings

SQLITE = GovbusSettings(pool_url="sqlite:///pool.db")
POSTGRES = GovbusSettings(pool_url="postgresql+psycopg://u:p@db/pool")


@pytest.mark.parametrize("resource_class, pool", [("base", "base"), ("theme", "theme"), ("department", "dept")])
def test_pool_of_each_resource_class(resource_class, pool):
    assert pool_of(resource_class) == pool


def test_an_unknown_resource_class_is_refused():
    with pytest.raises(ValueError, match="unknown resource class 'other'"):
        pool_of("other")


@pytest.mark.parametrize("dialect, resource_class, expected", [
    ("postgresql", "base", TableRef("pool_police__population_resident", "base")),
    ("postgresql", "theme", TableRef("pool_police__population_resident", "theme")),
    ("postgresql", "department", TableRef("pool_police__population_resident", "dept")),
    ("sqlite", "base", TableRef("base_pool_police__population_resident")),
    ("sqlite", "theme", TableRef("theme_pool_police__population_resident")),
    ("sqlite", "department", TableRef("dept_pool_police__population_resident")),
])
def test_pools_are_schemas_on_postgresql_and_prefixes_elsewhere(dialect, resource_class, expected):
    assert table_ref(dialect, resource_class, "police", "population.resident") == expected


def test_prefixed_names_stay_within_the_identifier_limit_and_distinct():
    a = table_ref("sqlite", "department", "r" * 40, "market.enterprise_registration_a")
    b = table_ref("sqlite", "department", "r" * 40, "market.enterprise_registration_b")
    assert len(a.name) <= 63 and len(b.name) <= 63 and a != b


def test_table_ref_renders_and_queries_with_its_schema():
    assert str(TableRef("t", "base")) == "base.t" and str(TableRef("t")) == "t"
    assert "FROM base.t" in str(select(literal_column("*")).select_from(TableRef("t", "base").clause()))


def test_resource_classes_come_from_the_catalogue():
    classes = resource_classes(SQLITE.catalogue_dir)
    assert classes["population.resident"] == "base"
    assert classes["city.indicator"] == "theme"
    assert classes["hotline.work_order"] == "department"
    assert set(classes.values()) <= {"base", "theme", "department"}


def test_class_lookup_from_a_mapping_a_function_or_the_catalogue():
    assert class_lookup({"a.b": "base"}, SQLITE)("a.b") == "base"
    assert class_lookup({"a.b": "base"}, SQLITE)("c.d") == DEFAULT_CLASS  # uncatalogued: department
    assert class_lookup(lambda dataset: "theme", SQLITE)("a.b") == "theme"
    assert class_lookup(None, SQLITE)("market.enterprise_registration") == "base"


def test_pool_table_ref_follows_the_pool_url_and_the_catalogue():
    assert pool_table_ref(POSTGRES, "police", "population.resident") == TableRef(
        "pool_police__population_resident", "base")
    assert pool_table_ref(SQLITE, "police", "hotline.work_order") == TableRef(
        "dept_pool_police__hotline_work_order")
    assert pool_table_ref(SQLITE, "police", "hotline.work_order", {"hotline.work_order": "theme"}) == TableRef(
        "theme_pool_police__hotline_work_order")
