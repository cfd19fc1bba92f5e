"""Mentions of documents merged into signals: the same event reported by several documents
(one vendor, one kind, dates a few days apart) is one signal with a citation for each."""

from __future__ import annotations

from datetime import date

from assistant.core.signals import Mention, Signal, SignalCitation

SAME_EVENT_DAYS = 7  # reports of one event date it within a week of each other


def signals_from(mentions: list[Mention]) -> list[Signal]:
    """The signals the mentions report, in time order (oldest first)."""
    groups: list[list[Mention]] = []
    ordered = sorted(mentions, key=lambda m: (m.vendor, m.kind, m.date, -m.score))
    for mention in ordered:
        group = groups[-1] if groups else None
        if group and same_event(group, mention):
            group.append(mention)
        else:
            groups.append([mention])
    signals = [as_signal(group) for group in groups]
    return sorted(signals, key=lambda s: (s.date, s.vendor, s.kind))


def same_event(group: list[Mention], mention: Mention) -> bool:
    first = group[0]
    return (
        first.vendor == mention.vendor
        and first.kind == mention.kind
        and days_apart(group[-1].date, mention.date) <= SAME_EVENT_DAYS
    )


def days_apart(a: str, b: str) -> int:
    try:
        return abs((date.fromisoformat(a) - date.fromisoformat(b)).days)
    except ValueError:
        return 0 if a == b else SAME_EVENT_DAYS + 1


def as_signal(group: list[Mention]) -> Signal:
    """A signal in its best report's words and date (one that states a date, if any)."""
    best = max(group, key=lambda m: (m.dated, m.score))
    citations: dict[str, SignalCitation] = {}
    for m in sorted(group, key=lambda m: (m is not best, m.source)):
        citations.setdefault(
            m.source, SignalCitation(source=m.source, locator=m.locator, quote=m.quote)
        )
    return Signal(
        vendor=best.vendor,
        date=best.date,
        kind=best.kind,
        summary=best.quote,
        citations=list(citations.values()),
        dated=best.dated,
    )
