"""Where each poll stands: one row per (database, table, dataset, bus) in a local SQLite file.

Kept on the adapter's host, not in the department's database: the poller needs only read access
there. A save is one committed transaction (SQLite's default rollback journal, synchronous=FULL),
so after a crash the file holds either the old or the new watermark, never half of one.
"""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from producers.sql.logic import Watermark, dump_watermark, load_watermark

_SCHEMA = """CREATE TABLE IF NOT EXISTS poll_watermarks (
    poll_key TEXT PRIMARY KEY,
    watermark TEXT NOT NULL,
    updated_at TEXT NOT NULL
)"""


class WatermarkStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None)  # explicit transactions below
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)

    def load(self, key: str) -> Watermark | None:
        row = self._db.execute("SELECT watermark FROM poll_watermarks WHERE poll_key = ?",
                               (key,)).fetchone()
        return load_watermark(row[0]) if row else None

    def save(self, key: str, mark: Watermark) -> None:
        """Call only after the publisher's flush confirmed every record up to ``mark``."""
        now = datetime.now(timezone.utc).isoformat()
        with self._db:  # BEGIN … COMMIT
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT INTO poll_watermarks (poll_key, watermark, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (poll_key) DO UPDATE SET watermark = excluded.watermark, "
                "updated_at = excluded.updated_at", (key, dump_watermark(mark), now))

    def reset(self, key: str) -> None:
        with self._db:
            self._db.execute("DELETE FROM poll_watermarks WHERE poll_key = ?", (key,))

    def close(self) -> None:
        self._db.close()
