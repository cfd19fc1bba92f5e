"""Answers from the workflow registry: fallbacks, lists of workflows, dependence on a vendor.
Each record is said as a sentence built from its fields."""

from __future__ import annotations

from assistant.answering.cited import Cited, fmt
from assistant.answering.eval_answers import compare_in_run
from assistant.answering.slots import Slots
from assistant.core.models import FactTable
from assistant.core.records import EvalResult, Workflow, is_self_hosted


def hosted(hosting: str | None) -> str:
    if not hosting:
        return ""
    if is_self_hosted(hosting):
        return ", self-hosted"
    return (
        f" through the vendor's {hosting.upper()}" if hosting.lower() == "api" else f" ({hosting})"
    )


def runs_on(w: Workflow) -> str:
    return f"{w.primary_model} from {w.primary_vendor}{hosted(w.primary_hosting)}"


def falls_back_to(w: Workflow) -> str:
    return f"{w.fallback_model} from {w.fallback_vendor}{hosted(w.fallback_hosting)}"


def same_vendor(w: Workflow) -> bool:
    return bool(w.fallback_model) and (w.fallback_vendor or "") == (w.primary_vendor or "")


def describe(w: Workflow) -> str:
    """'claims-triage (Claims triage, critical) runs on X from A and falls back to Y from B'."""
    who = f"{w.label[:-1]}, {w.criticality})" if w.display_name else f"{w.name} ({w.criticality})"
    backup = f"falls back to {falls_back_to(w)}" if w.fallback_model else "has no fallback model"
    sentence = f"{who} runs on {runs_on(w)} and {backup}"
    if same_vendor(w):
        sentence += ", the same vendor as its primary: a lock-in risk"
    return sentence


def owned(w: Workflow, out: Cited) -> None:
    """Who owns the workflow, as the registry says (or that it does not)."""
    if w.owner:
        out.say(f"{w.name} is owned by {w.owner}", out.record(w))
    else:
        out.say(f"The registry names no owner for {w.name}", out.record(w))


def fallback(w: Workflow, evals: list[EvalResult], out: Cited, brief: bool = False) -> None:
    """The workflow's fallback (or its absence), its latest side-by-side eval, its terms;
    `brief`, the fallback alone (the question asks about its vendor, not the workflow)."""
    reg = out.record(w)
    if w.fallback_model:
        out.say(
            f"The fallback for {w.label} is {falls_back_to(w)}; the primary is {runs_on(w)}", reg
        )
        if same_vendor(w):
            out.say(
                f"The fallback comes from the same vendor as the primary, so an outage, price or "
                f"policy change at {w.primary_vendor} hits both: a lock-in risk",
                reg,
            )
        if brief:
            return
        models = [m for m in (w.primary_model, w.fallback_model) if m]
        compare_in_run(evals, w.name, models, out)
    else:
        out.say(
            f"No fallback model is recorded for {w.label} ({w.criticality}); "
            f"it runs only on {runs_on(w)}",
            reg,
        )
        if w.notes:
            out.say(f"The registry notes: {w.notes}", reg)
        if brief:
            return
    terms = targets(w)
    if w.renewal:
        terms.append(f"the contract renews on {w.renewal}")
    if w.deprecation_notice_days is not None:
        terms.append(f"with {w.deprecation_notice_days} days' deprecation notice")
    if terms:
        out.say(f"For {w.name}, " + ", ".join(terms), reg)


def targets(w: Workflow) -> list[str]:
    out = []
    if w.uptime:
        out.append(f"the uptime target is {w.uptime.rstrip('%')}%")
    if w.latency_p95_ms is not None:
        out.append(f"the p95 latency target is {fmt(w.latency_p95_ms)} ms")
    return out


def selected(workflows: list[Workflow], slots: Slots) -> list[Workflow]:
    """The workflows a listing question filters for (criticality, vendor and role, lacking or
    same-vendor fallback)."""
    chosen = [w for w in workflows if slots.criticality in (None, w.criticality)]
    if slots.vendors:
        vendors = set(slots.vendors)
        if slots.fallback_role and not slots.primary_role:
            chosen = [w for w in chosen if w.fallback_vendor in vendors]
        elif slots.primary_role and not slots.fallback_role:
            chosen = [w for w in chosen if w.primary_vendor in vendors]
        else:
            chosen = [w for w in chosen if {w.primary_vendor, w.fallback_vendor} & vendors]
    if slots.exposed:
        # Asked for those without a fallback: a fallback from the primary's vendor is no cover
        # either, and is said as such after them. Asked for same-vendor fallbacks: those only.
        lacking = [w for w in chosen if slots.lacking_fallback and not w.fallback_model]
        chosen = lacking + [w for w in chosen if same_vendor(w)]
    return chosen


def listing(workflows: list[Workflow], slots: Slots, out: Cited) -> bool:
    """One sentence per workflow the question selects; False when none is selected."""
    chosen = selected(workflows, slots)
    for w in chosen:
        owner = f"; its owner is {w.owner}" if slots.owner and w.owner else ""
        out.say(describe(w) + owner, out.record(w))
        if not w.fallback_model and w.notes:
            out.say(f"The registry notes for {w.name}: {w.notes}", out.record(w))
    return bool(chosen)


def dependency(workflows: list[Workflow], vendor: str, out: Cited, kind: str = "") -> None:
    """What an outage of the vendor takes away: primaries, fallbacks, or nothing (of the
    workflows given: those of one criticality, the `kind`, when the question names one)."""
    primary = [w for w in workflows if w.primary_vendor == vendor]
    backup = [w for w in workflows if w.fallback_vendor == vendor and w.primary_vendor != vendor]
    for w in primary:
        if not w.fallback_model:
            rest = "and has no fallback, so it stops"
        elif w.fallback_vendor == vendor:
            rest = f"and its fallback {w.fallback_model} is from {vendor} too"
        else:
            rest = f"and would switch to {falls_back_to(w)}"
        out.say(
            f"If {vendor} is unavailable, {w.label} ({w.criticality}) loses its primary "
            f"{w.primary_model} {rest}",
            out.record(w),
        )
        if not w.fallback_model and w.notes:
            out.say(f"The registry notes: {w.notes}", out.record(w))
    for w in backup:
        out.say(
            f"{w.label} ({w.criticality}) would lose only its fallback {w.fallback_model}; its "
            f"primary {runs_on(w)} keeps running",
            out.record(w),
        )
    if not primary and not backup:
        marks = [out.record(w) for w in workflows]
        out.say(
            f"No {kind + ' ' if kind else ''}workflow in the registry depends on {vendor}", *marks
        )


def fallback_table(w: Workflow, evals: list[EvalResult]) -> FactTable:
    """Primary and fallback with the latest eval of each, for the chat's table."""
    rows = []
    for role, vendor, model in (
        ("primary", w.primary_vendor, w.primary_model),
        ("fallback", w.fallback_vendor, w.fallback_model),
    ):
        scored = [e for e in evals if model and e.model == model and e.workflow == w.name]
        latest = max(scored, key=lambda e: e.date) if scored else None
        figures = (
            [fmt(latest.score), fmt(latest.latency_p95_ms), fmt(latest.cost_per_1k_tokens),
             latest.date]
            if latest
            else ["", "", "", ""]
        )  # fmt: skip
        rows.append([role, vendor or "none", model or "none", *figures])
    columns = ["role", "vendor", "model", "score", "p95 ms", "USD / 1K tokens", "eval date"]
    return FactTable(columns=columns, rows=rows)
