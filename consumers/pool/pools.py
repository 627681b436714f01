"""Which pool a dataset's table belongs to, and where that table sits in the pool database.

The catalogue gives every resource a class (GB/T 21063): base resources (population, legal
persons, ...) go to the base pool 基础库, theme resources to the theme pool 主题库, department
resources to the department pool. One pool database holds all three pools:

- PostgreSQL: one database schema per pool (``base``, ``theme``, ``dept``), created on first
  sight, so that grants, backups and retention can follow the pool;
- SQLite (one file, no schemas): a table-name prefix (``base_``, ``theme_``, ``dept_``).

Inside a pool the table is ``pool_<recipient>__<dataset>`` (see ``logic.pool_table_name``). The
sink's bookkeeping tables (offsets, rejects) stay in the default schema. A dataset without a
catalogue entry goes to the department pool: only the catalogue may promote a resource into the
curated base and theme pools.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from sqlalchemy import TableClause, make_url, table

from consumers.pool.logic import bounded_identifier, pool_table_name
from govbus.core.catalogue import ResourceClass, load_catalogue
from govbus.core.settings import GovbusSettings

POOL_OF_CLASS: Mapping[str, str] = {ResourceClass.base.value: "base", ResourceClass.theme.value: "theme",
                                    ResourceClass.department.value: "dept"}
DEFAULT_CLASS = ResourceClass.department.value
# Dialects with real schemas; every other dialect gets the pool as a table-name prefix.
_SCHEMA_DIALECTS = frozenset({"postgresql"})

ResourceClassOf = Callable[[str], str]


@dataclass(frozen=True)
class TableRef:
    """A pool table: its name and, where pools are schemas, its schema."""

    name: str
    schema: str | None = None

    def clause(self) -> TableClause:
        """A lightweight table for ad-hoc queries: ``select(...).select_from(ref.clause())``."""
        return table(self.name, schema=self.schema)

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


def pool_of(resource_class: str) -> str:
    """The pool (``base``, ``theme`` or ``dept``) of a catalogue resource class."""
    try:
        return POOL_OF_CLASS[str(resource_class)]
    except KeyError:
        raise ValueError(f"unknown resource class {resource_class!r}; "
                         f"expected one of {sorted(POOL_OF_CLASS)}") from None


def table_ref(dialect: str, resource_class: str, recipient: str, dataset: str) -> TableRef:
    """Where ``dataset``'s pool table for ``recipient`` lives on ``dialect``."""
    pool, name = pool_of(resource_class), pool_table_name(recipient, dataset)
    if dialect in _SCHEMA_DIALECTS:
        return TableRef(name, pool)
    return TableRef(bounded_identifier(f"{pool}_{name}"))


def resource_classes(catalogue_dir: Path) -> dict[str, str]:
    """dataset -> resource class, from the catalogue (CatalogueError if it cannot be loaded)."""
    return {dataset: entry.resource_class.value
            for dataset, entry in load_catalogue(catalogue_dir).entries.items()}


def class_lookup(source: ResourceClassOf | Mapping[str, str] | None,
                 settings: GovbusSettings) -> ResourceClassOf:
    """A dataset -> resource class function from a function, a mapping or (None) the catalogue
    in ``settings.catalogue_dir``; datasets a mapping lacks are department resources."""
    if callable(source):
        return source
    classes = dict(source) if source is not None else resource_classes(settings.catalogue_dir)
    return lambda dataset: classes.get(dataset, DEFAULT_CLASS)


def pool_table_ref(settings: GovbusSettings, recipient: str, dataset: str,
                   resource_class_of: ResourceClassOf | Mapping[str, str] | None = None) -> TableRef:
    """Where the sink keeps ``dataset`` for ``recipient`` in ``settings.pool_url``: for readers of
    the pool (demo counts, ``govbus pool query``) that must agree with the sink."""
    dialect = make_url(settings.pool_url).get_backend_name()
    resource_class = class_lookup(resource_class_of, settings)(dataset)
    return table_ref(dialect, resource_class, recipient, dataset)
