"""Finding the files to ingest: which files a folder holds, which are skipped and why."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from assistant.core.report import FileIssue, IngestReport
from ingest.documents import Candidate
from ingest.loaders import LOADERS

IGNORED_PREFIXES = (".", "~$", "~")  # dotfiles, Office lock files, editor backups
IGNORED_SUFFIXES = (".tmp", ".part", ".crdownload", ".swp", ".swx", "~")  # files being written


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def is_ignored(name: str) -> bool:
    """Hidden, lock, backup and partial-download files are never ingested."""
    return name.startswith(IGNORED_PREFIXES) or name.lower().endswith(IGNORED_SUFFIXES)


def skip_reason(path: Path, root: Path) -> str | None:
    """Why a file under `root` is not read, or None when it is."""
    if is_ignored(path.name):
        return "hidden, temporary or lock file"
    if path.is_symlink() and not is_within(path.resolve(), root):
        return "symbolic link to a file outside the folder; not followed"
    if path.suffix.lower() not in LOADERS:
        supported = " ".join(sorted(LOADERS))
        return f"unsupported format {path.suffix or '(no extension)'}; supported: {supported}"
    return None


class Scanner:
    """Names files by their path relative to the inbox (or to a folder given outside it)."""

    def __init__(self, inbox: Path) -> None:
        self.inbox = inbox

    def candidates(self, target: Path, report: IngestReport) -> Iterator[Candidate]:
        """The readable files at or under `target`; skipped and missing ones go to `report`."""
        if not target.exists():
            report.failed.append(FileIssue(source=str(target), reason="no such file or folder"))
            return
        if target.is_file():
            path = target.resolve()
            yield Candidate(path, self.source_for(path, path.parent))
            return
        root = target.resolve()
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                path = Path(folder) / name
                source = self.source_for(path, root)
                reason = skip_reason(path, root)
                if reason:
                    report.skipped.append(FileIssue(source=source, reason=reason))
                else:
                    yield Candidate(path, source)

    def source_for(self, path: Path, root: Path) -> str:
        """Sources are relative to the inbox, or to the folder given when outside the inbox."""
        inbox = self.inbox.resolve()
        base = inbox if is_within(path, inbox) else root
        return path.relative_to(base).as_posix()
