"""What an ingestion run tells the user."""

from __future__ import annotations

from pydantic import BaseModel, Field

from assistant.core.catalog import LearnedVendors

HEADLINE_NAMES = 5  # names listed in a headline before "and N more"


class FileIssue(BaseModel):
    source: str = Field(description="Path relative to the inbox (or to the folder ingested).")
    reason: str


class IngestReport(BaseModel):
    """Counts per outcome; failed files keep any previously indexed version."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: list[FileIssue] = Field(default_factory=list)
    skipped: list[FileIssue] = Field(default_factory=list)
    # Per source: "added", "updated" or "unchanged" (failed and skipped files are listed above).
    outcomes: dict[str, str] = Field(default_factory=dict, exclude=True)
    # Notes that are not failures, such as eval columns that were not recognised.
    warnings: list[FileIssue] = Field(default_factory=list, exclude=True)
    # Vendor names the run found (registry aliases, declared companies), for the catalog.
    learned: LearnedVendors = Field(default_factory=LearnedVendors, exclude=True)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def outcome(self, source: str) -> tuple[str, str | None]:
        """What happened to one file, and why when it failed or was skipped."""
        for status, issues in (("failed", self.failed), ("skipped", self.skipped)):
            reasons = [i.reason for i in issues if i.source == source]
            if reasons and (status == "skipped" or source not in self.outcomes):
                return status, "; ".join(reasons)
        if source in self.outcomes:
            partial = [i.reason for i in self.failed if i.source == source]
            return self.outcomes[source], "; ".join(partial) or None
        return "missing", "the file was not found"

    @property
    def ok(self) -> bool:
        return not self.failed

    def headline(self) -> str | None:
        """One line for people watching the inbox: what changed, what failed; None if nothing."""
        parts = []
        for status, verb in (("added", "Indexed"), ("updated", "Updated"), ("removed", "Removed")):
            sources = [s for s, outcome in self.outcomes.items() if outcome == status]
            if sources:
                noun = "document" if len(sources) == 1 else "documents"
                new = " new" if status == "added" else ""
                named = ", ".join(sources[:HEADLINE_NAMES])
                more = len(sources) - HEADLINE_NAMES
                named += f" and {more} more" if more > 0 else ""
                parts.append(f"{verb} {len(sources)}{new} {noun}: {named}.")
        parts += [f"Could not index {issue.source}: {issue.reason}." for issue in self.failed]
        return " ".join(parts) or None

    def summary(self) -> str:
        line = (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.removed} removed, {len(self.failed)} failed, {len(self.skipped)} skipped"
        )
        details = [f"  failed  {i.source}: {i.reason}" for i in self.failed]
        details += [f"  skipped {i.source}: {i.reason}" for i in self.skipped]
        details += [f"  note    {i.source}: {i.reason}" for i in self.warnings]
        return "\n".join([line, *details])
