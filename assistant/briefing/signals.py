"""The briefing's signals per vendor: the events since the last briefing, the metrics to
watch where the documents state them, and a vendor with no news for too long."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from pydantic import BaseModel, Field

from assistant.core.signals import Signal, SignalCitation, SignalFilter
from ingest.metadata import parse_date

FIRST_WINDOW_DAYS = 90  # with no briefing before, the signals of the 90 days it looks ahead
# The metrics to watch, each from the signals of one kind.
WATCHED = (
    ("Release cadence", "release", "dated releases"),
    ("Cost per 1K tokens", "pricing", "price changes"),
    ("Traction", "deal", "deals"),
    ("Leadership and talent", "leadership", "leadership changes"),
)

Listing = Callable[[SignalFilter], list[Signal]]


class WatchedMetric(BaseModel):
    name: str
    stated: str = Field(description="What the documents state, or that they state nothing.")
    count: int = Field(0, description="How many cited signals state it.")
    citations: list[SignalCitation] = Field(default_factory=list)


class VendorSignals(BaseModel):
    since: str = Field(description="The date the listed signals start from.")
    signals: list[Signal]
    watch: list[WatchedMetric]
    stale: str | None = Field(None, description="'No news on X since D', when it applies.")


def vendor_signals(
    listing: Listing, vendor: str, since: date, today: date, stale_after_days: int
) -> VendorSignals:
    """One vendor's signals since a date, its metrics to watch and its staleness."""
    every = listing(SignalFilter(vendor=vendor))
    recent = [s for s in every if s.date >= since.isoformat()]
    latest = max((s.date for s in every), default=None)
    stale = None
    if latest is None:
        stale = f"No news on {vendor} in the documents."
    elif latest < (today - timedelta(days=stale_after_days)).isoformat():
        stale = f"No news on {vendor} since {latest}."
    return VendorSignals(since=since.isoformat(), signals=recent, watch=watched(every), stale=stale)


def watched(signals: list[Signal]) -> list[WatchedMetric]:
    """Each metric as the count of its cited signals and what they say, or as missing."""
    out = []
    for name, kind, counted in WATCHED:
        found = [s for s in signals if s.kind == kind]
        if not found:
            out.append(WatchedMetric(name=name, stated=f"The documents report no {counted}."))
            continue
        said = "; ".join(f"{s.date}: {s.summary.rstrip('.')}" for s in found)
        first = [s.citations[0] for s in found]
        out.append(WatchedMetric(name=name, stated=f"{said}.", count=len(found), citations=first))
    return out


def briefing_start(previous_run: str | None, today: date) -> date:
    """Signals are listed from the last briefing's date, else from 90 days back."""
    return parse_date(previous_run) or today - timedelta(days=FIRST_WINDOW_DAYS)
