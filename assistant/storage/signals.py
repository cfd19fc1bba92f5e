"""The signals file: per indexed document, the file hash its events were read from and the
events it reports (Mention rows). A document's rows are replaced in one transaction."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.core.signals import Mention
from assistant.storage.sqlite import open_sqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS read (source TEXT PRIMARY KEY, sha TEXT);
CREATE TABLE IF NOT EXISTS mentions (
    source TEXT, vendor TEXT, date TEXT, dated INTEGER, kind TEXT, quote TEXT, locator TEXT,
    score REAL, vector BLOB
);
CREATE INDEX IF NOT EXISTS mentions_of ON mentions (source);
"""
COLUMNS = "source, vendor, date, dated, kind, quote, locator, score, vector"


class SignalStore:
    def __init__(self, path: Path) -> None:
        self._db, self._lock = open_sqlite(path, SCHEMA)

    def read(self) -> dict[str, str]:
        """The documents whose events are stored, with the file hash they were read from."""
        with self._lock:
            return dict(self._db.execute("SELECT source, sha FROM read").fetchall())

    def replace(self, source: str, sha: str, mentions: list[Mention]) -> None:
        """A document's events, as read from the file with this hash (none: it reports none)."""
        rows = [
            (
                m.source,
                m.vendor,
                m.date,
                int(m.dated),
                m.kind,
                m.quote,
                m.locator,
                m.score,
                np.asarray(m.vector, dtype=np.float32).tobytes(),
            )
            for m in mentions
        ]
        with self._lock, self._db:
            self._db.execute("DELETE FROM mentions WHERE source = ?", (source,))
            self._db.executemany(
                f"INSERT INTO mentions ({COLUMNS}) VALUES ({', '.join('?' * 9)})", rows
            )
            self._db.execute("INSERT OR REPLACE INTO read VALUES (?, ?)", (source, sha))

    def remove(self, sources: list[str]) -> None:
        with self._lock, self._db:
            for source in sources:
                self._db.execute("DELETE FROM mentions WHERE source = ?", (source,))
                self._db.execute("DELETE FROM read WHERE source = ?", (source,))

    def mentions(self) -> list[Mention]:
        with self._lock:
            rows = self._db.execute(f"SELECT {COLUMNS} FROM mentions").fetchall()
        return [
            Mention(
                source,
                vendor,
                day,
                bool(dated),
                kind,
                quote,
                locator,
                score,
                np.frombuffer(vector, dtype=np.float32).tolist(),
            )
            for source, vendor, day, dated, kind, quote, locator, score, vector in rows
        ]

    def close(self) -> None:
        with self._lock:
            self._db.close()
