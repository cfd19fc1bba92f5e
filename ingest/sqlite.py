"""Small SQLite files under the data dir (facts, embedding cache, feedback)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


def open_sqlite(path: Path, schema: str) -> tuple[sqlite3.Connection, threading.Lock]:
    """Open (or create) a database with its schema, and the lock its users share it under.

    The connection is used from worker threads, one statement at a time under the lock.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), check_same_thread=False)
    with db:
        db.executescript(schema)
    return db, threading.Lock()
