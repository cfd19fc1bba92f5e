"""Writes under the data directory: a full or read-only disk becomes one error that says what
to do, and the writes the product can do without (caches, feedback) never stop it."""

from __future__ import annotations

import errno
import logging
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.core.errors import DataDirError

logger = logging.getLogger(__name__)
FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
NOT_WRITABLE = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})
FIXES = {
    "full": "the disk is full; free some space",
    "read-only": "it is read-only or not writable; make it writable",
}


def refusal(exc: BaseException) -> str | None:
    """'full' or 'read-only' when the disk refused a write, None for any other error."""
    if isinstance(exc, OSError):
        if exc.errno in FULL:
            return "full"
        if exc.errno in NOT_WRITABLE:
            return "read-only"
    if isinstance(exc, sqlite3.OperationalError):
        primary = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF  # extended codes: low byte
        if primary == sqlite3.SQLITE_FULL:
            return "full"
        if primary in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
            return "read-only"
    return None


INGEST_AGAIN = "run `vendorintel ingest` again (a running server retries by itself)"


@contextmanager
def data_dir_writes(data_dir: Path, retry: str = INGEST_AGAIN) -> Iterator[None]:
    """Raise a refused write as a DataDirError naming the place, the fix and how to retry."""
    try:
        yield
    except (OSError, sqlite3.OperationalError) as exc:
        state = refusal(exc)
        if state is None:
            raise
        where = getattr(exc, "filename", None) or data_dir
        detail = getattr(exc, "strerror", None) or str(exc)
        raise DataDirError(
            f"Cannot write to {where} ({detail}): {FIXES[state]}, then {retry}. Documents "
            "indexed before are still answered."
        ) from exc


@contextmanager
def best_effort(what: str) -> Iterator[None]:
    """For writes the product works without: a refused write is logged, not raised."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if refusal(exc) is None:
            raise
        logger.warning("%s not saved: %s", what, exc)


def ensure_room(folder: Path, needed: int) -> None:
    """Refuse to start a write that would fail or not fit, so it is not left half done."""
    try:
        with tempfile.TemporaryFile(dir=folder):  # fails at once if the folder is read-only
            pass
    except OSError as exc:  # named after the folder, not the probe file that was never made
        raise OSError(exc.errno, exc.strerror, str(folder)) from exc
    free = shutil.disk_usage(folder).free
    if free < needed:
        wanted = f"{free / 2**20:.1f} MB free, about {needed / 2**20:.1f} MB needed"
        raise OSError(errno.ENOSPC, wanted, str(folder))


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A hidden file beside `path` to write in full, which then replaces `path` in one step:
    a stop half-way leaves the old file, and a failed write (a full disk) leaves no debris."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        yield partial
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
