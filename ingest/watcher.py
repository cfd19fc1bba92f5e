"""Watch the inbox: ingest files once they stop changing, drop the chunks of deleted ones."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from watchfiles import Change, DefaultFilter, awatch

from assistant.core.errors import DataDirError, IngestionBusyError, IngestionStoppedError
from assistant.core.report import IngestReport
from ingest.scanner import is_ignored

logger = logging.getLogger(__name__)
Signature = tuple[int, int]  # size and modification time: unchanged for `settle` s = written
Apply = Callable[[list[Path], list[Path]], IngestReport]
OnReport = Callable[[IngestReport], Awaitable[None]]
MAX_PAUSE = 600.0  # seconds between retries of an ingestion that keeps failing unexpectedly


def signature(path: Path) -> Signature | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


class InboxFilter(DefaultFilter):
    """watchfiles' defaults (.git, __pycache__, editor swap files) plus our ignored names."""

    def __call__(self, change: Change, path: str) -> bool:
        return super().__call__(change, path) and not is_ignored(os.path.basename(path))


class InboxWatcher:
    """Collects changes, waits until each changed file has settled, then applies them.

    A file being copied or written in pieces keeps changing size or modification time; it is
    ingested once neither has changed for `settle` seconds.
    """

    def __init__(
        self,
        inbox: Path,
        apply: Apply,
        on_report: OnReport,
        settle: float = 1.0,
        retry_after: float = 30.0,
    ):
        self.inbox = inbox
        self.apply = apply
        self.on_report = on_report
        self.settle = settle
        self.retry_after = retry_after  # after a failed batch (a full disk, say), try again
        self._changed: dict[Path, tuple[Signature | None, float]] = {}
        self._deleted: set[Path] = set()
        self._paused_until = 0.0
        self._failures = 0  # unexpected failures in a row

    async def run(
        self, stop: asyncio.Event, on_start: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        """Watch until `stop` is set; a failing batch is logged and retried `retry_after`
        seconds later, and the watch goes on.

        `on_start` (the reconcile) runs once the watch is live, so a file dropped while it
        runs is still seen.
        """
        self.inbox.mkdir(parents=True, exist_ok=True)
        pending_start = on_start
        async for changes in awatch(
            self.inbox,
            watch_filter=InboxFilter(),
            stop_event=stop,
            debounce=200,
            rust_timeout=250,
            yield_on_timeout=True,  # wake up regularly to see which files have settled
        ):
            if pending_start and not self.paused() and await self.attempt(pending_start):
                pending_start = None  # done; had it failed, it would run again after the pause
            self.note(changes)
            await self.flush()

    def note(self, changes: set[tuple[Change, str]]) -> None:
        now = time.monotonic()
        for change, name in changes:
            path = Path(name)
            if change == Change.deleted:
                self._changed.pop(path, None)
                self._deleted.add(path)
            elif path.is_dir() and not path.is_symlink():  # a linked folder is not entered
                for folder, _, files in os.walk(path):
                    for file in files:
                        if not is_ignored(file):
                            self._changed[Path(folder) / file] = (None, now)
            else:
                self._deleted.discard(path)
                self._changed[path] = (None, now)

    def settled(self) -> list[Path]:
        """Changed files whose size and time have not moved for `settle` seconds."""
        now, ready = time.monotonic(), []
        for path, (seen, since) in list(self._changed.items()):
            current = signature(path)
            if current is None:  # gone again before it settled
                del self._changed[path]
            elif current != seen:
                self._changed[path] = (current, now)
            elif now - since >= self.settle:
                ready.append(path)
                del self._changed[path]
        return ready

    async def flush(self) -> None:
        if self.paused():
            return
        ready, deleted = self.settled(), sorted(self._deleted)
        if not ready and not deleted:
            return
        self._deleted.clear()
        reports: list[IngestReport] = []

        async def apply() -> None:
            reports.append(await asyncio.to_thread(self.apply, ready, deleted))

        if not await self.attempt(apply):  # keep them for the retry
            now = time.monotonic()
            self._changed.update((path, (signature(path), now)) for path in ready)
            self._deleted.update(deleted)
            return
        await self.on_report(reports[0])

    def paused(self) -> bool:
        return time.monotonic() < self._paused_until

    async def attempt(self, work: Callable[[], Awaitable[None]]) -> bool:
        """Run an ingestion; if it fails, log why and pause until it is time to retry.

        A full or read-only disk is retried at the same pace, to catch up soon after it is
        fixed; an unexpected error waits twice as long each time, up to MAX_PAUSE.
        """
        try:
            await work()
        except IngestionStoppedError:
            logger.info("ingestion stopped with the service; the next start finishes it")
            return False
        except Exception as exc:
            expected = isinstance(exc, DataDirError | IngestionBusyError)  # no traceback needed
            self._failures = 0 if expected else self._failures + 1
            pause = min(self.retry_after * 2 ** max(self._failures - 1, 0), MAX_PAUSE)
            self._paused_until = time.monotonic() + pause
            logger.error(
                "ingesting from the inbox failed; retrying in %.0f s: %s",
                pause,
                exc,
                exc_info=not expected,
            )
            return False
        self._failures = 0
        return True
