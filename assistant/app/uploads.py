"""Files uploaded through the chat or the API: saved into the inbox, then ingested together."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from assistant.core.models import FileOutcome
from assistant.core.report import IngestReport
from ingest.uploads import Saved, UploadError, save_upload, upload_outcome

Ingest = Callable[[list[Path]], IngestReport]
Metadata = Callable[[str], dict[str, str]]


def add_files(
    inbox: Path,
    limit: int,
    uploads: Sequence[tuple[str, BinaryIO]],
    folder: str | None,
    ingest: Ingest,
    metadata_of: Metadata,
) -> list[FileOutcome]:
    """Save uploads (of at most `limit` bytes) into the inbox and ingest them; one outcome
    per file, in order."""
    saved: list[tuple[str, Saved | None, str | None, str | None]] = []
    for name, data in uploads:
        try:
            upload = save_upload(inbox, name, data, limit, folder)
        except UploadError as exc:
            saved.append((name, None, None, str(exc)))
            continue
        before = metadata_of(upload.path.relative_to(inbox).as_posix())
        saved.append((name, upload, before.get("file_sha256"), None))
    paths = [upload.path for _, upload, _, _ in saved if upload is not None]
    report = ingest(paths) if paths else IngestReport()
    return [
        upload_outcome(upload, inbox, before, report, metadata_of)
        if upload is not None
        else FileOutcome(source=name, status="refused", reason=refusal)
        for name, upload, before, refusal in saved
    ]
