"""Throwaway PostgreSQL databases for the sink benchmark and the pool tests."""
from __future__ import annotations

import time
import uuid
from contextlib import contextmanager
from typing import Any, Iterator

from sqlalchemy import create_engine, exc, make_url, text


@contextmanager
def fresh_database(base_url: str, prefix: str = "scratch") -> Iterator[str]:
    """A new empty database on the server of ``base_url``, dropped afterwards."""
    base = make_url(base_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except (exc.OperationalError, exc.ProgrammingError) as error:  # the server's refusal, in one line
        reason = str(error.orig).strip().splitlines()[-1] if error.orig else str(error)
        raise SystemExit(f"bench: cannot create a database on {base.render_as_string()}: {reason}; "
                         "give --postgres-url (or GOVBUS_TEST_POSTGRES_URL) of a role with CREATEDB") from None
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        _drop_database(admin, name)
        admin.dispose()


def _drop_database(admin: Any, name: str, attempts: int = 20) -> None:
    """DROP … WITH (FORCE): a killed sink's connection may linger a moment. FORCE may not end an
    autovacuum worker visiting the fresh database (a superuser's process), so wait it out."""
    for attempt in range(attempts):
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except (exc.ProgrammingError, exc.OperationalError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)
