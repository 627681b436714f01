"""Fixtures for the pool sink's integration tests."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def pool_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty pool database on each supported dialect, because the upsert SQL, the pools
    (schemas vs prefixes) and crash recovery differ between them. PostgreSQL pools are fresh
    databases on the session's server (``postgres_url``), dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'pool.db'}"
        return
    from bench.databases import fresh_database

    with fresh_database(request.getfixturevalue("postgres_url"), "pool") as url:
        yield url
