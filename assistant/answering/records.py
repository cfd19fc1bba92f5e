"""Questions about workflows and evals answered from the structured records, every figure cited.

What a question asks is read by meaning (assistant/answering/intents.py); what it asks about
comes from the records' own values (assistant/answering/slots.py). The answers are built in
registry_answers.py and eval_answers.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from assistant.answering import eval_answers as ev
from assistant.answering import rankings as rank
from assistant.answering import registry_answers as reg
from assistant.answering.cited import Cited, answered, citations, listed
from assistant.answering.intents import Intents, Reading
from assistant.answering.slots import (
    DOWN,
    FALLBACK_WORDS,
    REGISTRY_WORDS,
    ROLLBACK,
    UP,
    SlotFinder,
    Slots,
    words,
)
from assistant.core.models import Answer, Citation, EvalPoint
from assistant.core.records import EvalResult, Workflow
from assistant.storage.sparse import tokens

EVAL_INTENTS = ("trend", "compare", "regression", "improvement", "latency", "cost", "parity",
                "versions")  # fmt: skip
SLOT_WEIGHT = 0.1  # what a filled slot adds to an intent's similarity
NAMED_MARGIN = 0.1  # a named workflow: the records answer unless the documents fit clearly better
# The registry's own words: a question left with only these asks what the records answered.
RECORD_WORDS = {"model", "vendor", "provider", "primary", "fallback", "backup", "workflow",
                "hosted", "hosting", "switch"}  # fmt: skip
VENDOR_FLOOR = 0.3  # how well a question naming only a vendor must fit a records intent
UNGROUNDED_MARGIN = 0.2  # nothing the records name: their intent must fit clearly better
TREND_SERIES = 4  # most model series in one trend answer
PARITY_WORKFLOWS = 3
VERSION_LINES = 4
# "the vendor behind our X": a way of naming the company that serves X, said by its name
_VENDOR_OF = (
    r"\b(?:the\s+)?(?:vendor|provider|company|supplier|maker)s?\s+"
    r"(?:behind|of|for|serving|running|that\s+(?:runs|serves|provides))\s+(?:(?:our|the)\s+)?"
)
VENDOR_OF = re.compile(rf"{_VENDOR_OF}$", re.I)
# Asked about "the vendor behind our X", the records only say who that is; the rest is the
# vendor's, from the documents.
ASKS_OF_VENDOR = re.compile(_VENDOR_OF, re.I)


def best_intent(reading: Reading, slots: Slots) -> str:
    """The records intent that fits best, the slots a question fills weighing in: a named
    workflow and the word fallback make the fallback intent likelier, and so on."""
    named = bool(slots.workflows)
    bonus = {
        "fallback": SLOT_WEIGHT * (named and slots.fallback_role),
        "workflows": SLOT_WEIGHT
        * bool(slots.criticality or slots.exposed or (slots.vendors and not named)),
        "dependency": SLOT_WEIGHT * bool(slots.vendors and not named),
        "compare": SLOT_WEIGHT / 2 * (named and (slots.fallback_role or len(slots.models) > 1)),
        "trend": SLOT_WEIGHT / 2 * (len(slots.months) > 1),
        "parity": SLOT_WEIGHT * slots.self_hosted,
        "regression": SLOT_WEIGHT * (slots.after_update == "down" or slots.rollback),
        "versions": SLOT_WEIGHT * slots.rollback,
        "improvement": SLOT_WEIGHT * (slots.after_update == "up"),
    }
    scored = {i: s + bonus.get(i, 0.0) for i, s in reading.records.items()}
    return max(scored, key=scored.__getitem__)


def about_records(
    score: float, document_score: float, slots: Slots, record_hits: int, intent: str, question: str
) -> bool:
    """Whether the records answer the question better than the documents: by how far its
    records intent beats the best document kind, given what names the records' own values or
    speaks of what they hold (workflows, fallbacks)."""
    if slots.workflows and (slots.fallback_role or slots.primary_role):
        return True  # a named workflow's fallback or primary: only the registry says
    if slots.unheld_models and not slots.models and not slots.workflows:
        return False  # a model the records do not hold: only the documents can speak of it
    if slots.workflows:
        return score >= document_score - NAMED_MARGIN
    if slots.vendors and intent in ("dependency", "workflows"):
        # A vendor named, and a question that barely fits any records intent ("how long
        # was the Gemini outage?") is about the vendor's news, not our workflows.
        return score >= max(VENDOR_FLOOR, document_score - NAMED_MARGIN)
    grounded = (
        slots.criticality
        or slots.exposed
        or record_hits >= 2
        or (slots.models and record_hits >= 1)
        or REGISTRY_WORDS.search(question)
    )
    return score >= document_score + (0.0 if grounded else UNGROUNDED_MARGIN)


class FactAnswerer:
    """Answers the registry and eval intents; `answer` returns None for other questions."""

    def __init__(
        self,
        workflows: list[Workflow],
        evals: list[EvalResult],
        document: Callable[[str], dict[str, str]],
        vendors_in: Callable[[str], list[str]],
        embed: Callable[[list[str]], list[list[float]]],
        regression_drop: float,
        intents: Intents,
        canonical: Callable[[str], str] = lambda vendor: vendor,
    ) -> None:
        self.workflows = workflows
        self.evals = [replace(e, vendor=canonical(e.vendor)) if e.vendor else e for e in evals]
        self.document = document
        self.regression_drop = regression_drop
        self.intents = intents
        self.slots = SlotFinder(workflows, self.evals, vendors_in, embed)
        self.targets = {w.name: w for w in workflows}
        self.made_with = (document, vendors_in, embed)

    def involving(self, vendor: str) -> FactAnswerer:
        """The same answerer over the records of one vendor: the workflows it serves as primary
        or fallback, and its models' eval results (the vendor filter)."""
        document, vendors_in, embed = self.made_with
        workflows = [w for w in self.workflows if vendor in (w.primary_vendor, w.fallback_vendor)]
        evals = [e for e in self.evals if e.vendor == vendor]
        return FactAnswerer(
            workflows, evals, document, vendors_in, embed, self.regression_drop, self.intents
        )

    def answer(
        self,
        question: str,
        embedding: list[float],
        record_hits: int = 0,
        vendor: str | None = None,
    ) -> Answer | None:
        """The answer from the records (of `vendor` only, when given), or None when the
        question is for the documents. `record_hits`: how many of the best passages come from
        registry and eval files."""
        if vendor is not None:  # what the vendor's records do not answer, its documents may
            found = self.involving(vendor).answer(question, embedding, record_hits)
            return found if found is not None and found.status == "answered" else None
        if not self.workflows and not self.evals:
            return None
        slots = self.slots.find(question, embedding)
        ranked = rank.asked_ranking(question) if not slots.workflows else None
        if ranked is not None and rank.ranking(self.workflows, *ranked, out := Cited()):
            return answered(out, self.document)  # "which contract renews next?"
        reading = self.intents.read(embedding)
        intent = best_intent(reading, slots)
        score = reading.records[reading.record_intent]  # the slots choose, they do not decide
        document_score = reading.score(reading.document_kind)
        if not about_records(score, document_score, slots, record_hits, intent, question):
            return None
        involved = {v for w in self.workflows for v in (w.primary_vendor, w.fallback_vendor)}
        unused = not slots.workflows and not set(slots.vendors) & involved
        if unused and score < reading.score(reading.document_kind):
            return None  # a vendor no workflow uses, asked about in the documents' terms
        if intent in EVAL_INTENTS:
            return self.from_evals(intent, question, slots, reading)
        return self.from_registry(intent, question, slots)

    # -- the registry ----------------------------------------------------------------------

    def from_registry(self, intent: str, question: str, slots: Slots) -> Answer | None:
        out = Cited()
        focus: list[str] = []
        if slots.workflows:
            w = slots.workflows[0]
            if slots.owner:
                reg.owned(w, out)
            reg.fallback(w, self.evals, out, brief=bool(ASKS_OF_VENDOR.search(question)))
            focus = [
                v for v in (w.fallback_vendor if slots.fallback_role else w.primary_vendor,) if v
            ]
        elif slots.vendors and intent == "dependency":
            level = slots.criticality
            workflows = [w for w in self.workflows if level in (None, w.criticality)]
            for vendor in slots.vendors[:2]:
                reg.dependency(workflows, vendor, out, level or "")
            focus = slots.vendors[:2]
        elif slots.vendors or slots.criticality or slots.exposed or intent == "workflows":
            if not reg.listing(self.workflows, slots, out):
                return self.none_selected(slots)
        elif FALLBACK_WORDS.search(question):
            return self.not_recorded(slots.closest)
        else:
            return None
        answer = answered(out, self.document)
        answer.focus = focus
        if slots.workflows:
            w = slots.workflows[0]
            models = [(w.fallback_vendor, w.fallback_model), (w.primary_vendor, w.primary_model)]
            answer.in_service = [(v, m) for v, m in models if v and m]
            answer.table = reg.fallback_table(w, self.evals)
            answer.beyond = beyond(question, w, focus)
        return answer

    def none_selected(self, slots: Slots) -> Answer:
        asked = ", ".join(filter(None, [slots.criticality, *slots.vendors]))
        lacking = [
            said
            for said, asked_for in (
                ("has no fallback", slots.lacking_fallback),
                ("falls back to its primary's vendor", slots.same_vendor),
            )
            if asked_for
        ]
        if lacking:  # asked who is exposed, and no one is: that is the answer
            among = f" ({asked})" if asked else ""
            reply = f"No workflow in the registry{among} {' or '.join(lacking)}."
        else:
            reply = f"No workflow in the registry matches what you asked ({asked})."
        return Answer(
            answer=reply,
            status="answered",
            citations=self.registry_citations(),
        )

    def not_recorded(self, closest: list[str]) -> Answer:
        names = ", ".join(f'"{n}"' for n in closest)
        return Answer(
            answer=f"No workflow matching your question is recorded in the registry, so no "
            f"fallback can be named. The closest recorded workflows are {names}.",
            status="insufficient_evidence",
            citations=self.registry_citations(),
        )

    # -- the evals -------------------------------------------------------------------------

    def eval_rows(self, slots: Slots) -> list[EvalResult]:
        rows = self.evals
        if slots.workflows:
            rows = [
                e for e in rows if (e.workflow or "").lower() == slots.workflows[0].name.lower()
            ]
        eval_models = {e.model for e in self.evals}
        named = [m for m in slots.models if m in eval_models or not slots.workflows]
        if named:
            rows = [e for e in rows if e.model in named]
        elif slots.vendors and not slots.workflows:
            rows = [e for e in rows if e.vendor in slots.vendors]
        return rows

    def from_evals(
        self, intent: str, question: str, slots: Slots, reading: Reading
    ) -> Answer | None:
        rows = self.eval_rows(slots)
        anything_named = slots.workflows or slots.models or slots.vendors
        if not rows:
            if not anything_named:
                return None
            what = listed(slots.models or [w.name for w in slots.workflows] or slots.vendors)
            return Answer(
                answer=f"No eval results are recorded for {what}.", status="insufficient_evidence"
            )
        in_period = [e for e in rows if slots.in_period(e.date)]
        if not in_period:
            runs = listed(sorted({ev.run_date(e, self.evals) for e in rows}))
            return Answer(
                answer=f"No eval run is recorded for {listed(slots.months)}; the runs on record "
                f"are from {runs}.",
                status="insufficient_evidence",
                complete=True,
            )
        out = Cited()
        if not self.eval_view(intent, question, slots, in_period, out):
            if slots.workflows and slots.fallback_role:  # "what would it fall back to"
                return self.from_registry("fallback", question, slots)
            if not anything_named:
                return None  # nothing to show a trend of: the documents may answer it
            ev.trend(in_period, self.targets, out, TREND_SERIES)
        if not out.sentences:
            return None
        answer = answered(out, self.document)
        answer.trend = [eval_point(e) for e in sorted(in_period, key=lambda e: e.date)]
        if anything_named:  # the vendors whose documents can add to it
            answer.focus = list(dict.fromkeys(e.vendor for e in in_period if e.vendor))[:2]
        return answer

    def eval_view(
        self, intent: str, question: str, slots: Slots, rows: list[EvalResult], out: Cited
    ) -> bool:
        """The view the intent asks for; False when it has nothing to say (then: the trend)."""
        w = slots.workflows[0] if slots.workflows else None
        if intent == "compare" and w is not None:
            on_task = [e for e in self.evals if e.workflow == w.name and slots.in_period(e.date)]
            return ev.compare_in_run(on_task, w.name, compared(w, slots), out)
        if intent in ("regression", "improvement", "versions") or ROLLBACK.search(question):
            self.changes(question, rows, out)
            if intent == "versions":
                ev.versions(rows, out, VERSION_LINES)
            if out.sentences:
                return True
        if intent == "latency" and w is None:
            if not ev.latency_breaches(rows, self.targets, out):
                out.say("No eval result in these runs exceeds its workflow's p95 latency target",
                        *(out.record(t) for t in self.workflows))  # fmt: skip
            return True
        if intent == "cost":
            return ev.cost_changes(rows, out)
        if intent == "parity" or slots.self_hosted:
            return ev.parity(self.parity_rows(slots), out, PARITY_WORKFLOWS)
        return intent == "trend" and bool(ev.trend(rows, self.targets, out, TREND_SERIES))

    def parity_rows(self, slots: Slots) -> list[EvalResult]:
        rows = self.evals
        if slots.workflows:
            rows = [e for e in rows if e.workflow == slots.workflows[0].name]
        tasks = {e.workflow for e in rows if e.model in slots.models and not e.self_hosted}
        return [e for e in rows if e.workflow in tasks] if tasks else rows

    def changes(self, question: str, rows: list[EvalResult], out: Cited) -> None:
        found = ev.significant(ev.version_changes(rows), rows, self.regression_drop)
        up, down = bool(UP.search(question)), bool(DOWN.search(question))
        wanted = [c for c in found if (c.delta > 0 and up) or (c.delta < 0 and down)]
        if up == down:  # neither or both directions asked: every change
            wanted = found
        elif found and not wanted:  # asked whether it fell, and it rose: that is the answer
            models = listed(sorted({c.key[0] for c in found}))
            marks = [out.record(e) for c in found for e in (c.before, c.after)]
            out.say(
                f"No {'rise' if up else 'drop'} after an update is recorded for {models}", *marks
            )
            wanted = found
        for change in wanted:
            ev.say_change(change, out)
            if change.delta < 0 and ROLLBACK.search(question):
                b = change.before
                out.rollback.append((b.vendor or "", f"{b.model}-{b.version}"))  # a snapshot id
                out.say(
                    f"Version {b.version} is the last good version to roll back to: it scored "
                    f"{ev.fmt(b.score)} on {b.date}",
                    out.record(b),
                )

    # -- helpers ---------------------------------------------------------------------------

    def registry_citations(self) -> list[Citation]:
        out = Cited()
        for w in self.workflows:
            out.record(w)
        return citations(out, self.document)

    def finish(self, out: Cited) -> Answer:
        return answered(out, self.document)


def beyond(question: str, w: Workflow, vendors: list[str]) -> str:
    """What the passages can add to a workflow's records: the question with the workflow and
    its role replaced by the vendors the records name ("has the vendor behind our claims
    fallback had an incident?" asks "has Google had an incident?")."""
    named = set().union(*(words(n) for n in filter(None, [w.name, w.display_name, *w.aliases])))
    said = " and ".join(vendors)
    out: list[str] = []
    for token in question.split():
        if words(token) & named or FALLBACK_WORDS.search(token):
            if vendors and (not out or out[-1] != said):
                lead = VENDOR_OF.search(" ".join(out) + " ")
                out = " ".join(out)[: lead.start()].split() if lead else out
                out.append(said)
            continue
        out.append(token)
    return " ".join(out)


def asks_beyond(question: str, vendors: list[str]) -> bool:
    """Whether a question `beyond` rewrote asks anything the records did not answer: words
    other than common ones, the vendors' names and the registry's own ("what is our Google
    model for" asks nothing more; "has Google had an incident, and when?" does)."""
    named = set().union(*(words(v) for v in vendors))
    return bool({w.rstrip("s") for w in tokens(question)} - named - RECORD_WORDS)


def compared(w: Workflow, slots: Slots) -> list[str]:
    """The two models a comparison on this workflow is about: those named, then the fallback
    when it is asked about, then the primary and the fallback."""
    asked = [m for m in slots.models if m in (w.primary_model, w.fallback_model)] or slots.models
    role = [w.fallback_model] if slots.fallback_role else []
    models = [m for m in dict.fromkeys([*asked, *role, w.primary_model, w.fallback_model]) if m]
    return models[:2]


def eval_point(result: EvalResult) -> EvalPoint:
    """An eval result as a point of the chat's chart."""
    return EvalPoint(
        model=result.model,
        vendor=result.vendor,
        workflow=result.workflow or "",
        metric=result.metric or "score",
        date=result.date,
        version=result.version,
        score=result.score,
        latency_p95_ms=result.latency_p95_ms,
    )
