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


class ProblemLog:
    """A small JSON file under the data dir, written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._problems: dict[str, FileProblem] = {}
        if path.exists():
            raw = json.loads(path.read_text("utf-8"))
            self._problems = {k: FileProblem.model_validate(v) for k, v in raw.items()}

    def record(self, candidate: Candidate, reasons: list[str], partial: bool) -> None:
        self._problems[candidate.source] = FileProblem(
            source=candidate.source,
            path=str(candidate.path),
            reasons=reasons,
            at=datetime.now(UTC).isoformat(timespec="seconds"),
            partial=partial,
        )

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
