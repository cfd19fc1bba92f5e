"""The signals file: per indexed document, the file hash its events were read from and the
events it reports (Mention rows). A document's rows are replaced in one transaction."""

from __future__ import annotations

from dataclasses import astuple, fields
from pathlib import Path

from assistant.core.signals import Mention
from assistant.storage.sqlite import open_sqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS read (source TEXT PRIMARY KEY, sha TEXT);
CREATE TABLE IF NOT EXISTS mentions (
    source TEXT, vendor TEXT, date TEXT, dated INTEGER, kind TEXT, quote TEXT, locator TEXT,
    score REAL
);
CREATE INDEX IF NOT EXISTS mentions_of ON mentions (source);
"""
FIELDS = [f.name for f in fields(Mention)]
COLUMNS = ", ".join(FIELDS)


class SignalStore:
    def __init__(self, path: Path) -> None:
        self._db, self._lock = open_sqlite(path, SCHEMA)

    def read(self) -> dict[str, str]:
        """The documents whose events are stored, with the file hash they were read from."""
        with self._lock:
            return dict(self._db.execute("SELECT source, sha FROM read").fetchall())

    def replace(self, source: str, sha: str, mentions: list[Mention]) -> None:
        """A document's events, as read from the file with this hash (none: it reports none)."""
        rows = [astuple(m) for m in mentions]  # its fields are the columns, in order
        with self._lock, self._db:
            self._db.execute("DELETE FROM mentions WHERE source = ?", (source,))
            self._db.executemany(
                f"INSERT INTO mentions ({COLUMNS}) VALUES ({', '.join('?' * len(FIELDS))})", rows
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
        return [from_row(row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def from_row(row: tuple[object, ...]) -> Mention:
    read = dict(zip(FIELDS, row, strict=True))
    read["dated"] = bool(read["dated"])  # SQLite keeps it as 0 or 1
    return Mention(**read)  # type: ignore[arg-type]  # the columns are Mention's fields
