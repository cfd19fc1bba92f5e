"""The checkpoint briefing as Markdown or as a self-contained, printable HTML page."""

from __future__ import annotations

from html import escape

from assistant.briefing.checkpoints import Briefing, CheckpointResult, VendorBriefing
from assistant.briefing.signals import VendorSignals
from assistant.core.models import Citation
from assistant.core.signals import Signal

MARKS = {"evidence": "🟢 evidence", "partial": "🟡 partial", "gap": "🔴 gap"}
COLOURS = {"evidence": "#1a7f37", "partial": "#9a6700", "gap": "#cf222e"}


def sources_line(checkpoint: CheckpointResult) -> list[str]:
    return citation_lines(checkpoint.citations)


def citation_lines(citations: list[Citation]) -> list[str]:
    return [f"[{c.n}] {c.title} — {c.source}, {c.locator} ({c.published})" for c in citations]


def render_markdown(briefing: Briefing) -> str:
    ids = [c.id for c in briefing.vendors[0].checkpoints] if briefing.vendors else []
    lines = ["# 90-day vendor checkpoint briefing", "", f"Generated {briefing.generated_at}.", ""]
    lines += ["| vendor | " + " | ".join(f"checkpoint {i}" for i in ids) + " |"]
    lines += ["|---|" + "---|" * len(ids)]
    for vendor in briefing.vendors:
        marks = [MARKS[c.status] + (" (stale)" if c.stale else "") for c in vendor.checkpoints]
        lines.append(f"| {vendor.vendor} | " + " | ".join(marks) + " |")
    lines += ["", "## Changes since the last briefing", ""]
    lines += [f"- {change}" for change in briefing.changes]
    for vendor in briefing.vendors:
        lines += ["", f"## {vendor.vendor}", ""]
        if vendor.summary:
            lines += [f"**Summary** ({vendor.summary.answered_by}): {vendor.summary.answer}", ""]
            lines += [f"- {line}" for line in citation_lines(vendor.summary.citations)] + [""]
        for checkpoint in vendor.checkpoints:
            lines += markdown_checkpoint(checkpoint)
        if vendor.metrics:
            lines += ["### Latest figures", ""]
            for m in vendor.metrics:
                c = m.citation
                lines.append(f"- {m.name}: {m.figures} ({m.date}) — {c.source}, {c.locator}")
        if vendor.signals:
            lines += markdown_signals(vendor.signals)
    return "\n".join(lines) + "\n"


def markdown_signals(signals: VendorSignals) -> list[str]:
    lines = ["", f"### Signals since the last briefing (from {signals.since})", ""]
    if signals.stale:
        lines += [f"**{signals.stale}**", ""]
    lines += [f"- {signal_line(s)}" for s in reversed(signals.signals)] or ["- None."]
    lines += ["", "### Metrics to watch", ""]
    for m in signals.watch:
        sources = "; ".join(f"{c.source}, {c.locator}" for c in m.citations)
        lines.append(f"- **{m.name}.** {m.stated}" + (f" ({sources})" if sources else ""))
    return lines


def signal_line(signal: Signal) -> str:
    sources = "; ".join(f"{c.source}, {c.locator}" for c in signal.citations)
    return f"{signal.date} [{signal.kind}] {signal.summary} — {sources}"


def markdown_checkpoint(checkpoint: CheckpointResult) -> list[str]:
    newest = checkpoint.newest_source_date or "none"
    stale = (
        " **Stale: all evidence is older than the staleness limit.**" if checkpoint.stale else ""
    )
    lines = [
        f"### {checkpoint.id}. {checkpoint.question}",
        "",
        f"**{MARKS[checkpoint.status]}** · newest source: {newest}.{stale}",
        "",
        checkpoint.answer,
        "",
    ]
    lines += [f"- {line}" for line in sources_line(checkpoint)]
    return [*lines, ""] if checkpoint.citations else lines


STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; color: #1f2328; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #d0d7de; padding: .35rem .6rem; text-align: left; vertical-align: top; }
.status { font-weight: 600; white-space: nowrap; }
.sources { font-size: 13px; color: #57606a; }
section { page-break-inside: avoid; }
@media print { body { margin: 0; font-size: 12px; } h2 { page-break-before: always; } }
"""


def status_cell(checkpoint: CheckpointResult) -> str:
    label = checkpoint.status + (" (stale)" if checkpoint.stale else "")
    colour = COLOURS[checkpoint.status]
    return f'<span class="status" style="color:{colour}">● {escape(label)}</span>'


def render_html(briefing: Briefing) -> str:
    """One page, no external assets: styles inline, no scripts, prints cleanly."""
    ids = [c.id for c in briefing.vendors[0].checkpoints] if briefing.vendors else []
    head = "".join(f"<th>Checkpoint {i}</th>" for i in ids)
    rows = "".join(
        f"<tr><th>{escape(v.vendor)}</th>"
        + "".join(f"<td>{status_cell(c)}</td>" for c in v.checkpoints)
        + "</tr>"
        for v in briefing.vendors
    )
    changes = "".join(f"<li>{escape(change)}</li>" for change in briefing.changes)
    sections = "".join(html_vendor(v) for v in briefing.vendors)
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<title>90-day vendor checkpoint briefing</title>"
        f"<style>{STYLE}</style></head><body>"
        "<h1>90-day vendor checkpoint briefing</h1>"
        f"<p>Generated {escape(briefing.generated_at)}.</p>"
        f"<table><tr><th>Vendor</th>{head}</tr>{rows}</table>"
        f"<h2>Changes since the last briefing</h2><ul>{changes}</ul>{sections}</body></html>"
    )


def html_vendor(vendor: VendorBriefing) -> str:
    parts = [f"<h2>{escape(vendor.vendor)}</h2>"]
    if vendor.summary:
        sources = "".join(f"<li>{escape(x)}</li>" for x in citation_lines(vendor.summary.citations))
        parts.append(
            f"<p><strong>Summary</strong> ({escape(vendor.summary.answered_by)}): "
            f'{escape(vendor.summary.answer)}</p><ul class="sources">{sources}</ul>'
        )
    for c in vendor.checkpoints:
        sources = "".join(f"<li>{escape(line)}</li>" for line in sources_line(c))
        newest = escape(c.newest_source_date or "none")
        parts.append(
            f"<section><h3>{c.id}. {escape(c.question)}</h3>"
            f"<p>{status_cell(c)} · newest source: {newest}</p><p>{escape(c.answer)}</p>"
            f'<ul class="sources">{sources}</ul></section>'
        )
    if vendor.metrics:
        items = "".join(
            f"<li>{escape(m.name)}: {escape(m.figures)} ({escape(m.date)}) — "
            f"{escape(m.citation.source)}, {escape(m.citation.locator)}</li>"
            for m in vendor.metrics
        )
        parts.append(f"<h3>Latest figures</h3><ul>{items}</ul>")
    if vendor.signals:
        parts.append(html_signals(vendor.signals))
    return "".join(parts)


def html_signals(signals: VendorSignals) -> str:
    stale = f"<p><strong>{escape(signals.stale)}</strong></p>" if signals.stale else ""
    items = "".join(f"<li>{escape(signal_line(s))}</li>" for s in reversed(signals.signals))
    watch = "".join(
        f"<li><strong>{escape(m.name)}.</strong> {escape(m.stated)}"
        + "".join(
            f' <span class="sources">({escape(c.source)}, {escape(c.locator)})</span>'
            for c in m.citations
        )
        + "</li>"
        for m in signals.watch
    )
    return (
        f"<h3>Signals since the last briefing (from {escape(signals.since)})</h3>{stale}"
        f"<ul>{items or '<li>None.</li>'}</ul><h3>Metrics to watch</h3><ul>{watch}</ul>"
    )


def render(briefing: Briefing, fmt: str) -> str:
    if fmt == "json":
        return briefing.model_dump_json(indent=2)
    if fmt == "html":
        return render_html(briefing)
    return render_markdown(briefing)
