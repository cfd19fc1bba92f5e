"""Vendor signals: dated events of a vendor (a release, a price cut, an outage ...), each in a
document's own words with its citations, and the filters they are listed by."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, Field

SIGNAL_KINDS = (
    "leadership",
    "release",
    "pricing",
    "outage",
    "deprecation",
    "regulation",
    "security",
    "deal",
    "partnership",
    "earnings",
)


class SignalCitation(BaseModel):
    source: str
    locator: str
    quote: str


class Signal(BaseModel):
    """One event of a vendor: reported by one document or several (one citation each)."""

    vendor: str
    date: str = Field(description="ISO date: the event's own date, else its document's.")
    kind: str = Field(description="One of: " + ", ".join(SIGNAL_KINDS) + ".")
    summary: str = Field(description="One sentence, in the first document's own words.")
    citations: list[SignalCitation]
    dated: bool = Field(True, description="False when the date is the document's, not stated.")


@dataclass(frozen=True)
class Mention:
    """One document's report of an event: the sentence saying it and where it stands."""

    source: str
    vendor: str
    date: str
    dated: bool
    kind: str
    quote: str
    locator: str
    score: float


@dataclass(frozen=True)
class SignalFilter:
    """Which signals to list: of a vendor, since a date, of a kind (None: any)."""

    vendor: str | None = None
    since: date | None = None
    kind: str | None = None

    def keeps(self, signal: Signal) -> bool:
        return (
            (self.vendor is None or signal.vendor == self.vendor)
            and (self.since is None or signal.date >= self.since.isoformat())
            and (self.kind is None or signal.kind == self.kind)
        )
