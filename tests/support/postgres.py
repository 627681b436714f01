"""PostgreSQL for the tests: an existing server named by ``GOVBUS_TEST_POSTGRES_URL``, else a
throwaway cluster started from the PostgreSQL server binaries (Debian: package ``postgresql``,
``/usr/lib/postgresql/<version>/bin/initdb`` and ``pg_ctl``). Nothing here skips: a missing
PostgreSQL fails the tests that need it."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ENV = "GOVBUS_TEST_POSTGRES_URL"


class PostgresUnavailable(RuntimeError):
    """Neither ``GOVBUS_TEST_POSTGRES_URL`` nor a PostgreSQL server that could be started."""


def server_bindir() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``: on the PATH, else the newest Debian version."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent  # Debian links it from /usr/lib/postgresql/<v>/bin
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: [int(x) if x.isdigit() else x for x in Path(p).parts[-3].split(".")])
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


def _run(cmd: list[str], what: str) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise PostgresUnavailable(f"{what} failed ({' '.join(cmd)}):\n{done.stdout}{done.stderr}")


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """A new cluster in a temporary folder on a free loopback port, stopped and removed
    afterwards; yields the URL of its ``postgres`` database (superuser ``postgres``, trust)."""
    bindir = server_bindir()
    if bindir is None:
        raise PostgresUnavailable(
            f"no PostgreSQL here: set {ENV} (e.g. postgresql+psycopg://govbus:govbus@127.0.0.1:5432/govbus,"
            " a role with CREATEDB) or install the server binaries (Debian: apt-get install postgresql,"
            " which provides /usr/lib/postgresql/<version>/bin/initdb and pg_ctl)")
    root = Path(tempfile.mkdtemp(prefix="govbus-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", _free_port()
    ctl = _as_postgres_user([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w"])
    try:
        _run(_as_postgres_user([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]),
             "initdb")
        try:
            _run([*ctl, "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1", "start"], "pg_ctl start")
        except PostgresUnavailable as failed:
            log = root / "log"
            raise PostgresUnavailable(f"{failed}\n{log.read_text() if log.exists() else ''}") from None
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*ctl, "-m", "fast", "stop"], check=False, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def postgres_server() -> Iterator[str]:
    """``GOVBUS_TEST_POSTGRES_URL`` if set, else a throwaway cluster (see the module docstring)."""
    url = os.environ.get(ENV)
    if url:
        yield url
        return
    with throwaway_cluster() as url:
        yield url
