"""Fixtures for the audit store's and pool query's integration tests."""
from __future__ import annotations

import uuid
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text

# The session's throwaway PostgreSQL, shared with the pool tests rather than started a second way.
from tests.integration.consumers.conftest import postgres_url  # noqa: F401


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A fresh, empty database on each supported dialect, because the audit store and the pool
    query must behave the same on the embedded default (SQLite) and on production (PostgreSQL)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'audit.db'}"
        return
    base = request.getfixturevalue("postgres_url")
    name = f"audit_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    yield base.rsplit("/", 1)[0] + f"/{name}"
