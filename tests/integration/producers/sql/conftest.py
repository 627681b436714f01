"""Fixtures for the SQL-polling adapter against the real broker."""
from __future__ import annotations

from typing import Iterator

import pytest
from sqlalchemy import create_engine, text


@pytest.fixture(params=["sqlite", "postgresql"])
def department_db(request, tmp_path, unique) -> Iterator[tuple[str, str]]:
    """(SQLAlchemy URL, table name) of a department database with no tables yet; the
    PostgreSQL table is dropped afterwards, since that database outlives the test."""
    table = f"orders_{unique}"
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'department.db'}", table
        return
    url = request.getfixturevalue("postgres_url")
    yield url, table
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP TABLE IF EXISTS "{table}"'))
    engine.dispose()
