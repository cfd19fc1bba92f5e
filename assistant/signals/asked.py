"""Questions that ask what happened at a vendor ("what happened at Baidu since June?"),
recognised by meaning and answered from the signals: one cited sentence per event, newest
first, with the timeline the chat draws."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from assistant.answering.cited import listed
from assistant.answering.intents import Intents
from assistant.answering.terms import without_names
from assistant.core.catalog import VendorCatalog
from assistant.core.models import Answer, Citation
from assistant.core.signals import SIGNAL_KINDS, Signal, SignalFilter
from assistant.signals.dates import MONTHS, iso_date

SIGNALS_FIT = 0.38  # how well a question (its names left out) must fit a signals question
SIGNALS_MARGIN = 0.05  # and by how much better than every other intent
SHOWN = 8  # events said in an answer, newest first; the timeline shows them all
_MONTH = "|".join(MONTHS)
SINCE = re.compile(
    rf"\b(?:since|after|from)\s+(?:(?P<iso>20\d\d-[01]\d-[0-3]\d)|(?:(?P<day>\d{{1,2}})\s+)?"
    rf"(?P<month>{_MONTH})(?:\s+(?P<year>20\d\d))?)\b",
    re.I,
)
LAST = re.compile(r"\b(?:last|past)\s+(?P<n>\d+)\s+(?P<unit>day|week|month)s?\b", re.I)
UNIT_DAYS = {"day": 1, "week": 7, "month": 30}

List = Callable[[SignalFilter], list[Signal]]
Metadata = Callable[[str], dict[str, str]]


class SignalQuestions:
    def __init__(
        self,
        intents: Callable[[], Intents],
        embed_query: Callable[[str], list[float]],
        catalog: Callable[[], VendorCatalog],
        signals: List,
        metadata_of: Metadata,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.intents = intents
        self.embed_query = embed_query
        self.catalog = catalog
        self.signals = signals
        self.metadata_of = metadata_of
        self.today = today

    def __call__(self, question: str, vendor: str | None) -> Answer | None:
        """The signals' answer, or None when the question does not ask for them."""
        if not self.asks_for_signals(question):
            return None
        catalog = self.catalog()
        vendors = [catalog.canonical(vendor)] if vendor else catalog.detect(question)
        since = since_date(question, self.today())
        kind = asked_kind(question)
        found = [
            s
            for s in self.signals(SignalFilter(since=since, kind=kind))
            if not vendors or s.vendor in vendors
        ]
        return said(found, vendors, since, kind, self.metadata_of)

    def asks_for_signals(self, question: str) -> bool:
        # Without its names: "what happened at Baidu" asks what "what happened at" does.
        reading = self.intents().read(self.embed_query(without_names(question) or question))
        fit = max(reading.signals.values(), default=0.0)
        rivals = [*reading.records.values(), *reading.documents.values()]
        rival = max([*rivals, *reading.checkpoints.values()], default=0.0)
        return fit >= SIGNALS_FIT and fit >= rival + SIGNALS_MARGIN


def since_date(question: str, today: date) -> date | None:
    """'since June' (the last June before today), 'since 2026-06-15', 'in the last 30 days'."""
    match = SINCE.search(question)
    if match:
        if match.group("iso"):
            return iso_date(match.group("iso"))
        month = MONTHS.index(match.group("month").lower()) + 1
        year = int(match.group("year") or today.year)
        start = date(year, month, int(match.group("day") or 1))
        return start.replace(year=year - 1) if start > today and not match.group("year") else start
    last = LAST.search(question)
    if last:
        return date.fromordinal(
            today.toordinal() - int(last.group("n")) * UNIT_DAYS[last.group("unit").lower()]
        )
    return None


def asked_kind(question: str) -> str | None:
    """The kind a question names by its own name ("which releases ...", "any outages")."""
    words = set(re.findall(r"[a-z]+", question.lower()))
    named = [k for k in SIGNAL_KINDS if k in words or f"{k}s" in words]
    return named[0] if len(named) == 1 else None


def said(
    found: list[Signal],
    vendors: list[str],
    since: date | None,
    kind: str | None,
    metadata_of: Metadata,
) -> Answer:
    """Each event as its date, kind and cited summary, newest first."""
    scope = " ".join(
        filter(
            None,
            [
                f"of kind {kind}" if kind else "",
                f"for {listed(vendors)}" if vendors else "",
                f"since {since.isoformat()}" if since else "",
            ],
        )
    )
    if not found:
        reply = f"The documents report no events {scope}.".replace("  ", " ")
        return Answer(answer=reply, status="insufficient_evidence")
    citations: list[Citation] = []
    numbers: dict[tuple[str, str], int] = {}
    sentences = []
    newest = sorted(found, key=lambda s: s.date, reverse=True)
    for signal in newest[:SHOWN]:
        marks = "".join(
            f"[{cite(c.source, c.locator, c.quote, citations, numbers, metadata_of)}]"
            for c in signal.citations
        )
        who = "" if len(vendors) == 1 else f"{signal.vendor}, "
        sentences.append(
            f"{signal.date} ({who}{signal.kind}): {signal.summary.rstrip('.')} {marks}."
        )
    opening = f"The documents report {len(found)} event{'s' if len(found) != 1 else ''} {scope}:"
    if len(newest) > SHOWN:
        earlier = len(newest) - SHOWN
        sentences.append(
            f"{earlier} earlier {'one is' if earlier == 1 else 'ones are'} on the timeline."
        )
    answer = " ".join([opening.replace("  ", " ").replace(" :", ":"), *sentences])
    return Answer(answer=answer, status="answered", citations=citations, timeline=found)


def cite(
    source: str,
    locator: str,
    quote: str,
    citations: list[Citation],
    numbers: dict[tuple[str, str], int],
    metadata_of: Metadata,
) -> int:
    key = (source, locator)
    if key not in numbers:
        meta = metadata_of(source)
        numbers[key] = len(citations) + 1
        citations.append(
            Citation(
                n=numbers[key],
                source=source,
                title=meta.get("title", source),
                doc_type=meta.get("doc_type", "note"),
                published=meta.get("published", ""),
                locator=locator,
                quote=quote,
                score=1.0,
            )
        )
    return numbers[key]
