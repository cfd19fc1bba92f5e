"""The date a sentence states, as an ISO date: "2026-10-14", "14 October", "October 14, 2026",
"1 June" (the year of the document), or inside a snapshot id ("...-20260903")."""

from __future__ import annotations

import re
from datetime import date, timedelta

from assistant.answering.slots import MONTH_NAMES, MONTHS
from assistant.answering.terms import bounding

_MONTH = "|".join(MONTH_NAMES) + "|" + "|".join(m[:3] for m in MONTH_NAMES)
STATED = re.compile(
    rf"\b(?P<iso>20\d\d-[01]\d-[0-3]\d)\b"
    rf"|(?<=-)(?P<compact>20\d\d[01]\d[0-3]\d)\b"
    rf"|\b(?P<day>\d{{1,2}})\s+(?P<month>{_MONTH})\.?(?:,?\s+(?P<year>20\d\d))?\b"
    rf"|\b(?P<month2>{_MONTH})\.?\s+(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<year2>20\d\d))?\b"
)
# A date without a year after its document's date by more than this is of the year before.
AHEAD = timedelta(days=62)


def stated_date(text: str, published: date | None) -> date | None:
    """The first date a sentence states for what it reports (not a period's end or a
    deadline); a day and month take the document's year."""
    for match in STATED.finditer(text):
        if bounding(text, match.start()):
            continue
        found = from_match(match, published)
        if found is not None:
            return found
    return None


def from_match(match: re.Match[str], published: date | None) -> date | None:
    groups = match.groupdict()
    try:
        if groups["iso"]:
            return date.fromisoformat(groups["iso"])
        if groups["compact"]:
            c = groups["compact"]
            return date(int(c[:4]), int(c[4:6]), int(c[6:]))
        day, month = groups["day"] or groups["day2"], groups["month"] or groups["month2"]
        year = groups["year"] or groups["year2"]
        number = next(n for name, n in MONTHS.items() if name.startswith(month.lower()[:3]))
        if year:
            return date(int(year), number, int(day))
        if published is None:
            return None
        guess = date(published.year, number, int(day))
        return guess.replace(year=guess.year - 1) if guess - published > AHEAD else guess
    except ValueError:  # "31 June", or a product number that looks like a date
        return None
