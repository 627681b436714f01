"""Fixtures for the consumers' integration tests."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

import pytest


def _postgres_bindir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


def _as_postgres_user(cmd: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root; CI containers often are root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database for the pool, because production pools run on PostgreSQL and its
    upsert dialect differs from SQLite's. ``GOVBUS_TEST_POSTGRES_URL`` names an existing one;
    otherwise a throwaway cluster is started from the local PostgreSQL binaries. Fails where
    neither exists: pool tests are never skipped."""
    url = os.environ.get("GOVBUS_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    bindir = _postgres_bindir()
    if bindir is None:
        pytest.fail("no PostgreSQL here: set GOVBUS_TEST_POSTGRES_URL or install postgresql (never skipped)")
    root = Path(tempfile.mkdtemp(prefix="govbus-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", _free_port()
    subprocess.run(_as_postgres_user([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]),
                   check=True, capture_output=True)
    ctl = _as_postgres_user([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w"])
    subprocess.run([*ctl, "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1", "start"],
                   check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*ctl, "-m", "fast", "stop"], check=False, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def pool_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty pool database on each supported dialect, because the upsert SQL, the pools
    (schemas vs prefixes) and crash recovery differ between them. PostgreSQL pools are fresh
    databases, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'pool.db'}"
        return
    from bench.databases import fresh_database

    with fresh_database(request.getfixturevalue("postgres_url"), "pool") as url:
        yield url
