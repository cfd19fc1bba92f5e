"""Questions that rank the workflows by one of the registry's own terms: "which vendor gives
the longest deprecation notice?", "which contract renews next?", "which workflow has the
strictest latency target?". The term and the direction are read from the question's words
for the registry's fields; the answer names the first workflows in that order, each cited."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.answering.cited import Cited, fmt, listed
from assistant.core.records import Workflow

NEAR = 20  # characters between a superlative and the term it ranks by, at most
SHOWN = 3  # workflows named in a ranking: the first ones and those tied with them
MOST = re.compile(r"\b(longest|most|highest|loosest|largest|biggest|maximum)\b", re.I)
LEAST = re.compile(r"\b(shortest|least|lowest|smallest|minimum)\b", re.I)
# Of dates only: "which contract renews next?" (not "the latest news on uptime")
LATEST, EARLIEST = (
    re.compile(r"\b(latest|last)\b", re.I),
    re.compile(r"\b(earliest|next|soonest|first)\b", re.I),
)
STRICTEST = re.compile(r"\b(strictest|tightest|most demanding)\b", re.I)


@dataclass(frozen=True)
class Term:
    """One of the registry's terms a question can rank by."""

    name: str  # as the answer says it
    asked: re.Pattern[str]  # the words that name it in a question
    value: Callable[[Workflow], float | None]
    said: Callable[[Workflow], str]
    strict_is_high: bool  # "strictest": the highest value (uptime) or the lowest (latency)
    extremes: tuple[str, str] = ("lowest", "highest")  # as the answer says the two ends
    dated: bool = False  # ranked by date: "next" and "latest" say which end


def uptime(w: Workflow) -> float | None:
    try:
        return float(str(w.uptime).rstrip("%")) if w.uptime else None
    except ValueError:
        return None


def renewal(w: Workflow) -> float | None:
    return float(w.renewal.replace("-", "")) if w.renewal and w.renewal[:4].isdigit() else None


TERMS = (
    Term(
        "deprecation notice",
        re.compile(r"\b(deprecation|notice)\b", re.I),
        lambda w: w.deprecation_notice_days,
        lambda w: f"{w.deprecation_notice_days} days",
        True,
        ("shortest", "longest"),
    ),
    Term(
        "contract renewal",
        re.compile(r"\brenew\w*\b", re.I),
        renewal,
        lambda w: f"on {w.renewal}",
        False,
        ("earliest", "latest"),
        dated=True,
    ),
    Term(
        "uptime target",
        re.compile(r"\b(uptime|availability)\b", re.I),
        uptime,
        lambda w: f"{w.uptime.rstrip('%')}%" if w.uptime else "",
        True,
    ),
    Term(
        "p95 latency target",
        re.compile(
            r"\b(latency|p95|response time)\b.*\btargets?\b|\btargets?\b.*\blatency\b", re.I
        ),
        lambda w: w.latency_p95_ms,
        lambda w: f"{fmt(w.latency_p95_ms)} ms" if w.latency_p95_ms is not None else "",
        False,
    ),
)


def asked_ranking(question: str) -> tuple[Term, bool] | None:
    """The registry term a question ranks by and whether it asks for the highest value, or
    None when it ranks by none: a superlative next to the term ("the longest deprecation
    notice", "renews next", "the strictest latency target")."""
    for term in TERMS:
        named = term.asked.search(question)
        if named is None:
            continue
        near = question[max(0, named.start() - NEAR) : named.end() + NEAR]
        if STRICTEST.search(near):
            return term, term.strict_is_high
        most = bool(MOST.search(near) or (term.dated and LATEST.search(near)))
        least = bool(LEAST.search(near) or (term.dated and EARLIEST.search(near)))
        if most != least:
            return term, most
    return None


def ranking(workflows: list[Workflow], term: Term, highest: bool, out: Cited) -> bool:
    """The first workflows by the term (those tied said together), each with its value and
    primary vendor; False when no workflow records the term."""
    valued = sorted(
        ((v, w) for w in workflows if (v := term.value(w)) is not None),
        key=lambda pair: pair[0],
        reverse=highest,
    )
    if not valued:
        return False
    cut = valued[min(SHOWN, len(valued)) - 1][0]
    groups: dict[float, list[Workflow]] = {}
    for value, w in valued:
        if (value >= cut) if highest else (value <= cut):
            groups.setdefault(value, []).append(w)
    for n, tied in enumerate(groups.values()):
        who = listed([f"{w.name} ({w.primary_vendor})" for w in tied])
        marks = [out.record(w) for w in tied]
        if n == 0:
            verb = "has" if len(tied) == 1 else "have"
            extreme = term.extremes[highest]
            out.say(f"{who} {verb} the {extreme} {term.name} in the registry: "
                    f"{term.said(tied[0])}", *marks)  # fmt: skip
        else:
            out.say(f"Next: {who}, {term.said(tied[0])}", *marks)
    return True
