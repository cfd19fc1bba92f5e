"""Finding the files to ingest: which files a folder holds, which are skipped and why.

One rule for every way in (a scan, the watcher, an upload, the reconcile at start): a path
that leads outside the folder it was found in, through a symbolic link or a linked folder,
or that is not a regular file (a pipe, a socket, a device), is never opened.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from assistant.core.report import FileIssue, IngestReport
from ingest.documents import Candidate
from ingest.loaders import LOADERS

IGNORED_PREFIXES = (".", "~$", "~")  # dotfiles, Office lock files, editor backups
IGNORED_SUFFIXES = (".tmp", ".part", ".crdownload", ".swp", ".swx", "~")  # files being written
LEADS_OUTSIDE = (
    "a symbolic link, or in a linked folder, leading outside the inbox; not followed (copy "
    "the file into the inbox to index it)"
)
LINKED_FOLDER = "a linked folder; not followed (its files are read where they are)"
NOT_REGULAR = "not a regular file (a pipe, socket or device); not read"


def file_sha256(path: Path) -> str:
    """The file's hash, read only if it is a regular file: opened without blocking, so a pipe
    put in its place cannot hold the reader (and the ingestion lock) forever."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(f"{path.name}: {NOT_REGULAR}")
        digest = hashlib.sha256()
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def is_ignored(name: str) -> bool:
    """Hidden, lock, backup and partial-download files are never ingested."""
    return name.startswith(IGNORED_PREFIXES) or name.lower().endswith(IGNORED_SUFFIXES)


def resolved(path: Path) -> Path | None:
    """Where a path leads, or None when it cannot be followed (a link loop, a dead end)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # Python 3.11 raises RuntimeError for a link loop
        return None


def unreadable(path: Path, root: Path) -> str | None:
    """Why a path found under `root` (resolved) is never opened, or None when it may be: it
    leads outside `root`, lies in a linked folder (even one leading inside: its files are
    read where they are), or is not a regular file."""
    target = resolved(path)
    try:
        mode = path.stat().st_mode if target is not None else None
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    if target is None or mode is None:
        return "a symbolic link that cannot be followed (a loop?); not read"
    if not is_within(target, root):
        return LEADS_OUTSIDE
    if stat.S_ISDIR(mode) or resolved(path.parent) != path.parent:
        return LINKED_FOLDER
    if not stat.S_ISREG(mode):
        return NOT_REGULAR
    return None


def skip_reason(path: Path, root: Path) -> str | None:
    """Why a file under `root` (resolved) is not read, or None when it is."""
    if is_ignored(path.name):
        return "hidden, temporary or lock file"
    reason = unreadable(path, root)
    if reason is None and path.suffix.lower() not in LOADERS:
        supported = " ".join(sorted(LOADERS))
        return f"unsupported format {path.suffix or '(no extension)'}; supported: {supported}"
    return reason


class Scanner:
    """Names files by their path relative to the inbox (or to a folder given outside it)."""

    def __init__(self, inbox: Path) -> None:
        self.inbox = inbox

    def candidates(self, target: Path, report: IngestReport) -> Iterator[Candidate]:
        """The readable files at or under `target`; skipped and missing ones go to `report`."""
        path = self.located(target)
        if not path.exists() and not path.is_symlink():
            report.failed.append(FileIssue(source=str(target), reason="no such file or folder"))
            return
        inbox = self.inbox.resolve()
        if not is_within(path, inbox):  # a folder or file given outside the inbox, as it is
            path = resolved(path) or path
            root = path if path.is_dir() else path.parent
        else:
            root = inbox
        if path.is_dir() and not path.is_symlink():
            yield from self.walk(path, root, report)
        else:
            yield from self.judged(path, root, report)

    def walk(self, folder: Path, root: Path, report: IngestReport) -> Iterator[Candidate]:
        """The readable files under a folder; a linked folder inside it is not entered."""
        for parent, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files + [d for d in dirs if Path(parent, d).is_symlink()]):
                yield from self.judged(Path(parent) / name, root, report)

    def judged(self, path: Path, root: Path, report: IngestReport) -> Iterator[Candidate]:
        """The file as a candidate, or its skip with the reason in `report`."""
        source = self.source_for(path, root)
        reason = skip_reason(path, root)
        if reason:
            report.skipped.append(FileIssue(source=source, reason=reason))
        else:
            yield Candidate(path, source)

    def located(self, target: Path) -> Path:
        """The path with the inbox part resolved and the rest as given: a link inside the
        inbox is judged by where it leads, not silently replaced by it."""
        absolute = Path(os.path.abspath(target.expanduser()))
        inbox = Path(os.path.abspath(self.inbox))
        if is_within(absolute, inbox):
            return self.inbox.resolve() / absolute.relative_to(inbox)
        return absolute

    def source_for(self, path: Path, root: Path) -> str:
        """Sources are relative to the inbox, or to the folder given when outside the inbox."""
        inbox = self.inbox.resolve()
        base = inbox if is_within(path, inbox) else root
        return path.relative_to(base).as_posix()
