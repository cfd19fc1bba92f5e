"""The terms of a question its evidence must mention: names, figures and model ids, each
under any of its names; words that describe (a range, an amount with its unit) need not."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from assistant.answering.slots import MONTH_NAMES, months_in
from assistant.storage.sparse import tokens

if TYPE_CHECKING:
    from llama_index.core.schema import NodeWithScore

# Names, figures and model ids in a question: capitalised words after the first, words with
# digits (FY2025, qwen-max-2026, R1) and hyphenated ids. Evidence must mention each of them.
KEY_TERM = re.compile(r"(?<![\w-])([A-Z][\w&.-]*[\w]|[\w.-]*\d[\w.-]*|[a-z]+(?:-[\w]+)+)(?![\w-])")
COMMON_CAPITALS = {"I", "A", "Q", "AI", "Our", "We", "The", "And", "Or", "Is", "Are", "Did", "Do"}
# Units and amounts in a compound ("per-1K-token", "90-day", "6-12 month"): it describes, it
# does not name, so its words need not appear as written.
UNIT_WORDS = {
    "per", "day", "days", "week", "weeks", "month", "months", "year", "years", "hour", "hours",
    "minute", "minutes", "token", "tokens", "point", "points", "percent",
}  # fmt: skip


def after_first_word(text: str) -> str:
    """A question or sentence without its first word, which is capitalised anyway."""
    words = text.split(maxsplit=1)
    return words[1] if len(words) > 1 else ""


def key_terms(question: str) -> list[str]:
    """Terms the evidence must mention; the first word (usually What/How) is not one."""
    terms = []
    for term in KEY_TERM.findall(after_first_word(question)):
        term = term.strip(".-")
        if term in COMMON_CAPITALS or (term.isdigit() and len(term) < 4) or describes(term):
            continue
        terms.append(term)
    return list(dict.fromkeys(terms))


def describes(term: str) -> bool:
    """A compound that describes rather than names: a range ('6-12') or an amount with its
    unit ('per-1K-token')."""
    parts = [p for p in term.lower().split("-") if p]
    if len(parts) < 2:
        return False
    return all(p.isdigit() for p in parts) or bool(UNIT_WORDS & set(parts))


def word_compound(term: str) -> bool:
    """'so-called', 'self-hosted', 'qwen-max': lower-case words joined by hyphens."""
    parts = term.split("-")
    return len(parts) > 1 and term.islower() and all(p.isalpha() for p in parts)


def mentions_month(month: str, hits: list[NodeWithScore], haystack: str) -> bool:
    """A month is mentioned by its name, or by a date in it (2026-05-11), or by the date of a
    passage's document."""
    number = f"-{MONTH_NAMES.index(month) + 1:02d}"
    dated = [str(h.node.metadata.get("published", ""))[4:7] for h in hits]
    return (
        month.lower() in haystack
        or number in dated
        or bool(re.search(rf"\b20\d\d{number}\b", haystack))
    )


def missing_terms(
    question: str, hits: list[NodeWithScore], names_for: Callable[[str], list[str]]
) -> list[str]:
    """Key terms of the question that no retrieved passage mentions under any of their names.

    Hyphens count as spaces: "open-weights" is mentioned by "open weights".
    """
    haystack = " ".join(
        f"{hit.node.metadata.get('title', '')} {hit.node.get_content()}" for hit in hits
    )
    dated = haystack.lower()
    haystack = dated.replace("-", " ")
    return [
        term
        for term in key_terms(question)
        if not (term in MONTH_NAMES and mentions_month(term, hits, dated))
        and not (word_compound(term) and any(f" {p} " in f" {haystack} " for p in term.split("-")))
        and not any(
            re.search(rf"(?<![\w]){re.escape(n.lower().replace('-', ' '))}(?![\w])", haystack)
            for n in names_for(term)
        )
    ]


def states_new_facts(text: str, question: str) -> bool:
    """Whether a sentence names or quantifies something the question does not: an answer
    to "under which licence?" names one."""
    asked = {t.strip(".-").lower() for t in KEY_TERM.findall(question)}
    stated = KEY_TERM.findall(after_first_word(text))
    return any(
        t.strip(".-").lower() not in asked and t.strip(".-") not in COMMON_CAPITALS for t in stated
    )


# What kind of value a part of a question asks for: "by when?" a date, "how much?" a figure.
_MONTH = "|".join(MONTH_NAMES)
DATE_TEXT = (
    rf"\b20\d\d-[01]\d(?:-[0-3]\d)?\b|"
    rf"\b\d{{1,2}} (?:{_MONTH})\b|\b(?:{_MONTH}) (?:\d{{1,2}}|20\d\d)\b"
)
DATE = re.compile(DATE_TEXT)
FIGURE = re.compile(r"\d")
# "by when", "until when", "since when": the answer states the date after the same word
WHEN_WITH = re.compile(r"^(by|until|till|since|from)\s+when\b", re.I)
WANTS_DATE = re.compile(
    r"^(?:\w+ )?when\b|\bwhat (?:date|day)\b|"
    r"\bhow long\b.*\b(?:stay|remain|keep|available|callable)",
    re.I,
)
WANTS_FIGURE = re.compile(
    r"\bhow (?:much|many|large|big|long|often|far)\b|"
    r"\bwhat (?:price|cost|share|percentage|threshold|volume|margin|rate)\b",
    re.I,
)


def wanted_value(part: str) -> re.Pattern[str] | None:
    """The pattern of the value a part asks for, when it asks for a date or a figure."""
    joined = WHEN_WITH.match(part)
    if joined:
        # "by 2026-11-30", "until at least 2027-03-30", "until (earliest retirement) 2027-03-30"
        between = r"(?:\s+(?:the|at\s+least|\([^()]{1,40}\)))*"
        return re.compile(rf"\b{joined.group(1)}{between}\s+(?:{DATE_TEXT})", re.I)
    if WANTS_DATE.search(part):
        return DATE
    if WANTS_FIGURE.search(part):
        return FIGURE
    return None


# A date after these words bounds a period or sets a deadline ("the quarter ended 30 June",
# "callable until 2027-03-30", "the report is due by 28 October"): not when something happened.
BOUND = re.compile(
    r"\b(ended|ending|ends|until|till|through|by|before|to|due)\s+(?:the\s+|at\s+least\s+)?$",
    re.I,
)
PAST = re.compile(r"\b(?:did|had|was|were|happened|occurred)\b", re.I)


def bounding(text: str, start: int) -> str | None:
    """The word before the date at `start` that makes it a period's end or a deadline."""
    found = BOUND.search(text[max(0, start - 24) : start])
    return found.group(1).lower() if found else None


def states_value(value: re.Pattern[str] | None, part: str, text: str) -> bool:
    """Whether a sentence states the value a part asks for (`value`, of wanted_value). Asked
    when something happened, a date that only bounds a period or sets a deadline does not
    answer ("had an outage, and when?" is not answered by "the report is due by 28
    October"), unless the part asks after that bound itself ("when did the quarter end?")."""
    if value is None:
        return True
    if value is not DATE or not PAST.search(part):
        return bool(value.search(text))
    stems = {word[:3] for word in tokens(part) if len(word) >= 3}
    for match in DATE.finditer(text):
        bound = bounding(text, match.start())
        if bound is None or bound[:3] in stems:
            return True
    return False


# A name of several words: capitalised words and numbers together ("Gemini 4 Ultra").
FULL_NAME = re.compile(r"(?:[A-Z][\w.-]*|\d[\w.]*)(?:\s+(?:[A-Z][\w.-]*|\d[\w.]*))+")


def full_names(question: str) -> list[str]:
    """The names of several words a question uses, its first word left out (a capital)."""
    return FULL_NAME.findall(after_first_word(question))


COUNTED = re.compile(r"\bhow many\s+([a-z][\w-]*)", re.I)


def counted(part: str) -> str | None:
    """What a part counts ("how many seats ..." -> "seat"), as a search term."""
    match = COUNTED.search(part)
    found = tokens(match.group(1)) if match else []
    return found[0] if found else None


def without_names(question: str) -> str:
    """The question without its names, figures and ids: what it asks rather than whom about
    ("What did testers find about OpenAI's October GPT-5.1 snapshot?" -> "What did testers
    find about snapshot?"). Every passage found shares the names; the ask tells them apart."""
    stripped = question
    for term in key_terms(question):
        stripped = re.sub(rf"(?<![\w-]){re.escape(term)}(?:'s)?(?![\w-])", " ", stripped)
    return " ".join(stripped.split())


def asked_months(question: str) -> set[str]:
    """The months a question names, as two-digit numbers ("in June" -> {"06"})."""
    return {month[5:7] for month in months_in(question, "2000")}


def dated_in(months: set[str], text: str, published: str) -> bool:
    """Whether a sentence is of one of those months: its document was published then, or it
    names the month or a date in it."""
    named = {f"{i + 1:02d}" for i, name in enumerate(MONTH_NAMES) if name in text}
    return (
        published[5:7] in months
        or bool(named & months)
        or any(re.search(rf"\b20\d\d-{m}\b", text) for m in months)
    )
