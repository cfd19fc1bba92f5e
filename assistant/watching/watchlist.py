"""Standing questions: each followed answer is kept, and after every ingestion that changed
the index, re-answered when its evidence could have changed; a changed answer is recorded
with its kinds of change and the documents that caused it, announced and sent on.

Which followed answers are re-checked, for the documents added, changed or deleted since the
last re-check (the index is compared with what that re-check saw, so a crash between an
ingestion and its re-check only delays it to the next start):
- those that cite one of the documents;
- those a new or changed document could enter (their probe): one about a vendor the
  question is about (named in it, its vendor filter, or named by its answer from the
  records); for a question about no vendor, one with a chunk at least as similar to the
  question as the last of its evidence passages was;
- when a document holding registry or eval records changed, those answered from records
  and those not yet answered;
- a followed briefing, when a document about its vendor (or the records) changed.
Any other followed answer costs nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from assistant.answering.evidence import RECORD_TYPES
from assistant.briefing.checkpoints import Briefing
from assistant.core.errors import NotFoundError
from assistant.core.models import Answer, Citation
from assistant.core.watchlist import CHECKPOINTS, Change, Followed, FollowedHistory
from assistant.storage.sqlite import now
from assistant.storage.watchlist import Probe, Seen, Watch, WatchlistStore
from assistant.watching.compare import (
    IndexChanges,
    causes_of,
    kinds_of_change,
    summary_of,
)

logger = logging.getLogger(__name__)
NO_FLOOR = -1.0  # fewer chunks than the evidence holds: any new chunk may enter it


@dataclass(frozen=True)
class Reader:
    """What the watchlist reads of the service."""

    ask: Callable[[str, str | None], Answer]
    brief: Callable[[str | None], Briefing]
    embed: Callable[[str], list[float]]
    # The similarities of the n chunks nearest an embedding, highest first.
    similarities: Callable[[list[float], int], list[float]]
    vectors_of: Callable[[list[str]], np.ndarray]  # these documents' chunks, unit length
    index: Callable[[], Seen]
    vendors_in: Callable[[str], list[str]]  # the vendors a text names (canonical names)
    evidence_size: int  # passages retrieved per question


class Watchlist:
    def __init__(
        self,
        store: WatchlistStore,
        reader: Reader,
        announce: Callable[[Change], None],
        owes_delivery: bool = False,
    ) -> None:
        self.store = store
        self.reader = reader
        self.announce = announce  # each change, once recorded
        self.owes_delivery = owes_delivery  # a webhook is configured: record its delivery
        self._lock = threading.Lock()  # one re-check at a time; a follow waits for it

    # -- following -------------------------------------------------------------------------

    def follow(self, question: str, vendor: str | None = None) -> Followed:
        """Follow a question: answered now, and re-checked when its evidence changes."""
        with self._lock:
            self._baseline()
            answer = self.reader.ask(question, vendor)
            probe = self._probe(question, vendor, answer)
            return self.store.add("question", question, vendor, answer, {}, probe)

    def follow_checkpoints(self, vendor: str | None = None) -> Followed:
        """Follow the checkpoint briefing (of one vendor, or of every vendor briefed)."""
        with self._lock:
            self._baseline()
            briefing = self.reader.brief(vendor)
            label = f"the 90-day checkpoints of {vendor}" if vendor else "the 90-day checkpoints"
            answer, statuses = briefing_state(briefing)
            return self.store.add(CHECKPOINTS, label, vendor, answer, statuses, None)

    def unfollow(self, followed_id: int) -> None:
        with self._lock:
            if not self.store.remove(followed_id):
                raise NotFoundError(unknown(followed_id))
            if not self.store.all():
                self.store.set_seen(None)  # nothing followed: nothing to compare with

    def followed(self) -> list[Followed]:
        return self.store.all()

    def history(self, followed_id: int) -> FollowedHistory:
        followed = self.store.get(followed_id)
        if followed is None:
            raise NotFoundError(unknown(followed_id))
        return FollowedHistory(followed=followed, changes=self.store.history(followed_id))

    def _baseline(self) -> None:
        """The index the first followed answer was given on, for re-checks to compare with."""
        if self.store.seen() is None:
            self.store.set_seen(self.reader.index())

    def _probe(self, question: str, vendor: str | None, answer: Answer) -> Probe:
        """The question's embedding, the similarity of its last evidence passage, and the
        vendors it is about: those it names, its filter, those its records answer names."""
        embedding = self.reader.embed(question)
        size = self.reader.evidence_size
        nearest = self.reader.similarities(embedding, size)
        floor = nearest[-1] if len(nearest) >= size else NO_FLOOR
        about = [*self.reader.vendors_in(question), *([vendor] if vendor else []), *answer.focus]
        return Probe(embedding, floor, list(dict.fromkeys(about)))

    # -- re-checking -----------------------------------------------------------------------

    def recheck(self) -> list[Change]:
        """Re-answer the followed questions the index changes since the last re-check could
        have changed; record, announce and return the changes."""
        with self._lock:
            before = self.store.seen()
            if before is None:
                return []
            seen = self.reader.index()
            changes = index_changes(before, seen)
            if not changes:
                return []
            found = []
            written = Written(sorted(changes.written), self.reader.vectors_of)
            for watch in self.store.watches():
                reasons = self._reasons(watch, changes, written, before, seen)
                followed = self.store.get(watch.id) if reasons is not None else None
                if reasons is not None and followed is not None:
                    change = self._recheck_one(followed, changes, reasons)
                    found += [change] if change else []
            self.store.set_seen(seen)
        for change in found:
            self.announce(change)
        return found

    def _reasons(
        self, watch: Watch, changes: IndexChanges, written: Written, before: Seen, seen: Seen
    ) -> set[str] | None:
        """The changed documents that could change this answer; None when none could."""
        if watch.kind == CHECKPOINTS:
            return about_vendor(watch.vendor, changes, before, seen) or None
        reasons = set(watch.cited) & changes.sources
        records = changes.sources & (before.records | seen.records)
        from_records = any(kind in RECORD_TYPES for kind in watch.cited.values())
        if records and (from_records or watch.status != "answered"):
            reasons |= records
        if watch.probe is not None and written.sources:
            reasons |= could_enter(watch.probe, written, seen)
        return reasons or None

    def _recheck_one(
        self, followed: Followed, changes: IndexChanges, reasons: set[str]
    ) -> Change | None:
        if followed.kind == CHECKPOINTS:
            answer, statuses = briefing_state(self.reader.brief(followed.vendor))
            probe = None
        else:
            answer, statuses = self.reader.ask(followed.question, followed.vendor), {}
            probe = self._probe(followed.question, followed.vendor, answer)
        after = followed.model_copy(update={"answer": answer, "statuses": statuses})
        kinds = kinds_of_change(followed, after)
        change = None
        if kinds:
            causes = causes_of(followed.answer, answer, changes, reasons)
            details = status_details(followed.statuses, statuses)
            change = Change(
                id=0,
                followed_id=followed.id,
                at=now(),
                kinds=kinds,
                summary=summary_of(followed, after, kinds, causes, details),
                details=details,
                causes=causes,
                before=followed.answer,
                after=answer,
            )
        return self.store.record(after, probe, change, deliver=self.owes_delivery)


class Written:
    """The documents a re-check finds new or changed, and their chunks' vectors, read once
    when a question first needs them."""

    def __init__(self, sources: list[str], vectors_of: Callable[[list[str]], np.ndarray]) -> None:
        self.sources = sources
        self._vectors_of = vectors_of

    @cached_property
    def vectors(self) -> np.ndarray:
        return self._vectors_of(self.sources)


def could_enter(probe: Probe, written: Written, seen: Seen) -> set[str]:
    """The new or changed documents that could enter a question's evidence: those about a
    vendor it is about; for a question about no vendor, all of them when one of their chunks
    is at least as similar to it as its last evidence passage."""
    if probe.vendors:
        about = set(probe.vendors)
        return {s for s in written.sources if about & set(seen.documents[s][1])}
    vectors = written.vectors
    if not len(vectors):
        return set()
    question = np.asarray(probe.embedding, dtype=np.float32)
    nearest = float((vectors @ question).max()) / (float(np.linalg.norm(question)) or 1.0)
    return set(written.sources) if nearest >= probe.floor else set()


def index_changes(before: Seen, seen: Seen) -> IndexChanges:
    old, new = before.documents, seen.documents
    return IndexChanges(
        added={s for s in new if s not in old},
        changed={s for s in new if s in old and new[s][0] != old[s][0]},
        deleted={s for s in old if s not in new},
    )


def about_vendor(vendor: str | None, changes: IndexChanges, before: Seen, seen: Seen) -> set[str]:
    """The changed documents about the vendor (about any vendor, for None), before or after,
    and those holding records."""
    found = set()
    for source in changes.sources:
        vendors = {
            *before.documents.get(source, ("", []))[1],
            *seen.documents.get(source, ("", []))[1],
        }
        if (vendor in vendors if vendor else vendors) or source in before.records | seen.records:
            found.add(source)
    return found


def briefing_state(briefing: Briefing) -> tuple[Answer, dict[str, str]]:
    """A briefing as an answer (a line per checkpoint, its citations) and its statuses."""
    statuses: dict[str, str] = {}
    lines: list[str] = []
    citations: dict[tuple[str, str], Citation] = {}
    for vendor in briefing.vendors:
        for checkpoint in vendor.checkpoints:
            label = f"{vendor.vendor}, {checkpoint.question}"
            statuses[label] = checkpoint.status
            lines.append(f"{label}: {checkpoint.status}.")
            for c in checkpoint.citations:
                key = (c.source, c.locator)
                if key not in citations:
                    citations[key] = c.model_copy(update={"n": len(citations) + 1})
    answer = Answer(answer="\n".join(lines), status="answered", citations=list(citations.values()))
    return answer, statuses


def status_details(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return [
        f"{label}: {before[label]} -> {status}."
        for label, status in after.items()
        if label in before and before[label] != status
    ]


def unknown(followed_id: int) -> str:
    return (
        f"No followed question has id {followed_id}: `vendorintel watchlist list` (or GET "
        "/api/watchlist) shows the ids."
    )
