"""Files uploaded through the API or the chat: checked, named safely, written atomically."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from assistant.core.models import FileOutcome
from assistant.core.report import IngestReport
from assistant.storage.disk import refusal
from ingest.loaders import LOADERS
from ingest.scanner import resolved

UNSAFE = re.compile(r"[^\w.\-() ]+")
MAX_NAME_BYTES = 200  # of a file or folder name: file systems allow 255, temporary names more
MAX_FOLDER_DEPTH = 8
COPY_BLOCK = 1 << 20
TEMPORARY_PREFIX = ".upload-"


class UploadError(ValueError):
    """An upload that is refused; the message says why."""


def safe_filename(name: str) -> str:
    """The bare file name, without folders, leading dots or dashes, or odd characters; a long
    one shortened so that it stays distinct."""
    base = PurePosixPath(name.replace("\\", "/")).name
    base = UNSAFE.sub("_", base).strip(" ._-")
    if not base or not Path(base).stem:
        raise UploadError(
            f"{name!r} is not a usable file name; rename the file and upload it again"
        )
    return shortened(base)


def shortened(name: str) -> str:
    """A name within MAX_NAME_BYTES: a longer one keeps its start and its extension, with a
    short hash of the whole name between, so two long names differing anywhere stay apart."""
    if len(name.encode()) <= MAX_NAME_BYTES:
        return name
    path = Path(name)
    suffix = path.suffix if len(path.suffix.encode()) <= 16 else ""
    stem = name[: len(name) - len(suffix)]
    digest = hashlib.sha256(name.encode()).hexdigest()[:10]
    room = MAX_NAME_BYTES - len(suffix.encode()) - len(digest) - 1
    start = stem.encode()[:room].decode(errors="ignore")  # whole characters only
    return f"{start}-{digest}{suffix}"


def safe_folder(folder: str | None) -> PurePosixPath:
    """A relative folder inside the inbox, such as 'contracts' or 'evals/2026'."""
    if not folder:
        return PurePosixPath()
    parts = [UNSAFE.sub("_", p).strip(" ._-") for p in folder.replace("\\", "/").split("/")]
    if any(p in ("", "..") for p in parts):
        raise UploadError(f"folder {folder!r} is not a plain relative folder name")
    if len(parts) > MAX_FOLDER_DEPTH:
        raise UploadError(f"folder {folder!r} is nested more than {MAX_FOLDER_DEPTH} deep")
    return PurePosixPath(*(shortened(part) for part in parts))


@dataclass(frozen=True)
class Saved:
    """An upload written into the inbox, with the hash of the bytes written."""

    path: Path
    sha: str


def save_upload(
    inbox: Path, filename: str, data: BinaryIO, max_bytes: int, folder: str | None = None
) -> Saved:
    """Write an upload into the inbox; a file of the same name is replaced (a new version)."""
    name = safe_filename(filename)
    if Path(name).suffix.lower() not in LOADERS:
        supported = " ".join(sorted(LOADERS))
        raise UploadError(
            f"unsupported format {Path(name).suffix or '(none)'}; supported: {supported}"
        )
    target_dir = inbox / safe_folder(folder)
    # Through a linked folder a file would land outside the inbox, or where the scan, which
    # does not follow linked folders, never reads it.
    if resolved(target_dir) != inbox.resolve() / safe_folder(folder):
        raise UploadError(
            f"folder {folder!r} is, or lies in, a linked folder that leads outside the inbox "
            "or elsewhere in it; upload into a plain folder of the inbox"
        )
    temporary: str | None = None
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        # A dotfile in the same folder: the scanner ignores it, and os.replace is atomic there.
        handle, temporary = tempfile.mkstemp(prefix=TEMPORARY_PREFIX, dir=target_dir)
        digest = hashlib.sha256()
        with os.fdopen(handle, "wb") as out:
            copied = 0
            while block := data.read(COPY_BLOCK):
                digest.update(block)
                copied += len(block)
                if copied > max_bytes:
                    raise UploadError(
                        f"larger than the {max_bytes // (1 << 20)} MB upload limit "
                        "(VENDORINTEL_MAX_UPLOAD_MB); copy it into the inbox folder instead"
                    )
                out.write(block)
        target = target_dir / name
        os.replace(temporary, target)
        return Saved(target, digest.hexdigest())
    except BaseException as exc:
        if temporary is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        if isinstance(exc, OSError) and refusal(exc):
            raise UploadError(
                f"not saved: the inbox refused the write ({exc.strerror}); free space in "
                f"{inbox} or make it writable, and upload it again"
            ) from exc
        raise


def upload_outcome(
    upload: Saved,
    inbox: Path,
    before: str | None,
    report: IngestReport,
    metadata_of: Callable[[str], dict[str, str]],
) -> FileOutcome:
    """What became of one upload: as the ingestion reports it, unless another upload of the
    same name replaced it first (the index holds the other's bytes); `before` is the hash
    indexed under its name before it was saved."""
    source = upload.path.relative_to(inbox).as_posix()
    status, reason = report.outcome(source)
    indexed = metadata_of(source).get("file_sha256")
    if status in ("added", "updated", "unchanged") and indexed != upload.sha:
        status = "replaced"
        reason = "another upload of the same name replaced it before it was indexed"
    elif status == "unchanged" and before != upload.sha:  # indexed by the other upload's run
        status = "added" if before is None else "updated"
    return FileOutcome(source=source, status=status, reason=reason)


def remove_stale_uploads(inbox: Path) -> list[Path]:
    """Delete the temporary files of uploads a stopped server left half-written (ours, named
    `.upload-*`; the scanner never reads them). Run only when no upload can be in progress."""
    stale = [path for path in inbox.rglob(f"{TEMPORARY_PREFIX}*") if path.is_file()]
    for path in stale:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return stale
