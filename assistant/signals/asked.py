"""Questions that ask what happened at a vendor ("what happened at Baidu since June?"),
recognised by meaning and answered from the signals: one cited sentence per event, newest
first, with the timeline the chat draws."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from assistant.answering.cited import Cited, citations, listed
from assistant.answering.intents import Intents
from assistant.answering.slots import MONTH_NAMES, MONTHS
from assistant.answering.terms import without_names
from assistant.core.catalog import VendorCatalog
from assistant.core.models import Answer
from assistant.core.signals import SIGNAL_KINDS, Signal, SignalFilter
from ingest.metadata import parse_date

SIGNALS_FIT = 0.38  # how well a question (its names left out) must fit a signals question
SIGNALS_MARGIN = 0.05  # and by how much better than every other intent
SHOWN = 8  # events said in an answer, newest first; the timeline shows them all
_MONTH = "|".join(MONTH_NAMES)
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
            return parse_date(match.group("iso"))
        month = MONTHS[match.group("month").lower()]
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
    scope = [
        part
        for part in (
            f"of kind {kind}" if kind else "",
            f"for {listed(vendors)}" if vendors else "",
            f"since {since.isoformat()}" if since else "",
        )
        if part
    ]
    if not found:
        reply = " ".join(["The documents report no events", *scope]) + "."
        return Answer(answer=reply, status="insufficient_evidence")
    out = Cited()
    newest = sorted(found, key=lambda s: s.date, reverse=True)
    for signal in newest[:SHOWN]:
        numbers = [out.cite(c.source, c.locator, c.quote) for c in signal.citations]
        who = "" if len(vendors) == 1 else f"{signal.vendor}, "
        out.say(f"{signal.date} ({who}{signal.kind}): {signal.summary}", *numbers)
    count = f"{len(found)} event{'s' if len(found) != 1 else ''}"
    lines = [" ".join(["The documents report", count, *scope]) + ":", *out.sentences]
    earlier = len(newest) - SHOWN
    if earlier > 0:
        lines.append(
            f"{earlier} earlier {'one is' if earlier == 1 else 'ones are'} on the timeline."
        )
    return Answer(
        answer=" ".join(lines),
        status="answered",
        citations=citations(out, metadata_of),
        timeline=found,
    )
