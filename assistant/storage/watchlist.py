"""The watchlist file: followed questions, their changes, the webhook deliveries still owed,
and the index as the last re-check saw it. Each write is one SQLite transaction, so a crash
loses nothing that was acknowledged."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.models import Answer
from assistant.core.watchlist import Change, Followed
from assistant.storage.sqlite import now, open_sqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS followed (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT, question TEXT, vendor TEXT,
    followed_at TEXT, checked_at TEXT, state TEXT, cited TEXT, probe TEXT, vector BLOB
);
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, followed_id INTEGER, at TEXT, change TEXT
);
CREATE INDEX IF NOT EXISTS changes_of ON changes (followed_id, id);
CREATE TABLE IF NOT EXISTS deliveries (
    change_id INTEGER PRIMARY KEY, attempts INTEGER, next_at REAL, state TEXT, error TEXT
);
CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, value TEXT);
"""


@dataclass(frozen=True)
class Probe:
    """How a new document could enter a question's evidence: being about one of the
    `vendors` the question is about, or, for a question about none, a chunk of it at least
    `floor` similar to the question's embedding (the similarity of its last passage)."""

    embedding: list[float] | np.ndarray
    floor: float
    vendors: list[str]


@dataclass(frozen=True)
class Watch:
    """What a re-check reads of a followed question to decide whether to answer it again:
    its answer's status and cited documents (with their types), and its probe."""

    id: int
    kind: str
    vendor: str | None
    status: str
    cited: dict[str, str]  # source: doc type
    probe: Probe | None


@dataclass(frozen=True)
class Seen:
    """The index as the last re-check saw it: per document its file hash and vendors, and
    the documents that hold registry or eval records."""

    documents: dict[str, tuple[str, list[str]]]
    records: set[str]


@dataclass(frozen=True)
class Delivery:
    change: Change
    attempts: int
    due: float  # a time.time() value


class WatchlistStore:
    def __init__(self, path: Path) -> None:
        self._db, self._lock = open_sqlite(path, SCHEMA)

    # -- followed questions ----------------------------------------------------------------

    def add(
        self,
        kind: str,
        question: str,
        vendor: str | None,
        answer: Answer,
        statuses: dict[str, str],
        probe: Probe | None,
    ) -> Followed:
        stamp = now()
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT INTO followed (kind, question, vendor, followed_at, checked_at, state, "
                "cited, probe, vector) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    kind,
                    question,
                    vendor,
                    stamp,
                    stamp,
                    _state(answer, statuses),
                    _cited(answer),
                    *_probe(probe),
                ),
            )
        followed = self.get(int(cursor.lastrowid or 0))
        assert followed is not None
        return followed

    def remove(self, followed_id: int) -> bool:
        with self._lock, self._db:
            gone = self._db.execute("DELETE FROM followed WHERE id = ?", (followed_id,)).rowcount
            owed = "SELECT id FROM changes WHERE followed_id = ?"
            self._db.execute(f"DELETE FROM deliveries WHERE change_id IN ({owed})", (followed_id,))
            self._db.execute("DELETE FROM changes WHERE followed_id = ?", (followed_id,))
        return bool(gone)

    def get(self, followed_id: int) -> Followed | None:
        found = self._followed("WHERE id = ?", (followed_id,))
        return found[0] if found else None

    def all(self) -> list[Followed]:
        return self._followed("ORDER BY id", ())

    def watches(self) -> list[Watch]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, kind, vendor, cited, probe, vector FROM followed ORDER BY id"
            ).fetchall()
        watches = []
        for followed_id, kind, vendor, cited, probe, vector in rows:
            read = json.loads(cited)
            found = None
            if probe is not None:
                embedding = np.frombuffer(vector, dtype=np.float32)
                found = Probe(embedding, **json.loads(probe))
            watches.append(Watch(followed_id, kind, vendor, read["status"], read["sources"], found))
        return watches

    def _followed(self, where: str, args: tuple[Any, ...]) -> list[Followed]:
        with self._lock:
            rows = self._db.execute(
                "SELECT f.id, f.kind, f.question, f.vendor, f.followed_at, f.checked_at, "
                "f.state, (SELECT change FROM changes c WHERE c.followed_id = f.id "
                f"ORDER BY c.id DESC LIMIT 1) FROM followed f {where}",
                args,
            ).fetchall()
        return [
            Followed(
                id=row[0],
                kind=row[1],
                question=row[2],
                vendor=row[3],
                followed_at=row[4],
                checked_at=row[5],
                **json.loads(row[6]),
                last_change=Change.model_validate_json(row[7]) if row[7] else None,
            )
            for row in rows
        ]

    # -- re-checks and their changes -------------------------------------------------------

    def record(
        self,
        followed: Followed,
        probe: Probe | None,
        change: Change | None,
        deliver: bool,
    ) -> Change | None:
        """Store a re-checked answer and, when it changed, the change (and its webhook
        delivery, when there is a webhook), in one transaction. The change gets its id here."""
        with self._lock, self._db:
            self._db.execute(
                "UPDATE followed SET checked_at = ?, state = ?, cited = ?, probe = ?, vector = ? "
                "WHERE id = ?",
                (
                    now(),
                    _state(followed.answer, followed.statuses),
                    _cited(followed.answer),
                    *_probe(probe),
                    followed.id,
                ),
            )
            if change is None:
                return None
            cursor = self._db.execute(
                "INSERT INTO changes (followed_id, at, change) VALUES (?, ?, '')",
                (followed.id, change.at),
            )
            change = change.model_copy(update={"id": int(cursor.lastrowid or 0)})
            self._db.execute(
                "UPDATE changes SET change = ? WHERE id = ?",
                (change.model_dump_json(), change.id),
            )
            if deliver:
                self._db.execute(
                    "INSERT INTO deliveries VALUES (?, 0, ?, 'pending', NULL)",
                    (change.id, time.time()),
                )
        return change

    def history(self, followed_id: int) -> list[Change]:
        with self._lock:
            rows = self._db.execute(
                "SELECT change FROM changes WHERE followed_id = ? ORDER BY id DESC",
                (followed_id,),
            ).fetchall()
        return [Change.model_validate_json(row[0]) for row in rows]

    def seen(self) -> Seen | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM seen WHERE key = 'index'").fetchone()
        if row is None:
            return None
        value = json.loads(row[0])
        documents = {source: (sha, vendors) for source, (sha, vendors) in value["documents"]}
        return Seen(documents, set(value["records"]))

    def set_seen(self, seen: Seen | None) -> None:
        with self._lock, self._db:
            if seen is None:
                self._db.execute("DELETE FROM seen WHERE key = 'index'")
                return
            documents = [[source, list(state)] for source, state in seen.documents.items()]
            value = json.dumps({"documents": documents, "records": sorted(seen.records)})
            self._db.execute("INSERT OR REPLACE INTO seen VALUES ('index', ?)", (value,))

    # -- webhook deliveries ----------------------------------------------------------------

    def next_delivery(self) -> Delivery | None:
        """The oldest delivery still owed (changes are sent in order), with when it is due."""
        with self._lock:
            row = self._db.execute(
                "SELECT c.change, d.attempts, d.next_at FROM deliveries d JOIN changes c ON "
                "c.id = d.change_id WHERE d.state = 'pending' ORDER BY d.change_id LIMIT 1"
            ).fetchone()
        if row is None:
            return None
        return Delivery(Change.model_validate_json(row[0]), row[1], row[2])

    def delivered(self, change_id: int) -> None:
        self._set_delivery(change_id, "sent", None, 0.0)

    def retry(self, change_id: int, error: str, at: float) -> None:
        self._set_delivery(change_id, "pending", error, at)

    def give_up(self, change_id: int, error: str) -> None:
        self._set_delivery(change_id, "failed", error, 0.0)

    def _set_delivery(self, change_id: int, state: str, error: str | None, at: float) -> None:
        with self._lock, self._db:
            self._db.execute(
                "UPDATE deliveries SET state = ?, error = ?, next_at = ?, "
                "attempts = attempts + 1 WHERE change_id = ?",
                (state, error, at, change_id),
            )

    def close(self) -> None:
        self._db.close()


def _state(answer: Answer, statuses: dict[str, str]) -> str:
    return json.dumps({"answer": answer.model_dump(mode="json"), "statuses": statuses})


def _cited(answer: Answer) -> str:
    sources = {c.source: c.doc_type for c in answer.citations}
    return json.dumps({"status": answer.status, "sources": sources})


def _probe(probe: Probe | None) -> tuple[str | None, bytes | None]:
    """The probe's floor and vendors as JSON, and its embedding as float32 bytes (a JSON
    list of 384 numbers takes a hundred times longer to read)."""
    if probe is None:
        return None, None
    vector = np.asarray(probe.embedding, dtype=np.float32).tobytes()
    return json.dumps({"floor": probe.floor, "vendors": probe.vendors}), vector
