"""Why files could not be (fully) ingested, kept until the file changes, is fixed or is gone."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

from assistant.storage.disk import replacing
from ingest.documents import Candidate


class FileProblem(BaseModel):
    source: str
    path: str
    reasons: list[str]
    at: str
    partial: bool  # True when the file was indexed but parts of it (rows, lines) were skipped
    # For a file refused at a size limit: its hash and the limits then, so it is not read
    # again (a bomb is not unpacked at every start) until it or the limits change.
    sha: str | None = None
    limits: str | None = None


class ProblemLog:
    """A small JSON file under the data dir, written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._problems: dict[str, FileProblem] = {}
        if path.exists():
            raw = json.loads(path.read_text("utf-8"))
            self._problems = {k: FileProblem.model_validate(v) for k, v in raw.items()}

    def record(
        self,
        candidate: Candidate,
        reasons: list[str],
        partial: bool,
        refused: tuple[str, str] | None = None,
    ) -> None:
        """Why a file failed; `refused` (its hash, the limits) when a size limit refused it."""
        sha, limits = refused or (None, None)
        self._problems[candidate.source] = FileProblem(
            source=candidate.source,
            path=str(candidate.path),
            reasons=reasons,
            at=datetime.now(UTC).isoformat(timespec="seconds"),
            partial=partial,
            sha=sha,
            limits=limits,
        )

    def refused(self, source: str, sha: str, limits: str) -> FileProblem | None:
        """The refusal of these very bytes under these limits, if there was one."""
        known = self._problems.get(source)
        if known is not None and known.sha == sha and known.limits == limits:
            return known
        return None

    def clear(self, source: str) -> None:
        self._problems.pop(source, None)

    def get(self, source: str) -> FileProblem | None:
        return self._problems.get(source)

    def all(self) -> list[FileProblem]:
        return sorted(self._problems.values(), key=lambda p: p.source)

    def persist(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(self.path) as partial:
            partial.write_text(
                json.dumps({k: v.model_dump() for k, v in self._problems.items()}, indent=1)
            )
