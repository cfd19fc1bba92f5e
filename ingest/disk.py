"""Writes under the data directory: a full or read-only disk becomes one error that says what
to do, and the writes the product can do without (caches, feedback) never stop it."""

from __future__ import annotations

import errno
import logging
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

logger = logging.getLogger(__name__)
FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
NOT_WRITABLE = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})
FIXES = {
    "full": "the disk is full; free some space",
    "read-only": "it is read-only or not writable; make it writable",
}


class DataDirError(RuntimeError):
    """A write under the data directory was refused: the disk is full or read-only."""


def refusal(exc: BaseException) -> str | None:
    """'full' or 'read-only' when the disk refused a write, None for any other error."""
    if isinstance(exc, OSError):
        if exc.errno in FULL:
            return "full"
        if exc.errno in NOT_WRITABLE:
            return "read-only"
    if isinstance(exc, sqlite3.OperationalError):  # SQLite reports these in words only
        text = str(exc).lower()
        if "disk is full" in text:
            return "full"
        if "readonly" in text or "unable to open" in text:
            return "read-only"
    return None


@contextmanager
def data_dir_writes(data_dir: Path) -> Iterator[None]:
    """Raise a refused write as a DataDirError naming the place and the fix."""
    try:
        yield
    except (OSError, sqlite3.OperationalError) as exc:
        state = refusal(exc)
        if state is None:
            raise
        where = getattr(exc, "filename", None) or data_dir
        detail = getattr(exc, "strerror", None) or str(exc)
        raise DataDirError(
            f"Cannot write to {where} ({detail}): {FIXES[state]}, then run `vendorintel "
            "ingest` again (a running server retries by itself). Documents indexed before "
            "are still answered."
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
    with tempfile.TemporaryFile(dir=folder):  # raises at once if the folder is read-only
        pass
    free = shutil.disk_usage(folder).free
    if free < needed:
        wanted = f"{free / 2**20:.1f} MB free, about {needed / 2**20:.1f} MB needed"
        raise OSError(errno.ENOSPC, wanted, str(folder))
