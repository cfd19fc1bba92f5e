"""What a question asks about, in the records' own values: workflows, vendors, models, months,
criticality, the role (primary or fallback) and self-hosting."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from assistant.core.records import EvalResult, Workflow

WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)*")
GENERIC = {"the", "our", "for", "and", "what", "which", "is", "of", "a", "an", "to", "in", "we"}
MATCH_SIMILARITY = 0.5  # embedding similarity that names a workflow when its words are loose
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")  # fmt: skip
MONTHS = {m.lower(): i + 1 for i, m in enumerate(MONTH_NAMES)}
MONTH_WORD = re.compile(r"\b(" + "|".join(MONTHS) + r"|(?:jan|feb|mar|apr|jun|jul|aug|sep|sept|"
                        r"oct|nov|dec)\.?)\b", re.I)  # fmt: skip
ISO_MONTH = re.compile(r"\b(20\d\d)-(0[1-9]|1[0-2])\b")
YEAR = re.compile(r"\b(20\d\d)\b")
RANGE = re.compile(r"\b(between|from|since|through|to|until)\b", re.I)
FALLBACK_WORDS = re.compile(r"\b(fall ?-?backs?|back ?-?ups?|fail ?-?overs?|secondary)\b", re.I)
REGISTRY_WORDS = re.compile(r"\b(workflows?|fall ?-?backs?|back ?-?ups?)\b", re.I)
PRIMARY_WORDS = re.compile(r"\bprimary\b", re.I)
NO_FALLBACK = re.compile(
    rf"\b(no|without|lacks?|lacking|missing|none)\b[\w\s-]{{0,30}}{FALLBACK_WORDS.pattern}", re.I
)
OWNER_WORDS = re.compile(r"\b(owns?|owned|owners?|responsible|accountable)\b", re.I)
ROLLBACK = re.compile(r"\broll ?-?(back|ed back)\b", re.I)
UPDATE_WORDS = re.compile(r"\b(updat\w*|upgrad\w*|snapshots?|new versions?)\b", re.I)
UP = re.compile(r"\b(improv\w*|rais\w*|ris(?:e|es|ing)|rose|better|gain\w*|increas\w*|up)\b", re.I)
DOWN = re.compile(
    r"\b(drop\w*|fell|fall\w*|regress\w*|wors\w*|declin\w*|degrad\w*|decreas\w*|lower)\b", re.I
)
SAME_VENDOR = re.compile(r"\bsame[- ](?:vendor|provider|company)\b", re.I)
# "the July snapshot", "the June GPT-5.1 version": a month that names a version, not a period
NAMES_VERSION = re.compile(
    r"^\s+(?:[\w.-]+\s+){0,2}(?:snapshots?|versions?|releases?|updates?|builds?)\b", re.I
)
SELF_HOSTED = re.compile(
    r"\b(self[- ]?hosted|open[- ]weights?|open[- ]source|in[- ]house|on[- ]prem\w*)\b", re.I
)


def names_of(w: Workflow) -> list[str]:
    """A workflow's name, display name and aliases."""
    return [n for n in (w.name, w.display_name, *w.aliases) if n]


def normalised(text: str) -> str:
    """'GPT-5.1 Mini' -> 'gpt 5.1 mini': dashes and underscores are spaces."""
    return " ".join(WORD.findall(text.lower().replace("_", " ")))


def words(text: str) -> set[str]:
    """Lower-case words without plural s: 'Contracts' and 'contract' are one word."""
    return {w.rstrip("s") for w in WORD.findall(text.lower()) if w not in GENERIC}


@dataclass
class Slots:
    workflows: list[Workflow] = field(default_factory=list)
    vendors: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    unheld_models: list[str] = field(default_factory=list)  # of a known family, not recorded
    months: list[str] = field(default_factory=list)  # "YYYY-MM", in order
    criticality: str | None = None
    fallback_role: bool = False
    primary_role: bool = False
    lacking_fallback: bool = False  # "without a fallback"
    same_vendor: bool = False  # "a fallback from the same vendor"
    self_hosted: bool = False
    after_update: str | None = None  # "did it drop after the update?": "down" (or "up")
    rollback: bool = False  # "can we roll back?"
    owner: bool = False  # "who owns it?"
    closest: list[str] = field(default_factory=list)  # workflow names, when none matched

    @property
    def exposed(self) -> bool:
        """Whether the question asks after workflows without a fallback of their own."""
        return self.lacking_fallback or self.same_vendor

    def in_period(self, date: str) -> bool:
        return not self.months or date[:7] in self.months


def model_mentions(question: str, models: list[str]) -> list[str]:
    """Model ids a question names, in full or by their first words ('Claude Sonnet'); where
    two overlap ('gpt-5.1' inside 'gpt-5.1-mini'), the longer mention wins."""
    asked = normalised(question).split()
    found: list[tuple[int, int, str]] = []
    for model in models:
        parts = normalised(model).split()
        for start in range(len(asked)):
            length = 0
            while (
                length < len(parts)
                and start + length < len(asked)
                and asked[start + length] == parts[length]
            ):
                length += 1
            following = asked[start + length] if start + length < len(asked) else ""
            if length == len(parts) or (length >= 2 and not other_version(following)):
                found.append((start, length, model))
    kept = [
        (s, n, m)
        for s, n, m in found
        if not any(s2 <= s and s + n <= s2 + n2 and n2 > n for s2, n2, _ in found)
    ]
    return list(dict.fromkeys(m for _, _, m in kept))


def other_version(word: str) -> bool:
    """Whether the word after a model's family names a version: "Mistral Large 4" is not
    "mistral-large-3"."""
    return any(c.isdigit() for c in word)


def unheld_models(question: str, models: list[str]) -> list[str]:
    """Models the question names by a known family (its first two words or more) with a
    version no record has ('Mistral Large 4' where the records hold mistral-large-3)."""
    asked = normalised(question).split()
    held = {normalised(m) for m in models}
    found = []
    for model in models:
        family = normalised(model).split()[:-1]
        if len(family) < 2:
            continue
        for start in range(len(asked) - len(family)):
            if asked[start : start + len(family)] != family:
                continue
            named = " ".join(asked[start : start + len(family) + 1])
            if other_version(asked[start + len(family)]) and named not in held:
                found.append(named)
    return list(dict.fromkeys(found))


def update_direction(question: str) -> str | None:
    """'down' for a question whether a score fell after an update, 'up' for whether it rose."""
    if not UPDATE_WORDS.search(question):
        return None
    up, down = bool(UP.search(question)), bool(DOWN.search(question))
    return None if up == down else ("up" if up else "down")


def months_in(question: str, default_year: str) -> list[str]:
    """'between August and October' -> ['2026-08', '2026-09', '2026-10'] (year from the
    question, else the records' latest); 'the July snapshot' names a version, not a month."""
    year = (YEAR.findall(question) or [default_year])[-1]
    named = [f"{y}-{m}" for y, m in ISO_MONTH.findall(question)]
    for match in MONTH_WORD.finditer(question):
        if NAMES_VERSION.match(question[match.end() :]):
            continue
        word = match.group(1).lower().rstrip(".")
        number = next(n for name, n in MONTHS.items() if name.startswith(word[:3]))
        named.append(f"{year}-{number:02d}")
    named = list(dict.fromkeys(named))
    if len(named) == 2 and RANGE.search(question):
        first, last = sorted(named)
        return [m for m in all_months(first[:4], last[:4]) if first <= m <= last]
    return named


def all_months(first_year: str, last_year: str) -> list[str]:
    return [
        f"{y}-{m:02d}" for y in range(int(first_year), int(last_year) + 1) for m in range(1, 13)
    ]


class SlotFinder:
    """Finds slots against the records as they are now."""

    def __init__(
        self,
        workflows: list[Workflow],
        evals: list[EvalResult],
        vendors_in: Callable[[str], list[str]],
        embed: Callable[[list[str]], list[list[float]]],
    ) -> None:
        self.workflows = workflows
        self.evals = evals
        self.vendors_in = vendors_in
        self.embed = embed
        self.models = list(
            dict.fromkeys(
                [e.model for e in evals]
                + [m for w in workflows for m in (w.primary_model, w.fallback_model) if m]
            )
        )

    def find(self, question: str, embedding: list[float]) -> Slots:
        workflow, closest = self.match_workflow(question, embedding)
        years = sorted({e.date[:4] for e in self.evals}) or ["2026"]
        levels = {w.criticality for w in self.workflows}
        asked = normalised(question)
        return Slots(
            workflows=[workflow] if workflow else [],
            vendors=self.vendors_in(question),
            models=model_mentions(question, self.models),
            unheld_models=unheld_models(question, self.models),
            months=months_in(question, years[-1]),
            criticality=next(
                (c for c in sorted(levels) if re.search(rf"\b{re.escape(normalised(c))}\b", asked)),
                None,
            ),
            fallback_role=bool(FALLBACK_WORDS.search(question)),
            primary_role=bool(PRIMARY_WORDS.search(question)),
            lacking_fallback=bool(NO_FALLBACK.search(question)),
            same_vendor=bool(SAME_VENDOR.search(question)),
            self_hosted=bool(SELF_HOSTED.search(question)),
            after_update=update_direction(question),
            rollback=bool(ROLLBACK.search(question)),
            owner=bool(OWNER_WORDS.search(question)),
            closest=closest,
        )

    def match_workflow(
        self, question: str, embedding: list[float]
    ) -> tuple[Workflow | None, list[str]]:
        """The workflow a question names (by its id, display name or aliases, or by meaning),
        else None and the closest names."""
        if not self.workflows:
            return None, []
        asked = {w for w in words(question) if len(w) > 2 and not w.isdigit()}
        # A word several workflows' names share ("assistant") names none of them.
        named_by = Counter(
            word for w in self.workflows for word in set().union(*map(words, names_of(w)))
        )
        shared = {word for word, count in named_by.items() if count > 1}
        best_overlap, best = 0.0, None
        for w in self.workflows:
            for name in names_of(w):
                name_words = words(name)
                overlap = len((name_words & asked) - shared) / max(len(name_words), 1)
                if name.lower() in question.lower():
                    overlap = 1.0
                if overlap > best_overlap:
                    best_overlap, best = overlap, w
        labels = [w.display_name or w.name for w in self.workflows]
        similarity = np.asarray(self.embed(labels)) @ np.asarray(embedding)
        ranked = [self.workflows[i] for i in np.argsort(-similarity)]
        # A loose name ("the contracts workflow") needs a question about workflows or
        # fallbacks, or a close meaning: "Le Chat Enterprise" is not "enterprise search".
        loose = float(similarity.max()) >= MATCH_SIMILARITY or bool(REGISTRY_WORDS.search(question))
        if best is not None and (best_overlap >= 0.5 or (loose and ranked[0] is best)):
            return best, [w.name for w in ranked[:3]]
        if float(similarity.max()) >= MATCH_SIMILARITY and best_overlap > 0:
            return ranked[0], [w.name for w in ranked[:3]]
        return None, [w.name for w in ranked[:3]]
