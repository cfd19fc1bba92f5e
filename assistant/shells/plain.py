"""Answers and records as plain text, for clients that show only text (OpenAI clients, agents):
the cited answer followed by its sources, and a record as one sentence with its locator."""

from __future__ import annotations

from assistant.core.models import Answer
from assistant.core.records import EvalResult, Workflow


def answer_with_sources(answer: Answer) -> str:
    """The answer with its [n] markers, a note when it is not what was configured, and a
    'Sources' list (file, locator), so the sources show wherever the text does."""
    lines = [answer.answer]
    if answer.notice:
        lines += ["", f"({answer.notice})"]
    if answer.citations:
        lines += ["", "Sources:"]
        lines += [f"[{c.n}] {c.source}, {c.locator}" for c in answer.citations]
    return "\n".join(lines)


def workflow_sentence(w: Workflow) -> str:
    """'contract clause extraction (critical): primary claude-sonnet-4 (Anthropic); fallback
    qwen-max (Alibaba Cloud). [registry/workflows.yaml, lines 20-33]'"""
    fallback = (
        f"fallback {model_of(w.fallback_model, w.fallback_vendor)}"
        if w.fallback_model or w.fallback_vendor
        else "no fallback recorded"
    )
    primary = model_of(w.primary_model, w.primary_vendor)
    return f"{w.label} ({w.criticality}): primary {primary}; {fallback}. [{w.source}, {w.locator}]"


def eval_sentence(e: EvalResult) -> str:
    """'2026-09-15: gpt-5 (2025-08-07) of OpenAI on contract review, accuracy 91.2; p95
    2400 ms; USD 0.004 per 1K tokens. [evals/q3.csv, row 4]'"""
    model = e.model + (f" ({e.version})" if e.version else "")
    if e.vendor:
        model += f" of {e.vendor}"
    on = f" on {e.workflow}" if e.workflow else ""
    figures = [f"{e.metric or 'score'} {e.score:g}"]
    if e.latency_p95_ms is not None:
        figures.append(f"p95 {e.latency_p95_ms:g} ms")
    if e.cost_per_1k_tokens is not None:
        figures.append(f"USD {e.cost_per_1k_tokens:g} per 1K tokens")
    return f"{e.date}: {model}{on}, {'; '.join(figures)}. [{e.source}, {e.locator}]"


def model_of(model: str | None, vendor: str | None) -> str:
    if model and vendor:
        return f"{model} ({vendor})"
    return model or vendor or "unnamed"
