"""Files uploaded through the API or the chat: checked, named safely, written atomically."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from assistant.storage.disk import refusal
from ingest.loaders import LOADERS

UNSAFE = re.compile(r"[^\w.\-() ]+")
COPY_BLOCK = 1 << 20
TEMPORARY_PREFIX = ".upload-"


class UploadError(ValueError):
    """An upload that is refused; the message says why."""


def safe_filename(name: str) -> str:
    """The bare file name, without folders, leading dots or dashes, or odd characters."""
    base = PurePosixPath(name.replace("\\", "/")).name
    base = UNSAFE.sub("_", base).strip(" ._-")
    if not base or not Path(base).stem:
        raise UploadError(
            f"{name!r} is not a usable file name; rename the file and upload it again"
        )
    return base[-180:]


def safe_folder(folder: str | None) -> PurePosixPath:
    """A relative folder inside the inbox, such as 'contracts' or 'evals/2026'."""
    if not folder:
        return PurePosixPath()
    parts = [UNSAFE.sub("_", p).strip(" ._-") for p in folder.replace("\\", "/").split("/")]
    if any(p in ("", "..") for p in parts):
        raise UploadError(f"folder {folder!r} is not a plain relative folder name")
    return PurePosixPath(*parts)


def save_upload(
    inbox: Path, filename: str, data: BinaryIO, max_bytes: int, folder: str | None = None
) -> Path:
    """Write an upload into the inbox; a file of the same name is replaced (a new version)."""
    name = safe_filename(filename)
    if Path(name).suffix.lower() not in LOADERS:
        supported = " ".join(sorted(LOADERS))
        raise UploadError(
            f"unsupported format {Path(name).suffix or '(none)'}; supported: {supported}"
        )
    target_dir = inbox / safe_folder(folder)
    temporary: str | None = None
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        # A dotfile in the same folder: the scanner ignores it, and os.replace is atomic there.
        handle, temporary = tempfile.mkstemp(prefix=TEMPORARY_PREFIX, dir=target_dir)
        with os.fdopen(handle, "wb") as out:
            copied = 0
            while block := data.read(COPY_BLOCK):
                copied += len(block)
                if copied > max_bytes:
                    raise UploadError(
                        f"larger than the {max_bytes // (1 << 20)} MB upload limit "
                        "(VENDORINTEL_MAX_UPLOAD_MB); copy it into the inbox folder instead"
                    )
                out.write(block)
        target = target_dir / name
        os.replace(temporary, target)
        return target
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


def remove_stale_uploads(inbox: Path) -> list[Path]:
    """Delete the temporary files of uploads a stopped server left half-written (ours, named
    `.upload-*`; the scanner never reads them). Run only when no upload can be in progress."""
    stale = [path for path in inbox.rglob(f"{TEMPORARY_PREFIX}*") if path.is_file()]
    for path in stale:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return stale
