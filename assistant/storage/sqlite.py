"""Small SQLite files under the data dir (facts, embedding cache, feedback)."""

from __future__ import annotations

import logging
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

from assistant.storage.disk import refusal

logger = logging.getLogger(__name__)


def now() -> str:
    """The time a row is written: ISO 8601, UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def open_sqlite(
    path: Path, schema: str, spare: bool = False
) -> tuple[sqlite3.Connection, threading.Lock]:
    """Open (or create) a database with its schema, and the lock its users share it under.

    The connection is used from worker threads, one statement at a time under the lock.
    `spare`: the product works without this data (a cache, feedback), so if the disk refuses
    the file, it is kept in memory until the next start instead.
    """
    try:
        return connect(path, schema), threading.Lock()
    except (OSError, sqlite3.OperationalError) as exc:
        if not spare or refusal(exc) is None:
            raise
        logger.warning("%s cannot be written (%s); kept in memory until restart", path, exc)
        return connect(None, schema), threading.Lock()


def connect(path: Path | None, schema: str) -> sqlite3.Connection:
    """The database at path (in memory for None), with its schema."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path or ":memory:"), check_same_thread=False)
    with db:
        db.executescript(schema)
    return db
