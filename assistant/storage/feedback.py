"""Thumbs up/down on answers, kept in a local SQLite file so answer quality can be reviewed."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.core.models import Answer
from assistant.storage.disk import best_effort
from assistant.storage.sqlite import now, open_sqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    message_id TEXT PRIMARY KEY, asked_at TEXT, question TEXT, vendor TEXT,
    answer TEXT, status TEXT, citations TEXT
);
CREATE TABLE IF NOT EXISTS feedback (
    message_id TEXT PRIMARY KEY, rated_at TEXT, value INTEGER, comment TEXT
);
CREATE VIEW IF NOT EXISTS rated_answers AS
    SELECT f.rated_at, CASE f.value WHEN 1 THEN 'up' ELSE 'down' END AS rating, f.comment,
           a.question, a.vendor, a.answer, a.status, a.citations
    FROM feedback f JOIN answers a USING (message_id);
"""


class FeedbackStore:
    """answers: what was asked and answered; feedback: the rating; rated_answers joins them."""

    def __init__(self, path: Path) -> None:
        self._db, self._lock = open_sqlite(path, SCHEMA, spare=True)

    def remember(self, message_id: str, question: str, vendor: str | None, answer: Answer) -> None:
        citations = json.dumps([c.model_dump() for c in answer.citations])
        with best_effort("the answer, for feedback"), self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?)",
                (message_id, now(), question, vendor, answer.answer, answer.status, citations),
            )

    def rate(self, message_id: str, value: int, comment: str | None) -> None:
        with best_effort("a rating"), self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?)",
                (message_id, now(), value, comment),
            )

    def unrate(self, message_id: str) -> None:
        with best_effort("a rating's removal"), self._lock, self._db:
            self._db.execute("DELETE FROM feedback WHERE message_id = ?", (message_id,))

    def close(self) -> None:
        self._db.close()
