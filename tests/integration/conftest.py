"""Fixtures shared by integration tests of several packages (the audit store, the pool query)."""
from __future__ import annotations

from typing import Iterator

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A fresh, empty database on each supported dialect, because the audit store and the pool
    query must behave the same on the embedded default (SQLite) and on production (PostgreSQL).
    PostgreSQL databases are created on the session's server (``postgres_url``) and dropped
    afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'audit.db'}"
        return
    from bench.databases import fresh_database

    with fresh_database(request.getfixturevalue("postgres_url"), "audit") as url:
        yield url
